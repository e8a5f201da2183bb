-- Linnet store, schema 6: per-room notification setting (XEP-0045 rooms).
-- 'all', 'mentions' or 'none'; NULL = the default (mentions for rooms).
ALTER TABLE conversation_settings ADD COLUMN notify TEXT;
