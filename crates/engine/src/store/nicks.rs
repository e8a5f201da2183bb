//! User nicknames (schema 19, XEP-0172): the one each JID publishes.

use std::collections::HashMap;

use super::Store;
use crate::error::EngineError;

impl Store {
    /// Makes `nick` the nickname of bare JID `jid` on the account (`None`: forgets it).
    /// Returns whether that changed anything.
    pub async fn set_nick(
        &self,
        account_id: i64,
        jid: &str,
        nick: Option<&str>,
    ) -> Result<bool, EngineError> {
        let done = match nick {
            Some(nick) => {
                sqlx::query(
                    "INSERT INTO nicks (account_id, jid, nick) VALUES (?, ?, ?)
                     ON CONFLICT (account_id, jid) DO UPDATE SET nick = excluded.nick
                     WHERE nicks.nick <> excluded.nick",
                )
                .bind(account_id)
                .bind(jid)
                .bind(nick)
                .execute(self.pool())
                .await?
            }
            None => {
                sqlx::query("DELETE FROM nicks WHERE account_id = ? AND jid = ?")
                    .bind(account_id)
                    .bind(jid)
                    .execute(self.pool())
                    .await?
            }
        };
        Ok(done.rows_affected() > 0)
    }

    /// The nickname bare JID `jid` publishes, if known.
    pub async fn nick_of(&self, account_id: i64, jid: &str) -> Result<Option<String>, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT nick FROM nicks WHERE account_id = ? AND jid = ?")
                .bind(account_id)
                .bind(jid)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Every known nickname on the account: bare JID → nickname.
    pub async fn nicks(&self, account_id: i64) -> Result<HashMap<String, String>, EngineError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT jid, nick FROM nicks WHERE account_id = ?")
                .bind(account_id)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().collect())
    }
}
