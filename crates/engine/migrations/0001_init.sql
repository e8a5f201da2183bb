-- Linnet store, schema 1. Forward-only; every row carries its account id.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    jid           TEXT    NOT NULL UNIQUE,          -- bare JID, normalised (RFC 7622)
    resource      TEXT,                             -- requested resource, NULL = server assigns
    enabled       INTEGER NOT NULL DEFAULT 1,
    host          TEXT,                             -- connect host override (NULL = SRV lookup)
    port          INTEGER,                          -- connect port override
    direct_tls    INTEGER NOT NULL DEFAULT 0,       -- XEP-0368 direct TLS instead of STARTTLS
    roster_ver    TEXT,                             -- XEP-0237 roster version we hold
    created_at    INTEGER NOT NULL                  -- unix ms
);

-- Certificates the user chose to trust for one account (SHA-256 of the leaf's DER, lowercase hex).
CREATE TABLE pinned_certs (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sha256        TEXT    NOT NULL,
    subject       TEXT,
    pinned_at     INTEGER NOT NULL,
    PRIMARY KEY (account_id, sha256)
);

-- RFC 6121 §2 roster items.
CREATE TABLE roster_items (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid           TEXT    NOT NULL,                 -- contact bare JID
    name          TEXT,
    subscription  TEXT    NOT NULL,                 -- none | to | from | both
    ask           INTEGER NOT NULL DEFAULT 0,       -- 1 when our subscribe request is pending
    groups        TEXT    NOT NULL DEFAULT '[]',    -- JSON array of group names
    PRIMARY KEY (account_id, jid)
);

-- Inbound subscription requests (RFC 6121 §3.1.3) not answered yet.
CREATE TABLE subscription_requests (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid           TEXT    NOT NULL,
    status        TEXT,                             -- optional text sent with the request
    received_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, jid)
);

-- One row per message, both directions.
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    peer          TEXT    NOT NULL,                 -- conversation partner, bare JID
    outgoing      INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    encryption    TEXT    NOT NULL DEFAULT 'none',  -- how the payload was encrypted: none | omemo | ...
    stanza_id     TEXT,                             -- XEP-0359 stanza-id given by our server
    origin_id     TEXT,                             -- XEP-0359 origin-id given by the sender
    message_id    TEXT,                             -- the stanza's id attribute
    at            INTEGER NOT NULL,                 -- unix ms (XEP-0203 delay when present)
    state         TEXT    NOT NULL,                 -- pending | sent | delivered | displayed | failed | received
    error         TEXT,
    read          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_page ON messages(account_id, peer, id);
CREATE UNIQUE INDEX messages_stanza_id ON messages(account_id, peer, stanza_id) WHERE stanza_id IS NOT NULL;
CREATE UNIQUE INDEX messages_origin_id ON messages(account_id, peer, outgoing, origin_id) WHERE origin_id IS NOT NULL;
CREATE INDEX messages_pending ON messages(account_id, state) WHERE state = 'pending';
CREATE INDEX messages_unread ON messages(account_id, peer) WHERE read = 0;
