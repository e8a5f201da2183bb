-- Linnet store, schema 13: inline previews of shared images, made once (a PNG at most 480 px
-- on its longer edge) and kept here, inside the encrypted database, never as loose files.
CREATE TABLE previews (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    png        BLOB NOT NULL
);
