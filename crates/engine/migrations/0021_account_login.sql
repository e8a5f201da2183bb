-- Linnet store, schema 21: what logins to each account's server taught, and what the user
-- allowed (RFC 6120 §6, XEP-0388). `client_id` is the XEP-0388 user-agent id (a UUID) the
-- server binds FAST tokens to (XEP-0484); `scram_seen`: the server has offered SCRAM, so a
-- PLAIN-only offer later is refused as a downgrade; `allow_plain`: the user agreed to send
-- the password as PLAIN inside verified TLS.
CREATE TABLE account_login (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    scram_seen INTEGER NOT NULL DEFAULT 0,
    allow_plain INTEGER NOT NULL DEFAULT 0
);
