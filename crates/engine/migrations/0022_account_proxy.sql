-- Linnet store, schema 22: a proxy for one account (`socks5://`, `socks5h://` or `http://`
-- URL, never with a password: passwords live only in the OS keyring); NULL uses the system
-- setting (ALL_PROXY).
ALTER TABLE accounts ADD COLUMN proxy TEXT;
