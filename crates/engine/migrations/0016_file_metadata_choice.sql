-- Linnet store, schema 16: the user chose, before sending, to keep a photo's metadata
-- (location, camera, time) rather than have it removed before the upload (the default).
ALTER TABLE messages ADD COLUMN file_keep_metadata INTEGER NOT NULL DEFAULT 0;
