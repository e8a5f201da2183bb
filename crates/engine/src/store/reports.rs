//! What a spam report (XEP-0377) names: the stanza-ids of a sender's latest messages.

use super::Store;
use crate::error::EngineError;

impl Store {
    /// The XEP-0359 stanza-ids our server gave the newest `limit` messages `peer` sent us,
    /// newest first (only messages that have one).
    pub async fn received_stanza_ids(
        &self,
        account_id: i64,
        peer: &str,
        limit: u32,
    ) -> Result<Vec<String>, EngineError> {
        Ok(sqlx::query_scalar(
            "SELECT stanza_id FROM messages
             WHERE account_id = ? AND peer = ? AND outgoing = 0 AND stanza_id IS NOT NULL
             ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(account_id)
        .bind(peer)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
