-- Linnet store, schema 4: conversations are ordered by time (XEP-0203 delay / arrival), then
-- row id, because history fetched later (XEP-0313) is older than what is already stored.
CREATE INDEX messages_time ON messages(account_id, peer, at, id);
