//! `rooms` table: group chats (XEP-0045) joined on an account, rejoined on connect.

use super::Store;
use crate::error::EngineError;

/// A room the user joined.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoomRow {
    /// Owning account.
    pub account_id: i64,
    /// Room bare JID.
    pub jid: String,
    /// Our nickname in the room.
    pub nick: String,
    /// Rejoined on every connect.
    pub autojoin: bool,
    /// The last room subject seen.
    pub subject: Option<String>,
}

impl Store {
    /// Adds a room (or changes our nickname in it), with autojoin on.
    pub async fn upsert_room(
        &self,
        account_id: i64,
        jid: &str,
        nick: &str,
    ) -> Result<(), EngineError> {
        sqlx::query(
            "INSERT INTO rooms (account_id, jid, nick, autojoin) VALUES (?, ?, ?, 1)
             ON CONFLICT (account_id, jid) DO UPDATE SET nick = excluded.nick, autojoin = 1",
        )
        .bind(account_id)
        .bind(jid)
        .bind(nick)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Stops rejoining a room on connect, keeping it listed (after a kick, a ban, the room's
    /// destruction or a refused join: XEP-0045 §8.2, §9.1, §10.9, §7.2.6–7.2.8).
    pub async fn stop_autojoin(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        sqlx::query("UPDATE rooms SET autojoin = 0 WHERE account_id = ? AND jid = ?")
            .bind(account_id)
            .bind(jid)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets a room (its messages stay).
    pub async fn remove_room(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        sqlx::query("DELETE FROM rooms WHERE account_id = ? AND jid = ?")
            .bind(account_id)
            .bind(jid)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The rooms of one account, by JID.
    pub async fn rooms(&self, account_id: i64) -> Result<Vec<RoomRow>, EngineError> {
        Ok(sqlx::query_as(
            "SELECT account_id, jid, nick, autojoin, subject FROM rooms WHERE account_id = ? ORDER BY jid",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// One room, if joined.
    pub async fn room(&self, account_id: i64, jid: &str) -> Result<Option<RoomRow>, EngineError> {
        Ok(sqlx::query_as(
            "SELECT account_id, jid, nick, autojoin, subject FROM rooms WHERE account_id = ? AND jid = ?",
        )
        .bind(account_id)
        .bind(jid)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Remembers the room subject (XEP-0045 §8.1).
    pub async fn set_room_subject(
        &self,
        account_id: i64,
        jid: &str,
        subject: Option<&str>,
    ) -> Result<(), EngineError> {
        sqlx::query("UPDATE rooms SET subject = ? WHERE account_id = ? AND jid = ?")
            .bind(subject)
            .bind(account_id)
            .bind(jid)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How a room notifies: `all`, `mentions` (the default) or `none`.
    pub async fn room_notify(&self, account_id: i64, room: &str) -> Result<String, EngineError> {
        let mode: Option<Option<String>> = sqlx::query_scalar(
            "SELECT notify FROM conversation_settings WHERE account_id = ? AND peer = ?",
        )
        .bind(account_id)
        .bind(room)
        .fetch_optional(self.pool())
        .await?;
        Ok(mode.flatten().unwrap_or_else(|| "mentions".to_owned()))
    }

    /// Sets how a room notifies (`all`, `mentions`, `none`).
    pub async fn set_room_notify(
        &self,
        account_id: i64,
        room: &str,
        mode: &str,
    ) -> Result<(), EngineError> {
        sqlx::query(
            "INSERT INTO conversation_settings (account_id, peer, notify) VALUES (?, ?, ?)
             ON CONFLICT (account_id, peer) DO UPDATE SET notify = excluded.notify",
        )
        .bind(account_id)
        .bind(room)
        .bind(mode)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Stores a system line in a room's timeline (a nickname change, someone leaving, a kick,
    /// a ban, the room destroyed): state `system`, already read. Returns its row id.
    pub async fn insert_system_line(
        &self,
        account_id: i64,
        room: &str,
        text: &str,
        at: i64,
    ) -> Result<i64, EngineError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO messages (account_id, peer, outgoing, body, at, state, read, groupchat)
             VALUES (?, ?, 0, ?, ?, 'system', 1, 1) RETURNING id",
        )
        .bind(account_id)
        .bind(room)
        .bind(text)
        .bind(super::messages::whole_seconds(at))
        .fetch_one(self.pool())
        .await?)
    }

    /// The room reflected our group message (XEP-0045 §7.4): the row with this origin-id
    /// becomes `delivered` and gets the room's stanza-id. Returns its id, or `None` when it is
    /// not one of ours (e.g. sent by another client of ours).
    pub async fn mark_reflected(
        &self,
        account_id: i64,
        room: &str,
        origin_id: &str,
        stanza_id: Option<&str>,
    ) -> Result<Option<i64>, EngineError> {
        Ok(sqlx::query_scalar(
            "UPDATE messages SET state = CASE WHEN state = 'failed' THEN state ELSE 'delivered' END,
                    stanza_id = COALESCE(stanza_id, ?)
             WHERE account_id = ? AND peer = ? AND outgoing = 1 AND origin_id = ?
             RETURNING id",
        )
        .bind(stanza_id)
        .bind(account_id)
        .bind(room)
        .bind(origin_id)
        .fetch_optional(self.pool())
        .await?)
    }
}
