-- Linnet store, schema 17: what an image a message shares looks like, as Stateless File
-- Sharing's metadata says it (XEP-0446 width and height, a XEP-0264 thumbnail carried as
-- XEP-0231 Bits of Binary): made by us for ours (sent with it), the sender's for theirs
-- (shown before anything is fetched).
CREATE TABLE file_images (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    width INTEGER,
    height INTEGER,
    thumbnail_type TEXT,
    thumbnail_width INTEGER,
    thumbnail_height INTEGER,
    thumbnail BLOB
);
