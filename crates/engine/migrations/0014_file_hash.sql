-- Linnet store, schema 14: the SHA-256 of a shared file (XEP-0300, base64), from the sender's
-- Stateless File Sharing metadata (XEP-0447 / XEP-0446) or computed by us while uploading;
-- a download that does not match it is refused.
ALTER TABLE messages ADD COLUMN file_sha256 TEXT;
