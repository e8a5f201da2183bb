-- Linnet store, schema 2: per-conversation settings.

-- Settings the user chose for one conversation; a missing row means the defaults.
CREATE TABLE conversation_settings (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    peer          TEXT    NOT NULL,                 -- conversation partner, bare JID
    muted         INTEGER NOT NULL DEFAULT 0,       -- 1: no desktop notifications
    PRIMARY KEY (account_id, peer)
);
