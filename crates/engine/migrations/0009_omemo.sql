-- Linnet store, schema 9: OMEMO (XEP-0384), both generations.
-- Our device per account: its id and private keys (identity, signed prekeys, one-time
-- prekeys) as linnet-omemo's OwnKeys in JSON. Private: keep the store encrypted at rest.
CREATE TABLE omemo_own (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    device_id   INTEGER NOT NULL,
    keys        TEXT    NOT NULL
);

-- One Double Ratchet session per remote device and generation ('legacy' | 'omemo2').
CREATE TABLE omemo_sessions (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid         TEXT    NOT NULL,   -- the device owner's bare JID (ours for our other devices)
    device_id   INTEGER NOT NULL,
    generation  TEXT    NOT NULL,
    state       TEXT    NOT NULL,   -- linnet-omemo's Session in JSON
    PRIMARY KEY (account_id, jid, device_id, generation)
);

-- The identity key seen for each remote device, and the trust in it: 'blind' (trusted
-- before verification, the default), 'verified', 'untrusted'. A device's identity never
-- silently changes: a message with another key for a known device is refused.
CREATE TABLE omemo_identities (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid         TEXT    NOT NULL,
    device_id   INTEGER NOT NULL,
    identity    BLOB    NOT NULL,   -- 32-byte Curve25519 (Montgomery) public key
    trust       TEXT    NOT NULL DEFAULT 'blind',
    first_seen  INTEGER NOT NULL,   -- unix ms
    PRIMARY KEY (account_id, jid, device_id)
);

-- Per conversation: encrypt what we send with OMEMO. NULL = not decided yet (turned on
-- when the contact first writes to us encrypted, so a reply never falls back to plaintext).
ALTER TABLE conversation_settings ADD COLUMN encrypt INTEGER;
