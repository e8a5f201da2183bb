//! Search over stored history (SQLite FTS5) and the messages around a hit.

use crate::*;

impl Engine {
    /// Messages matching what the user typed (every word, the last as a prefix), newest
    /// first, at most `limit` (capped at 200): over every account, one account, or one
    /// conversation with `peer` (a bare JID, a room, or room/nick) of that account.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad `peer`; [`EngineError::NotFound`] for
    /// a `peer` without `account_id`; store errors.
    pub async fn search_messages(
        &self,
        account_id: Option<i64>,
        peer: Option<&str>,
        typed: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>, EngineError> {
        let peer = match (account_id, peer) {
            (Some(account), Some(peer)) => {
                Some(self.conversation_jid(account, peer).await?.to_string())
            }
            (None, Some(_)) => {
                return Err(EngineError::NotFound(
                    "a conversation to search needs its account".into(),
                ))
            }
            (_, None) => None,
        };
        self.inner
            .store
            .search(account_id, peer.as_deref(), typed, limit.min(200))
            .await
    }

    /// The message with row id `id` in its context: up to `limit` (capped at 200) messages
    /// before it, the message, and up to `limit` after it, oldest first.
    ///
    /// Errors: [`EngineError::NotFound`] when the message is not in this conversation;
    /// [`EngineError::InvalidJid`]; store errors.
    pub async fn messages_around(
        &self,
        account_id: i64,
        peer: &str,
        id: i64,
        limit: u32,
    ) -> Result<Vec<MessageRow>, EngineError> {
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        let limit = limit.min(200);
        let store = &self.inner.store;
        let mut found = store.messages_by_id(account_id, &[id]).await?;
        let Some(hit) = found.pop().filter(|m| m.peer == peer) else {
            return Err(EngineError::NotFound(format!("message {id} in {peer}")));
        };
        let mut rows = store.messages(account_id, &peer, Some(id), limit).await?;
        rows.push(hit);
        rows.extend(store.messages_after(account_id, &peer, id, limit).await?);
        Ok(rows)
    }
}
