//! Per-account login memory (table `account_login`): the XEP-0388 client id and the SASL
//! policy ([`LoginPolicy`]).

use super::Store;
use crate::account::sasl::LoginPolicy;
use crate::error::EngineError;

impl Store {
    /// The account's login policy and client id; a first call makes the client id (UUID v4)
    /// and keeps it.
    ///
    /// Errors: [`EngineError::Store`] on a database failure; a client id that does not parse
    /// is replaced.
    pub async fn login_settings(
        &self,
        account_id: i64,
    ) -> Result<(LoginPolicy, uuid::Uuid), EngineError> {
        sqlx::query(
            "INSERT INTO account_login (account_id, client_id) VALUES (?, ?)
             ON CONFLICT (account_id) DO NOTHING",
        )
        .bind(account_id)
        .bind(uuid::Uuid::new_v4().to_string())
        .execute(self.pool())
        .await?;
        let (client_id, scram_seen, allow_plain): (String, bool, bool) = sqlx::query_as(
            "SELECT client_id, scram_seen, allow_plain FROM account_login WHERE account_id = ?",
        )
        .bind(account_id)
        .fetch_one(self.pool())
        .await?;
        let client_id = match uuid::Uuid::parse_str(&client_id) {
            Ok(id) => id,
            Err(_) => {
                let id = uuid::Uuid::new_v4();
                sqlx::query("UPDATE account_login SET client_id = ? WHERE account_id = ?")
                    .bind(id.to_string())
                    .bind(account_id)
                    .execute(self.pool())
                    .await?;
                id
            }
        };
        Ok((
            LoginPolicy {
                allow_plain,
                scram_seen,
            },
            client_id,
        ))
    }

    /// Whether the user allows PLAIN for the account (read only: `false` before any
    /// [`Self::login_settings`]).
    pub async fn allows_plain(&self, account_id: i64) -> Result<bool, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT allow_plain FROM account_login WHERE account_id = ?")
                .bind(account_id)
                .fetch_optional(self.pool())
                .await?
                .unwrap_or(false),
        )
    }

    /// Records that the account's server offered SCRAM (never cleared).
    pub async fn set_scram_seen(&self, account_id: i64) -> Result<(), EngineError> {
        self.login_settings(account_id).await?;
        sqlx::query("UPDATE account_login SET scram_seen = 1 WHERE account_id = ?")
            .bind(account_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets that the server offered SCRAM: the account now points at another server (the
    /// user changed its host or port), whose offer is its own.
    pub async fn clear_scram_seen(&self, account_id: i64) -> Result<(), EngineError> {
        sqlx::query("UPDATE account_login SET scram_seen = 0 WHERE account_id = ?")
            .bind(account_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Whether the user allows PLAIN (inside verified TLS) for the account.
    pub async fn set_allow_plain(&self, account_id: i64, allow: bool) -> Result<(), EngineError> {
        self.login_settings(account_id).await?;
        sqlx::query("UPDATE account_login SET allow_plain = ? WHERE account_id = ?")
            .bind(allow)
            .bind(account_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
