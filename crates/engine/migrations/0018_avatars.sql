-- Linnet store, schema 18: avatars (XEP-0084 over PEP, XEP-0153 from vcard-temp). Each picture
-- is kept once, by the SHA-1 (hex) of the bytes its owner published, checked on arrival, as a
-- PNG we made of it (at most 128 px square; the window never decodes what the network sent);
-- `avatars` says which picture a JID shows now. Fetched once per hash, never on display.
CREATE TABLE avatar_images (
    hash TEXT PRIMARY KEY,
    png  BLOB NOT NULL
);
CREATE TABLE avatars (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid        TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (account_id, jid)
);
