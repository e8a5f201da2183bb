-- Linnet store, schema 15: a file sent or offered peer to peer with Jingle (XEP-0166,
-- XEP-0234) rather than uploaded. Its message keeps the file as before (`file_*`) plus the
-- session's state; a session never outlives the app, so one left `offered` or `active` by a
-- previous run is marked failed when the store opens.
ALTER TABLE messages ADD COLUMN file_transfer TEXT;        -- offered | active | done | declined | cancelled | failed; NULL: not a Jingle transfer
ALTER TABLE messages ADD COLUMN file_transfer_sid TEXT;    -- the Jingle session id
ALTER TABLE messages ADD COLUMN file_transfer_reason TEXT; -- why it ended, in words, when not done
