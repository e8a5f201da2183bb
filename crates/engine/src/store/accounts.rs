//! `accounts` and `pinned_certs` tables.

use super::{now_ms, Store};
use crate::error::EngineError;
use crate::features::presence::Show;

/// One stored account. The password is never stored here (see [`crate::CredentialProvider`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    /// Row id, the account id used everywhere else.
    pub id: i64,
    /// Bare JID, normalised.
    pub jid: String,
    /// Requested resource; `None` lets the server assign one.
    pub resource: Option<String>,
    /// Whether the engine should keep this account connected.
    pub enabled: bool,
    /// Host override (no SRV lookup when set).
    pub host: Option<String>,
    /// Port override.
    pub port: Option<i64>,
    /// XEP-0368 direct TLS instead of STARTTLS.
    pub direct_tls: bool,
    /// XEP-0237 roster version held in `roster_items`.
    pub roster_ver: Option<String>,
    /// Our own show on this account, as `Show`'s serde name (`available`, `away`, …).
    pub own_show: String,
    /// Our own status text.
    pub own_status: Option<String>,
    /// This account's proxy URL (no password); `None` uses the system setting.
    pub proxy: Option<String>,
}

impl AccountRow {
    /// Our own presence as kept: the show (available when the column holds no known name)
    /// and the status text.
    pub fn own_presence(&self) -> (Show, Option<String>) {
        let show = serde_json::from_value(serde_json::Value::String(self.own_show.clone()))
            .unwrap_or(Show::Available);
        (show, self.own_status.clone())
    }
}

impl Store {
    /// Inserts an account. Errors with [`EngineError::AccountExists`] when the bare JID is taken.
    pub async fn insert_account(
        &self,
        jid: &str,
        resource: Option<&str>,
        host: Option<&str>,
        port: Option<u16>,
        direct_tls: bool,
    ) -> Result<AccountRow, EngineError> {
        let result = sqlx::query_as::<_, AccountRow>(
            "INSERT INTO accounts (jid, resource, enabled, host, port, direct_tls, created_at)
             VALUES (?, ?, 1, ?, ?, ?, ?)
             RETURNING id, jid, resource, enabled, host, port, direct_tls, roster_ver,
               own_show, own_status, proxy",
        )
        .bind(jid)
        .bind(resource)
        .bind(host)
        .bind(port.map(i64::from))
        .bind(direct_tls)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(EngineError::AccountExists(jid.to_owned()))
            }
            other => Ok(other?),
        }
    }

    /// Keeps our own presence on the account (sent at every connect, RFC 6121 §4.2).
    pub async fn set_own_presence(
        &self,
        account_id: i64,
        show: Show,
        status: Option<&str>,
    ) -> Result<(), EngineError> {
        let name = match serde_json::to_value(show) {
            Ok(serde_json::Value::String(name)) => name,
            _ => "available".to_owned(),
        };
        sqlx::query("UPDATE accounts SET own_show = ?, own_status = ? WHERE id = ?")
            .bind(name)
            .bind(status)
            .bind(account_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// All accounts, oldest first.
    pub async fn accounts(&self) -> Result<Vec<AccountRow>, EngineError> {
        Ok(sqlx::query_as(
            "SELECT id, jid, resource, enabled, host, port, direct_tls, roster_ver,
             own_show, own_status, proxy
             FROM accounts ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// One account; [`EngineError::UnknownAccount`] when there is none with that id.
    pub async fn account(&self, id: i64) -> Result<AccountRow, EngineError> {
        sqlx::query_as(
            "SELECT id, jid, resource, enabled, host, port, direct_tls, roster_ver,
             own_show, own_status, proxy
             FROM accounts WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(EngineError::UnknownAccount(id))
    }

    /// Sets the enabled flag.
    pub async fn set_account_enabled(&self, id: i64, enabled: bool) -> Result<(), EngineError> {
        sqlx::query("UPDATE accounts SET enabled = ? WHERE id = ?")
            .bind(enabled)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Replaces the connection settings (host and port override, XEP-0368 direct TLS).
    pub async fn set_account_connection(
        &self,
        id: i64,
        host: Option<&str>,
        port: Option<u16>,
        direct_tls: bool,
    ) -> Result<(), EngineError> {
        let done =
            sqlx::query("UPDATE accounts SET host = ?, port = ?, direct_tls = ? WHERE id = ?")
                .bind(host)
                .bind(port.map(i64::from))
                .bind(direct_tls)
                .bind(id)
                .execute(self.pool())
                .await?;
        if done.rows_affected() == 0 {
            return Err(EngineError::UnknownAccount(id));
        }
        Ok(())
    }

    /// Sets (or with `None` clears) the account's own proxy URL.
    pub async fn set_account_proxy(&self, id: i64, proxy: Option<&str>) -> Result<(), EngineError> {
        sqlx::query("UPDATE accounts SET proxy = ? WHERE id = ?")
            .bind(proxy)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Deletes an account and, through foreign keys, every row that belongs to it.
    pub async fn delete_account(&self, id: i64) -> Result<(), EngineError> {
        sqlx::query("DELETE FROM accounts WHERE id = ?")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records the XEP-0237 roster version.
    pub async fn set_roster_ver(&self, id: i64, ver: Option<&str>) -> Result<(), EngineError> {
        sqlx::query("UPDATE accounts SET roster_ver = ? WHERE id = ?")
            .bind(ver)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Trusts a certificate (SHA-256 of its DER, lowercase hex) for one account.
    pub async fn pin_certificate(
        &self,
        account_id: i64,
        sha256: &str,
        subject: Option<&str>,
    ) -> Result<(), EngineError> {
        sqlx::query(
            "INSERT OR REPLACE INTO pinned_certs (account_id, sha256, subject, pinned_at)
             VALUES (?, ?, ?, ?)",
        )
        .bind(account_id)
        .bind(sha256.to_ascii_lowercase())
        .bind(subject)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Fingerprints pinned for an account.
    pub async fn pinned_certificates(&self, account_id: i64) -> Result<Vec<String>, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT sha256 FROM pinned_certs WHERE account_id = ?")
                .bind(account_id)
                .fetch_all(self.pool())
                .await?,
        )
    }
}
