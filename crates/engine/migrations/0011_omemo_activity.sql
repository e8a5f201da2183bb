-- Linnet store, schema 11: how recently each remote OMEMO device was heard from, and how many
-- of our messages were encrypted for it since, so that a device that stays silent (a lost or
-- reset phone still on its owner's device list) stops being encrypted for (XEP-0384 §7.4).
ALTER TABLE omemo_identities ADD COLUMN last_heard INTEGER;                -- unix ms
ALTER TABLE omemo_identities ADD COLUMN unanswered INTEGER NOT NULL DEFAULT 0;
