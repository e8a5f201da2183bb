//! What messages do to earlier ones: corrections (XEP-0308) with the older texts kept,
//! retractions (XEP-0424) and moderation (XEP-0425), reactions (XEP-0444), and the answered
//! message of a reply (XEP-0461). Every change checks the author first (see [`Amend`]).

use sqlx::SqliteConnection;

use super::rows::{Amend, NewMessage, ReactionRow, COLUMNS};
use super::{now_ms, MessageRow, Store};
use crate::error::EngineError;

/// The row a message names by `id` in its conversation, with the author check of [`Amend`]:
/// `(outgoing, nick, occupant_id)` of the amending message, or `None` for a moderator.
async fn target(
    conn: &mut SqliteConnection,
    m: &NewMessage<'_>,
    id: &str,
    author: Option<(bool, Option<&str>, Option<&str>)>,
) -> Result<Option<i64>, EngineError> {
    let (check, outgoing, nick, occupant) = match author {
        Some((outgoing, nick, occupant)) => (true, outgoing, nick, occupant),
        None => (false, false, None, None),
    };
    Ok(sqlx::query_scalar(
        "SELECT id FROM messages
         WHERE account_id = ?1 AND peer = ?2 AND state <> 'system'
           AND (stanza_id = ?3 OR origin_id = ?3 OR message_id = ?3)
           AND (NOT ?4 OR (outgoing = ?5 AND (groupchat = 0 OR outgoing = 1
                OR (sender = ?6 AND (occupant_id IS NULL OR ?7 IS NULL OR occupant_id = ?7)))))
         ORDER BY id DESC LIMIT 1",
    )
    .bind(m.account_id)
    .bind(m.peer)
    .bind(id)
    .bind(check)
    .bind(outgoing)
    .bind(nick)
    .bind(occupant)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The key a reaction is stored under: the nick in rooms, the contact's bare JID for theirs
/// in one-to-one chat, `""` for ours there.
fn reaction_sender(m: &NewMessage<'_>) -> String {
    match (m.groupchat, m.outgoing) {
        (true, _) => m.sender.unwrap_or_default().to_owned(),
        (false, true) => String::new(),
        (false, false) => m.peer.to_owned(),
    }
}

/// Applies `m.amend` (which must be set) to the message it names. Returns the changed row's
/// id, `None` when there is no such message by that author or nothing changed.
pub(super) async fn apply(
    conn: &mut SqliteConnection,
    m: &NewMessage<'_>,
) -> Result<Option<i64>, EngineError> {
    let Some(amend) = &m.amend else {
        return Ok(None);
    };
    let author = Some((m.outgoing, m.sender, m.occupant_id));
    match amend {
        Amend::Correct { id } => {
            let Some(row) = target(conn, m, id, author).await? else {
                return Ok(None);
            };
            correct(conn, row, m.body).await
        }
        Amend::Retract {
            id,
            moderated,
            by,
            reason,
        } => {
            let author = if *moderated { None } else { author };
            let Some(row) = target(conn, m, id, author).await? else {
                return Ok(None);
            };
            retract(conn, row, *by, *reason).await
        }
        Amend::React { id, emojis } => {
            // Anyone in the conversation may react to any message in it.
            let Some(row) = target(conn, m, id, None).await? else {
                return Ok(None);
            };
            let sender = reaction_sender(m);
            react(conn, row, &sender, m.outgoing, emojis).await
        }
    }
}

async fn correct(
    conn: &mut SqliteConnection,
    row: i64,
    body: &str,
) -> Result<Option<i64>, EngineError> {
    let kept = sqlx::query(
        "INSERT INTO message_edits (message_row, body, replaced_at)
         SELECT id, body, ? FROM messages WHERE id = ? AND body <> ? AND retracted = 0",
    )
    .bind(now_ms())
    .bind(row)
    .bind(body)
    .execute(&mut *conn)
    .await?;
    if kept.rows_affected() == 0 {
        return Ok(None); // the same text again (a copy from the archive), or retracted
    }
    sqlx::query("UPDATE messages SET body = ?, edited = 1 WHERE id = ?")
        .bind(body)
        .bind(row)
        .execute(&mut *conn)
        .await?;
    Ok(Some(row))
}

async fn retract(
    conn: &mut SqliteConnection,
    row: i64,
    by: Option<&str>,
    reason: Option<&str>,
) -> Result<Option<i64>, EngineError> {
    let done = sqlx::query(
        "UPDATE messages SET body = '', retracted = 1, edited = 0, moderated_by = ?,
                retract_reason = ?, reply_quote = NULL, file_name = NULL, file_size = NULL,
                file_type = NULL, file_url = NULL, file_path = NULL, file_sha256 = NULL
         WHERE id = ? AND retracted = 0",
    )
    .bind(by)
    .bind(reason)
    .bind(row)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    // Its preview and thumbnail go with it (a file it shared is no longer anyone's to see).
    sqlx::query("DELETE FROM previews WHERE message_id = ?")
        .bind(row)
        .execute(&mut *conn)
        .await?;
    // Nothing of what was said stays: older texts, reactions, quotes of it in replies.
    for sql in [
        "DELETE FROM file_images WHERE message_id = ?",
        "DELETE FROM message_edits WHERE message_row = ?",
        "DELETE FROM reactions WHERE message_row = ?",
        "UPDATE messages SET reply_quote = NULL WHERE reply_to_row = ?",
    ] {
        sqlx::query(sql).bind(row).execute(&mut *conn).await?;
    }
    Ok(Some(row))
}

async fn react(
    conn: &mut SqliteConnection,
    row: i64,
    sender: &str,
    ours: bool,
    emojis: &[String],
) -> Result<Option<i64>, EngineError> {
    if emojis.is_empty() {
        sqlx::query("DELETE FROM reactions WHERE message_row = ? AND sender = ?")
            .bind(row)
            .bind(sender)
            .execute(&mut *conn)
            .await?;
        return Ok(Some(row));
    }
    let json = serde_json::to_string(emojis).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO reactions (message_row, sender, ours, emojis, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (message_row, sender) DO UPDATE SET emojis = excluded.emojis,
             ours = excluded.ours, at = excluded.at",
    )
    .bind(row)
    .bind(sender)
    .bind(ours)
    .bind(json)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(Some(row))
}

/// For a reply, the answered message's row and text when it is stored (a retracted one quotes
/// nothing): `(row, quote)`.
pub(super) async fn reply_target(
    conn: &mut SqliteConnection,
    m: &NewMessage<'_>,
) -> Result<(Option<i64>, Option<String>), EngineError> {
    let Some((id, _, fallback)) = m.reply else {
        return Ok((None, None));
    };
    let found: Option<(i64, String, bool)> = sqlx::query_as(
        "SELECT id, body, retracted FROM messages
         WHERE account_id = ?1 AND peer = ?2 AND state <> 'system'
           AND (stanza_id = ?3 OR origin_id = ?3 OR message_id = ?3)
         ORDER BY id DESC LIMIT 1",
    )
    .bind(m.account_id)
    .bind(m.peer)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match found {
        Some((row, _, true)) => (Some(row), None),
        Some((row, body, false)) => (Some(row), Some(body)),
        None => (None, fallback.map(str::to_owned)),
    })
}

impl Store {
    /// Applies one amendment (see [`Amend`]) outside a page. Returns the changed row.
    ///
    /// Errors: store errors.
    pub async fn amend(&self, m: &NewMessage<'_>) -> Result<Option<MessageRow>, EngineError> {
        let mut conn = self.pool().acquire().await?;
        let Some(id) = apply(&mut conn, m).await? else {
            return Ok(None);
        };
        drop(conn);
        self.message(id).await
    }

    /// The older texts of a corrected message (XEP-0308), oldest first: `(body, replaced at,
    /// unix ms)`.
    ///
    /// Errors: store errors.
    pub async fn message_edits(&self, row: i64) -> Result<Vec<(String, i64)>, EngineError> {
        Ok(sqlx::query_as(
            "SELECT body, replaced_at FROM message_edits WHERE message_row = ? ORDER BY rowid",
        )
        .bind(row)
        .fetch_all(self.pool())
        .await?)
    }

    /// Fills `reactions` of each row (XEP-0444), in the order senders first reacted.
    ///
    /// Errors: store errors.
    pub async fn attach_reactions(&self, rows: &mut [MessageRow]) -> Result<(), EngineError> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
        let found: Vec<(i64, String, bool, String)> = sqlx::query_as(
            "SELECT message_row, sender, ours, emojis FROM reactions
             WHERE message_row IN (SELECT value FROM json_each(?)) ORDER BY rowid",
        )
        .bind(ids)
        .fetch_all(self.pool())
        .await?;
        for (row, sender, ours, emojis) in found {
            let Ok(emojis) = serde_json::from_str::<Vec<String>>(&emojis) else {
                continue;
            };
            if let Some(r) = rows.iter_mut().find(|r| r.id == row) {
                r.reactions.push(ReactionRow {
                    sender,
                    ours,
                    emojis,
                });
            }
        }
        Ok(())
    }

    /// Our own message by row id, for correcting, retracting or reacting to it.
    ///
    /// Errors: store errors.
    pub async fn message_of(
        &self,
        account_id: i64,
        id: i64,
    ) -> Result<Option<MessageRow>, EngineError> {
        let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = ? AND account_id = ?");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .bind(account_id)
            .fetch_optional(self.pool())
            .await?)
    }
}
