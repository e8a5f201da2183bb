-- Linnet store, schema 10: the OMEMO device each decrypted message came from, so the window
-- can mark messages from devices the user distrusts or has not decided on, with the trust as
-- it is now (omemo_identities), not as it was on arrival.
ALTER TABLE messages ADD COLUMN omemo_jid TEXT;      -- the device owner's bare JID
ALTER TABLE messages ADD COLUMN omemo_device INTEGER;
