-- Linnet store, schema 3: delivery guarantees (receipts, chat markers, MAM catch-up).

-- 1 when the sender asked for XEP-0333 chat markers (<markable/>), so we may send <displayed/>.
ALTER TABLE messages ADD COLUMN markable INTEGER NOT NULL DEFAULT 0;

-- Receipts (XEP-0184) and markers (XEP-0333) name our message by the stanza id we sent.
CREATE INDEX messages_outgoing_id ON messages(account_id, message_id) WHERE outgoing = 1;

-- How far each archive (XEP-0313) has been caught up: the newest archive id (stanza-id) stored.
-- archive = '' is the account's own archive; a MUC room uses its bare JID.
CREATE TABLE archive_sync (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    archive       TEXT    NOT NULL,
    last_id       TEXT    NOT NULL,
    PRIMARY KEY (account_id, archive)
);
