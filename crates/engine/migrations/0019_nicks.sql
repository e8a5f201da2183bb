-- Linnet store, schema 19: user nicknames (XEP-0172). `nicks` holds the nickname a roster
-- contact (or our own account) publishes over PEP; a subscription request keeps the one it
-- carried (§4.2), so a stranger's request can say who they say they are.
CREATE TABLE nicks (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid        TEXT NOT NULL,
    nick       TEXT NOT NULL,
    PRIMARY KEY (account_id, jid)
);
ALTER TABLE subscription_requests ADD COLUMN nick TEXT;
