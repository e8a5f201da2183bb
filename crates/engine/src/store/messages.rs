//! `messages` table: both directions, with send state, stanza-id and origin-id (XEP-0359).

use super::row_ids::{IdSource, RowIds};
use super::rows::COLUMNS;
use super::{MessageRow, MessageState, NewMessage, Store};
use crate::error::EngineError;

impl Store {
    /// Inserts a message unless one with the same stanza-id or origin-id is already stored for
    /// this conversation. Returns the new row, or `None` for a duplicate.
    pub async fn insert_message(
        &self,
        m: &NewMessage<'_>,
    ) -> Result<Option<MessageRow>, EngineError> {
        let mut conn = self.pool().acquire().await?;
        insert_one(&mut conn, m, None).await
    }

    /// Stores one page of archived or forwarded messages (XEP-0313 / XEP-0280) in one
    /// transaction: each is inserted unless a copy with the same stanza-id or origin-id is
    /// stored; an archived copy of one of our own messages still in the outbox marks it `sent`
    /// (the server has it, so it must not be sent again) and records its stanza-id. When
    /// `archive` is given as `(name, last_id)`, the catch-up position is saved in the same
    /// transaction. `ids` says which row ids the new rows take (see [`RowIds`]), so that
    /// messages with equal timestamps (servers stamp whole seconds) still sort in archive
    /// order.
    /// Returns `(peer, row id)` of every new or changed row, in page order.
    pub async fn store_page(
        &self,
        account_id: i64,
        page: &[NewMessage<'_>],
        archive: Option<(&str, &str)>,
        ids: RowIds,
    ) -> Result<Vec<(String, i64)>, EngineError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let mut changed = Vec::new();
        let lowest: Option<i64> = if ids == RowIds::Older {
            sqlx::query_scalar("SELECT MIN(id) FROM messages")
                .fetch_one(&mut *tx)
                .await?
        } else {
            None
        };
        let mut next_id = IdSource::new(ids, lowest, page.len());
        for m in page {
            // Taken for every row, so `RowIds::Reserved`'s count is in page rows.
            let id = next_id.take();
            if m.amend.is_some() {
                if let Some(id) = super::amend::apply(&mut tx, m).await? {
                    changed.push((m.peer.to_owned(), id));
                }
                continue;
            }
            if let Some(row) = insert_one(&mut tx, m, id).await? {
                changed.push((row.peer, row.id));
                continue;
            }
            if let (true, Some(origin_id)) = (m.outgoing, m.origin_id) {
                let reconciled: Option<i64> = sqlx::query_scalar(
                    "UPDATE messages SET state = 'sent', error = NULL,
                            stanza_id = COALESCE(stanza_id, ?)
                     WHERE account_id = ? AND peer = ? AND outgoing = 1 AND origin_id = ?
                       AND state IN ('pending', 'failed')
                     RETURNING id",
                )
                .bind(m.stanza_id)
                .bind(m.account_id)
                .bind(m.peer)
                .bind(origin_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(id) = reconciled {
                    changed.push((m.peer.to_owned(), id));
                }
            }
        }
        if let Some((archive, last_id)) = archive {
            sqlx::query(
                "INSERT INTO archive_sync (account_id, archive, last_id) VALUES (?, ?, ?)
                 ON CONFLICT (account_id, archive) DO UPDATE SET last_id = excluded.last_id",
            )
            .bind(account_id)
            .bind(archive)
            .bind(last_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The newest archive id (XEP-0313 stanza-id) stored from `archive` (`""` = the account's
    /// own archive), or `None` before the first catch-up.
    pub async fn archive_last_id(
        &self,
        account_id: i64,
        archive: &str,
    ) -> Result<Option<String>, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT last_id FROM archive_sync WHERE account_id = ? AND archive = ?",
        )
        .bind(account_id)
        .bind(archive)
        .fetch_optional(self.pool())
        .await?)
    }

    /// A receipt (XEP-0184) for our message with stanza id `message_id` sent to `peer`:
    /// `pending`/`sent` become `delivered` (a later `displayed` is kept). Returns the row id
    /// when the state changed.
    pub async fn mark_delivered(
        &self,
        account_id: i64,
        peer: &str,
        message_id: &str,
    ) -> Result<Option<i64>, EngineError> {
        Ok(sqlx::query_scalar(
            "UPDATE messages SET state = 'delivered', error = NULL
             WHERE account_id = ? AND peer = ? AND outgoing = 1 AND message_id = ?
               AND state IN ('pending', 'sent', 'failed')
             RETURNING id",
        )
        .bind(account_id)
        .bind(peer)
        .bind(message_id)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .next())
    }

    /// A displayed marker (XEP-0333 §3) for our message `message_id` to `peer`: that message
    /// and our earlier ones in the conversation that reached the server become `displayed`.
    /// Returns the changed row ids.
    pub async fn mark_displayed(
        &self,
        account_id: i64,
        peer: &str,
        message_id: &str,
    ) -> Result<Vec<i64>, EngineError> {
        Ok(sqlx::query_scalar(
            "UPDATE messages SET state = 'displayed', error = NULL
             WHERE account_id = ? AND peer = ? AND outgoing = 1
               AND id <= (SELECT MAX(id) FROM messages
                          WHERE account_id = ? AND peer = ? AND outgoing = 1 AND message_id = ?)
               AND (state IN ('sent', 'delivered') OR message_id = ?)
               AND state <> 'displayed'
             RETURNING id",
        )
        .bind(account_id)
        .bind(peer)
        .bind(account_id)
        .bind(peer)
        .bind(message_id)
        .bind(message_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// The stanza id of the newest message from `peer` that asked for chat markers
    /// (XEP-0333), the one a `<displayed/>` names.
    pub async fn last_markable(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<Option<String>, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT message_id FROM messages
             WHERE account_id = ? AND peer = ? AND outgoing = 0 AND markable = 1
               AND message_id IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )
        .bind(account_id)
        .bind(peer)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Puts one of our failed messages back in the outbox (`pending`, error cleared). Returns
    /// the row when it was failed; `None` when it is not ours or not failed.
    pub async fn requeue_failed(&self, id: i64) -> Result<Option<MessageRow>, EngineError> {
        let sql = format!(
            "UPDATE messages SET state = 'pending', error = NULL
             WHERE id = ? AND outgoing = 1 AND state = 'failed'
             RETURNING {COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }
}

/// A message time as stored: whole seconds (in ms). Servers stamp delayed and archived
/// messages (XEP-0203) in whole seconds; mixing that with millisecond arrival times misorders
/// messages within a second. Within a second, messages sort by arrival (row id).
pub(super) fn whole_seconds(at_ms: i64) -> i64 {
    at_ms - at_ms.rem_euclid(1000)
}

/// `INSERT … ON CONFLICT DO NOTHING` of one message on a connection (or inside a
/// transaction); `id` `None` takes the next row id. A reply (XEP-0461) is linked to the
/// answered message when that is stored.
async fn insert_one(
    conn: &mut sqlx::SqliteConnection,
    m: &NewMessage<'_>,
    id: Option<i64>,
) -> Result<Option<MessageRow>, EngineError> {
    let (reply_row, reply_quote) = super::amend::reply_target(conn, m).await?;
    let sql = format!(
        "INSERT INTO messages (id, account_id, peer, outgoing, body, stanza_id, origin_id, message_id, at, state, read, markable, groupchat, sender,
                               occupant_id, reply_to_id, reply_to_jid, reply_to_row, reply_quote, encryption,
                               omemo_jid, omemo_device, file_name, file_size, file_type, file_url, file_path, file_sha256,
                               file_transfer, file_transfer_sid, file_transfer_reason, file_keep_metadata)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING
         RETURNING {COLUMNS}"
    );
    let inserted: Option<MessageRow> = sqlx::query_as(&sql)
        .bind(id)
        .bind(m.account_id)
        .bind(m.peer)
        .bind(m.outgoing)
        .bind(m.body)
        .bind(m.stanza_id)
        .bind(m.origin_id)
        .bind(m.message_id)
        .bind(whole_seconds(m.at))
        .bind(m.state.as_str())
        .bind(m.read)
        .bind(m.markable)
        .bind(m.groupchat)
        .bind(m.sender)
        .bind(m.occupant_id)
        .bind(m.reply.map(|r| r.0))
        .bind(m.reply.and_then(|r| r.1))
        .bind(reply_row)
        .bind(reply_quote)
        .bind(m.encryption)
        .bind(m.omemo_device.map(|d| d.0))
        .bind(m.omemo_device.map(|d| i64::from(d.1)))
        .bind(m.file.map(|f| f.name.as_str()))
        .bind(m.file.and_then(|f| f.size))
        .bind(m.file.and_then(|f| f.media_type.as_deref()))
        .bind(m.file.and_then(|f| f.url.as_deref()))
        .bind(m.file.and_then(|f| f.path.as_deref()))
        .bind(m.file.and_then(|f| f.sha256.as_deref()))
        .bind(
            m.file
                .and_then(|f| f.transfer.as_ref())
                .map(|t| t.state.as_str()),
        )
        .bind(
            m.file
                .and_then(|f| f.transfer.as_ref())
                .map(|t| t.sid.as_str()),
        )
        .bind(
            m.file
                .and_then(|f| f.transfer.as_ref())
                .and_then(|t| t.reason.as_deref()),
        )
        .bind(m.file.is_some_and(|f| f.keep_metadata))
        .fetch_optional(&mut *conn)
        .await?;
    if let (Some(row), Some(image)) = (&inserted, m.image) {
        super::files::insert_image(conn, row.id, image).await?;
    }
    Ok(inserted)
}

impl Store {
    /// One message by row id.
    pub async fn message(&self, id: i64) -> Result<Option<MessageRow>, EngineError> {
        let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = ?");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The messages of one account with these row ids, in time order (`at`, then row id),
    /// with their reactions.
    pub async fn messages_by_id(
        &self,
        account_id: i64,
        ids: &[i64],
    ) -> Result<Vec<MessageRow>, EngineError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT {COLUMNS} FROM messages
             WHERE account_id = ? AND id IN (SELECT value FROM json_each(?))
             ORDER BY at, id"
        );
        let mut rows = sqlx::query_as(&sql)
            .bind(account_id)
            .bind(ids)
            .fetch_all(self.pool())
            .await?;
        self.attach_reactions(&mut rows).await?;
        Ok(rows)
    }

    /// A page of a conversation in time order (`at`, then row id): up to `limit` messages
    /// older than the message with row id `before` (the newest when `None`), returned oldest
    /// first. History fetched later (XEP-0313) sorts by its timestamps, not by arrival.
    pub async fn messages(
        &self,
        account_id: i64,
        peer: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<MessageRow>, EngineError> {
        let sql = format!(
            "SELECT * FROM (SELECT {COLUMNS} FROM messages
               WHERE account_id = ?2 AND peer = ?3
                 AND (at, id) < (COALESCE((SELECT at FROM messages WHERE id = ?1), {MAX}),
                                 COALESCE((SELECT id FROM messages WHERE id = ?1), {MAX}))
               ORDER BY at DESC, id DESC LIMIT ?4)
             ORDER BY at, id",
            MAX = i64::MAX
        );
        let mut rows = sqlx::query_as(&sql)
            .bind(before)
            .bind(account_id)
            .bind(peer)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        self.attach_reactions(&mut rows).await?;
        Ok(rows)
    }

    /// The oldest archive id (XEP-0313 stanza-id) stored in a conversation, where history
    /// fetching continues backwards; `None` when no message there came with one.
    pub async fn oldest_stanza_id(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<Option<String>, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT stanza_id FROM messages
             WHERE account_id = ? AND peer = ? AND stanza_id IS NOT NULL
             ORDER BY at, id LIMIT 1",
        )
        .bind(account_id)
        .bind(peer)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The time of the newest stored one-to-one message of an account (unix ms): where a
    /// catch-up by time starts when our archive position is gone (XEP-0313).
    pub async fn newest_direct_at(&self, account_id: i64) -> Result<Option<i64>, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(at) FROM messages
             WHERE account_id = ? AND groupchat = 0 AND state <> 'system'",
        )
        .bind(account_id)
        .fetch_one(self.pool())
        .await?)
    }

    /// The time of the oldest stored message of a conversation (unix ms), `None` when empty.
    pub async fn oldest_at(&self, account_id: i64, peer: &str) -> Result<Option<i64>, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT MIN(at) FROM messages WHERE account_id = ? AND peer = ?")
                .bind(account_id)
                .bind(peer)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Sets the send state (and error text) of one of our messages.
    pub async fn set_message_state(
        &self,
        id: i64,
        state: MessageState,
        error: Option<&str>,
    ) -> Result<(), EngineError> {
        sqlx::query("UPDATE messages SET state = ?, error = ? WHERE id = ?")
            .bind(state.as_str())
            .bind(error)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Our server acknowledged the message (XEP-0198): `pending` becomes `sent`; a receipt or
    /// marker that arrived first is kept. Returns whether the state changed.
    pub async fn mark_sent(&self, id: i64) -> Result<bool, EngineError> {
        let done =
            sqlx::query("UPDATE messages SET state = 'sent' WHERE id = ? AND state = 'pending'")
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Finds our outgoing message by the stanza `id` we sent it with (for error stanzas and
    /// receipts). Returns its row id.
    pub async fn outgoing_by_message_id(
        &self,
        account_id: i64,
        message_id: &str,
    ) -> Result<Option<i64>, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM messages WHERE account_id = ? AND outgoing = 1 AND message_id = ?",
        )
        .bind(account_id)
        .bind(message_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Our messages still waiting to be sent, oldest first (the outbox).
    pub async fn pending_messages(&self, account_id: i64) -> Result<Vec<MessageRow>, EngineError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM messages WHERE account_id = ? AND state = 'pending' ORDER BY id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(account_id)
            .fetch_all(self.pool())
            .await?)
    }

    /// Number of messages stored in one conversation.
    pub async fn count_messages(&self, account_id: i64, peer: &str) -> Result<i64, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE account_id = ? AND peer = ?")
                .bind(account_id)
                .bind(peer)
                .fetch_one(self.pool())
                .await?,
        )
    }
}
