-- Linnet store, schema 8: full-text search over message bodies (SQLite FTS5, external content:
-- the index holds terms only, the text stays in `messages`). System lines are not indexed; a
-- retraction (body '') drops the message's terms; older texts of corrections are not indexed.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    -- Prefix indexes: a query that is still being typed ("lun") answers without scanning
    -- every term that starts so (100 ms at 1,000,000 messages without them).
    prefix = '2 3 4'
);
INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages WHERE state <> 'system';

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.state <> 'system' BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.state <> 'system' BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages WHEN old.state <> 'system' BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
