-- Linnet store, schema 7: what messages do to each other (corrections, retractions, replies,
-- reactions) and the room's occupant-id of a group message's author.

-- XEP-0308: the body was replaced by its sender's correction; older texts in message_edits.
ALTER TABLE messages ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;
-- XEP-0424 / XEP-0425: retracted by its sender or a room moderator; the body is then ''.
ALTER TABLE messages ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN moderated_by TEXT;          -- the moderator's nick, when given
ALTER TABLE messages ADD COLUMN retract_reason TEXT;
-- XEP-0421: the room's stable id for the author (only rooms that stamp it).
ALTER TABLE messages ADD COLUMN occupant_id TEXT;
-- XEP-0461: the message this one answers: its id as the reply names it, its author as named,
-- the local row when it was stored before the reply arrived, and the quoted text.
ALTER TABLE messages ADD COLUMN reply_to_id TEXT;
ALTER TABLE messages ADD COLUMN reply_to_jid TEXT;
ALTER TABLE messages ADD COLUMN reply_to_row INTEGER;
ALTER TABLE messages ADD COLUMN reply_quote TEXT;

-- Looking a message up by the id other messages name it with (corrections, reactions, replies).
CREATE INDEX messages_message_id ON messages(account_id, peer, message_id) WHERE message_id IS NOT NULL;

-- Older texts of corrected messages, oldest first (XEP-0308).
CREATE TABLE message_edits (
    message_row   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    body          TEXT    NOT NULL,
    replaced_at   INTEGER NOT NULL                  -- unix ms
);
CREATE INDEX message_edits_row ON message_edits(message_row);

-- XEP-0444: each sender's whole set of reactions on one message.
CREATE TABLE reactions (
    message_row   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    sender        TEXT    NOT NULL,                 -- bare JID (one-to-one) or nick (rooms)
    ours          INTEGER NOT NULL,
    emojis        TEXT    NOT NULL,                 -- JSON array, in the sender's order
    at            INTEGER NOT NULL,                 -- unix ms of the latest change
    PRIMARY KEY (message_row, sender)
);
