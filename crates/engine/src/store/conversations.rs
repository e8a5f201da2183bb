//! Conversations: the list with last message, unread and mention counts, read state, and
//! per-conversation settings (mute).

use super::{ConversationRow, Store};
use crate::error::EngineError;

impl Store {
    /// Marks every message of a conversation read. Returns how many were unread.
    pub async fn mark_read(&self, account_id: i64, peer: &str) -> Result<u64, EngineError> {
        let done = sqlx::query(
            "UPDATE messages SET read = 1 WHERE account_id = ? AND peer = ? AND read = 0",
        )
        .bind(account_id)
        .bind(peer)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Marks a conversation read up to the message with this stanza-id (XEP-0490: read on
    /// another client of ours): it and everything before it in time order. Returns how many
    /// changed; 0 when no stored message has that stanza-id.
    pub async fn mark_read_up_to(
        &self,
        account_id: i64,
        peer: &str,
        stanza_id: &str,
    ) -> Result<u64, EngineError> {
        let done = sqlx::query(
            "UPDATE messages SET read = 1
             WHERE account_id = ?1 AND peer = ?2 AND read = 0
               AND (at, id) <= (SELECT at, id FROM messages
                                WHERE account_id = ?1 AND peer = ?2 AND stanza_id = ?3)",
        )
        .bind(account_id)
        .bind(peer)
        .bind(stanza_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// The stanza-id of the newest message of a conversation that has one (what XEP-0490
    /// publishes as read).
    pub async fn newest_stanza_id(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<Option<String>, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT stanza_id FROM messages
             WHERE account_id = ? AND peer = ? AND stanza_id IS NOT NULL
             ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(account_id)
        .bind(peer)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Conversations of every account, most recent activity first; the last message is the
    /// newest by time.
    pub async fn conversations(&self) -> Result<Vec<ConversationRow>, EngineError> {
        Ok(sqlx::query_as(
            "SELECT m.account_id, m.peer, m.body AS last_body, m.at AS last_at,
                    (SELECT COUNT(*) FROM messages u
                      WHERE u.account_id = m.account_id AND u.peer = m.peer AND u.read = 0) AS unread,
                    (SELECT COUNT(*) FROM messages u
                       JOIN rooms r ON r.account_id = u.account_id AND r.jid = u.peer
                      WHERE u.account_id = m.account_id AND u.peer = m.peer AND u.read = 0
                        AND u.groupchat = 1 AND u.outgoing = 0 AND u.sender IS NOT NULL
                        AND r.nick <> '' AND instr(lower(u.body), lower(r.nick)) > 0) AS mentions,
                    COALESCE(s.muted, 0) AS muted, a.hash AS avatar
             FROM (SELECT account_id, peer FROM messages GROUP BY account_id, peer) c
             JOIN messages m ON m.id = (SELECT x.id FROM messages x
                                        WHERE x.account_id = c.account_id AND x.peer = c.peer
                                        ORDER BY x.at DESC, x.id DESC LIMIT 1)
             LEFT JOIN conversation_settings s ON s.account_id = m.account_id AND s.peer = m.peer
             LEFT JOIN avatars a ON a.account_id = m.account_id AND a.jid = m.peer
             ORDER BY m.at DESC, m.id DESC",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// How many messages are unread in the conversations not muted, over every account (the
    /// `messages_unread` index; no per-conversation work).
    pub async fn unread_total(&self) -> Result<i64, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages m
             LEFT JOIN conversation_settings s ON s.account_id = m.account_id AND s.peer = m.peer
             WHERE m.read = 0 AND COALESCE(s.muted, 0) = 0",
        )
        .fetch_one(self.pool())
        .await?)
    }

    /// Mutes or unmutes desktop notifications for one conversation.
    pub async fn set_muted(
        &self,
        account_id: i64,
        peer: &str,
        muted: bool,
    ) -> Result<(), EngineError> {
        sqlx::query(
            "INSERT INTO conversation_settings (account_id, peer, muted) VALUES (?, ?, ?)
             ON CONFLICT (account_id, peer) DO UPDATE SET muted = excluded.muted",
        )
        .bind(account_id)
        .bind(peer)
        .bind(muted)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether notifications are muted for one conversation (false when never set).
    pub async fn is_muted(&self, account_id: i64, peer: &str) -> Result<bool, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT muted FROM conversation_settings WHERE account_id = ? AND peer = ?",
        )
        .bind(account_id)
        .bind(peer)
        .fetch_optional(self.pool())
        .await?
        .unwrap_or(false))
    }
}
