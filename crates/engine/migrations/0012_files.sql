-- Linnet store, schema 12: a message that shares a file (XEP-0363 HTTP File Upload with
-- XEP-0066 out-of-band data; XEP-0454 `aesgcm://` links when encrypted). An outgoing one is
-- stored, with its local file, before the upload; it stays `pending` without `file_url`
-- until the upload is done, and then goes out like any other message.
ALTER TABLE messages ADD COLUMN file_name TEXT;     -- shown name (the sender's, or the URL's last segment)
ALTER TABLE messages ADD COLUMN file_size INTEGER;  -- bytes of the plain file, when known
ALTER TABLE messages ADD COLUMN file_type TEXT;     -- media type, when known
ALTER TABLE messages ADD COLUMN file_url TEXT;      -- https:// (or aesgcm://) link; NULL while uploading
ALTER TABLE messages ADD COLUMN file_path TEXT;     -- the local file: ours to upload, or where a download was saved
CREATE INDEX messages_uploads ON messages(account_id) WHERE state = 'pending' AND file_name IS NOT NULL AND file_url IS NULL;
-- Encrypted files received before this schema (an aesgcm:// link as the whole body, XEP-0454)
-- become file messages too; the name is the link's last path segment (spaces decoded).
UPDATE messages
   SET file_url = body,
       file_name = replace(replace(substr(body, 1, instr(body, '#') - 1),
                           rtrim(substr(body, 1, instr(body, '#') - 1),
                                 replace(substr(body, 1, instr(body, '#') - 1), '/', '')), ''), '%20', ' ')
 WHERE body LIKE 'aesgcm://%#%' AND instr(body, ' ') = 0 AND instr(body, char(10)) = 0;
