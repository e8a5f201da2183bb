-- Linnet store, schema 5: group chat (XEP-0045).

-- Rooms the user joined on an account (rejoined on every connect while autojoin = 1).
CREATE TABLE rooms (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid           TEXT    NOT NULL,                 -- room bare JID
    nick          TEXT    NOT NULL,                 -- our nickname in it
    autojoin      INTEGER NOT NULL DEFAULT 1,
    subject       TEXT,                             -- last room subject seen
    PRIMARY KEY (account_id, jid)
);

-- Group messages live in `messages` with peer = room JID, groupchat = 1 and the occupant's nick.
ALTER TABLE messages ADD COLUMN groupchat INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN sender TEXT;
