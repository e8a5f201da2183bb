//! Full-text search over stored message bodies (SQLite FTS5, migration 0008) and the
//! messages around a hit.

use sqlx::Row;

use super::rows::COLUMNS;
use super::{MessageRow, Store};
use crate::error::EngineError;

/// Marks the start of a matched term in [`SearchHit::snippet`] (U+0002).
pub const MATCH_START: char = '\u{2}';
/// Marks the end of a matched term in [`SearchHit::snippet`] (U+0003).
pub const MATCH_END: char = '\u{3}';

/// One message that matched a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// The message.
    pub message: MessageRow,
    /// Plain text around the match, each matched term between [`MATCH_START`] and
    /// [`MATCH_END`], cut text marked with "…".
    pub snippet: String,
}

/// The FTS5 query for what a person typed: every word must occur (in any order), the last
/// one as a prefix (so results follow typing). Words are quoted, so FTS5 operators and
/// punctuation typed by the user are plain text; `None` when nothing searchable is left.
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    let (last, rest) = words.split_last()?;
    let mut query = rest.join(" ");
    if !query.is_empty() {
        query.push(' ');
    }
    query.push_str(last);
    query.push('*');
    Some(query)
}

impl Store {
    /// Messages whose body matches `typed` (see [`fts_query`]), newest first (by arrival), at
    /// most `limit`: of one account when `account_id` is given, of one conversation when
    /// `peer` is too. Retracted messages and system lines never match.
    ///
    /// Errors: store errors.
    pub async fn search(
        &self,
        account_id: Option<i64>,
        peer: Option<&str>,
        typed: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>, EngineError> {
        let Some(query) = fts_query(typed) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {COLUMNS}, hits.snippet AS snippet FROM
               (SELECT rowid AS hit,
                       snippet(messages_fts, 0, char(2), char(3), '…', 16) AS snippet
                  FROM messages_fts WHERE messages_fts MATCH ?1) AS hits
             JOIN messages ON messages.id = hits.hit
             WHERE (?2 IS NULL OR account_id = ?2) AND (?3 IS NULL OR peer = ?3)
               AND retracted = 0 AND state <> 'system'
             ORDER BY hits.hit DESC LIMIT ?4"
        );
        let rows = sqlx::query(&sql)
            .bind(query)
            .bind(account_id)
            .bind(peer)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        let mut hits = Vec::with_capacity(rows.len());
        for row in rows {
            let message = <MessageRow as sqlx::FromRow<_>>::from_row(&row)?;
            let snippet: String = row.try_get("snippet")?;
            hits.push(SearchHit { message, snippet });
        }
        let mut messages: Vec<MessageRow> = hits.iter().map(|h| h.message.clone()).collect();
        self.attach_reactions(&mut messages).await?;
        for (hit, message) in hits.iter_mut().zip(messages) {
            hit.message = message;
        }
        Ok(hits)
    }

    /// The size of the search index's data in bytes (FTS5's `_data` table), for benchmarks.
    ///
    /// Errors: store errors.
    pub async fn search_index_bytes(&self) -> Result<i64, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(SUM(length(block)), 0) FROM messages_fts_data")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Up to `limit` messages newer than the message with row id `after` in one
    /// conversation, oldest first (time order, as [`Store::messages`]).
    ///
    /// Errors: store errors.
    pub async fn messages_after(
        &self,
        account_id: i64,
        peer: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<MessageRow>, EngineError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM messages
             WHERE account_id = ?2 AND peer = ?3
               AND (at, id) > ((SELECT at FROM messages WHERE id = ?1), ?1)
             ORDER BY at, id LIMIT ?4"
        );
        let mut rows = sqlx::query_as(&sql)
            .bind(after)
            .bind(account_id)
            .bind(peer)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        self.attach_reactions(&mut rows).await?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_words_become_a_quoted_query_with_a_prefix_last() {
        assert_eq!(
            fts_query("lunch tomo").as_deref(),
            Some("\"lunch\" \"tomo\"*")
        );
        assert_eq!(fts_query("  ").as_deref(), None);
        assert_eq!(fts_query("-- ** ()").as_deref(), None, "punctuation only");
        assert_eq!(
            fts_query("say \"hi\" OR NEAR(").as_deref(),
            Some("\"say\" \"\"\"hi\"\"\" \"OR\" \"NEAR(\"*"),
            "operators and quotes are text"
        );
    }
}
