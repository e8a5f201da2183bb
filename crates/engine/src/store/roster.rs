//! `roster_items` and `subscription_requests` tables (RFC 6121 §2, §3).

use super::{now_ms, Store};
use crate::error::EngineError;

/// One roster item as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RosterRow {
    /// Owning account.
    pub account_id: i64,
    /// Contact bare JID.
    pub jid: String,
    /// Name the user gave the contact.
    pub name: Option<String>,
    /// `none`, `to`, `from` or `both` (RFC 6121 §2.1.2.5).
    pub subscription: String,
    /// Our own subscription request is pending (RFC 6121 §2.1.2.2).
    pub ask: bool,
    /// Groups, as a JSON array of strings.
    pub groups: String,
}

impl RosterRow {
    /// Group names decoded from the JSON column (empty when the column is malformed).
    pub fn group_names(&self) -> Vec<String> {
        serde_json::from_str(&self.groups).unwrap_or_default()
    }
}

/// An inbound subscription request not answered yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionRequestRow {
    /// Owning account.
    pub account_id: i64,
    /// Who asked, bare JID.
    pub jid: String,
    /// Text sent with the request.
    pub status: Option<String>,
    /// The nickname the request carried (XEP-0172 §4.2).
    pub nick: Option<String>,
    /// Unix ms when it arrived.
    pub received_at: i64,
}

impl Store {
    /// Replaces the whole roster of an account (full roster result) and its version, in one
    /// transaction.
    pub async fn replace_roster(
        &self,
        account_id: i64,
        items: &[RosterRow],
        ver: Option<&str>,
    ) -> Result<(), EngineError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM roster_items WHERE account_id = ?")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        for item in items {
            upsert(&mut tx, account_id, item).await?;
        }
        sqlx::query("UPDATE accounts SET roster_ver = ? WHERE id = ?")
            .bind(ver)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies one roster push (RFC 6121 §2.1.6): `remove` deletes, anything else upserts.
    pub async fn apply_roster_push(
        &self,
        account_id: i64,
        item: &RosterRow,
        ver: Option<&str>,
    ) -> Result<(), EngineError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        if item.subscription == "remove" {
            sqlx::query("DELETE FROM roster_items WHERE account_id = ? AND jid = ?")
                .bind(account_id)
                .bind(&item.jid)
                .execute(&mut *tx)
                .await?;
        } else {
            upsert(&mut tx, account_id, item).await?;
        }
        if ver.is_some() {
            sqlx::query("UPDATE accounts SET roster_ver = ? WHERE id = ?")
                .bind(ver)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored roster of an account, sorted by JID.
    pub async fn roster(&self, account_id: i64) -> Result<Vec<RosterRow>, EngineError> {
        Ok(sqlx::query_as(
            "SELECT account_id, jid, name, subscription, ask, groups
             FROM roster_items WHERE account_id = ? ORDER BY jid",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records an inbound subscription request with its text and nickname (kept until
    /// answered).
    pub async fn add_subscription_request(
        &self,
        account_id: i64,
        jid: &str,
        status: Option<&str>,
        nick: Option<&str>,
    ) -> Result<(), EngineError> {
        sqlx::query(
            "INSERT OR REPLACE INTO subscription_requests
               (account_id, jid, status, nick, received_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(account_id)
        .bind(jid)
        .bind(status)
        .bind(nick)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets an inbound subscription request (approved, denied or withdrawn).
    pub async fn remove_subscription_request(
        &self,
        account_id: i64,
        jid: &str,
    ) -> Result<(), EngineError> {
        sqlx::query("DELETE FROM subscription_requests WHERE account_id = ? AND jid = ?")
            .bind(account_id)
            .bind(jid)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Pending inbound subscription requests of an account, oldest first.
    pub async fn subscription_requests(
        &self,
        account_id: i64,
    ) -> Result<Vec<SubscriptionRequestRow>, EngineError> {
        Ok(sqlx::query_as(
            "SELECT account_id, jid, status, nick, received_at FROM subscription_requests
             WHERE account_id = ? ORDER BY received_at",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?)
    }
}

async fn upsert(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    account_id: i64,
    item: &RosterRow,
) -> Result<(), EngineError> {
    sqlx::query(
        "INSERT INTO roster_items (account_id, jid, name, subscription, ask, groups)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, jid) DO UPDATE SET
           name = excluded.name, subscription = excluded.subscription,
           ask = excluded.ask, groups = excluded.groups",
    )
    .bind(account_id)
    .bind(&item.jid)
    .bind(&item.name)
    .bind(&item.subscription)
    .bind(item.ask)
    .bind(&item.groups)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
