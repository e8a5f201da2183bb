//! Avatars (schema 18): pictures by the SHA-1 of what their owner published, and which one
//! each JID shows (XEP-0084 §4, XEP-0153 §3).

use std::collections::HashMap;

use super::Store;
use crate::error::EngineError;

impl Store {
    /// Whether the picture with SHA-1 `hash` (40 hex digits, lower case) is here.
    pub async fn has_avatar_image(&self, hash: &str) -> Result<bool, EngineError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM avatar_images WHERE hash = ?")
            .bind(hash)
            .fetch_optional(self.pool())
            .await?;
        Ok(found.is_some())
    }

    /// The PNG kept for SHA-1 `hash`, if any.
    pub async fn avatar_image(&self, hash: &str) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT png FROM avatar_images WHERE hash = ?")
                .bind(hash)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Keeps `png` as the picture whose published bytes hash to `hash`.
    pub async fn set_avatar_image(&self, hash: &str, png: &[u8]) -> Result<(), EngineError> {
        sqlx::query("INSERT OR REPLACE INTO avatar_images (hash, png) VALUES (?, ?)")
            .bind(hash)
            .bind(png)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Makes bare JID `jid` show the picture `hash` (`None`: no avatar). Returns whether that
    /// changed anything.
    pub async fn set_avatar(
        &self,
        account_id: i64,
        jid: &str,
        hash: Option<&str>,
    ) -> Result<bool, EngineError> {
        let done = match hash {
            Some(hash) => {
                sqlx::query(
                    "INSERT INTO avatars (account_id, jid, hash) VALUES (?, ?, ?)
                     ON CONFLICT (account_id, jid) DO UPDATE SET hash = excluded.hash
                     WHERE avatars.hash <> excluded.hash",
                )
                .bind(account_id)
                .bind(jid)
                .bind(hash)
                .execute(self.pool())
                .await?
            }
            None => {
                sqlx::query("DELETE FROM avatars WHERE account_id = ? AND jid = ?")
                    .bind(account_id)
                    .bind(jid)
                    .execute(self.pool())
                    .await?
            }
        };
        Ok(done.rows_affected() > 0)
    }

    /// The picture bare JID `jid` shows on the account, by hash.
    pub async fn avatar_of(
        &self,
        account_id: i64,
        jid: &str,
    ) -> Result<Option<String>, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT hash FROM avatars WHERE account_id = ? AND jid = ?")
                .bind(account_id)
                .bind(jid)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Every JID with an avatar on the account: bare JID → hash.
    pub async fn avatars(&self, account_id: i64) -> Result<HashMap<String, String>, EngineError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT jid, hash FROM avatars WHERE account_id = ?")
                .bind(account_id)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().collect())
    }
}
