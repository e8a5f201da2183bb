-- Linnet store, schema 20: our own presence per account (RFC 6121 §4.7: show and status), kept
-- across restarts and sent at every connect. `own_show` is the serde name of `Show`.
ALTER TABLE accounts ADD COLUMN own_show TEXT NOT NULL DEFAULT 'available';
ALTER TABLE accounts ADD COLUMN own_status TEXT;
