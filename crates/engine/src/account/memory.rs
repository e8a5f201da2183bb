//! What an account's logins teach, kept across runs: that its server offered SCRAM (the
//! store's `account_login`, [`super::sasl::LoginPolicy`]) and its FAST tokens (XEP-0484, the
//! credential provider: the OS keyring in the app).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::login::LoginReport;
use super::sasl::FastToken;
use crate::store::Store;

/// One account's login memory.
pub(super) struct LoginMemory {
    account_id: i64,
    store: Store,
    /// To the one task that writes tokens, one after the other, so a "forget" and the
    /// "keep" after it never swap.
    token_writes: mpsc::UnboundedSender<Option<FastToken>>,
}

impl LoginMemory {
    /// Starts the account's token writer (each write on the blocking pool: a keyring may
    /// block).
    pub fn new(
        credentials: Arc<dyn crate::CredentialProvider>,
        store: Store,
        account_id: i64,
        jid: String,
    ) -> Self {
        let (token_writes, mut rx) = mpsc::unbounded_channel::<Option<FastToken>>();
        tokio::spawn(async move {
            while let Some(token) = rx.recv().await {
                let (credentials, jid) = (credentials.clone(), jid.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    if let Err(e) = credentials.set_fast_token(account_id, &jid, token.as_ref()) {
                        tracing::warn!(account = account_id, "FAST token not kept: {e}");
                    }
                })
                .await;
            }
        });
        LoginMemory {
            account_id,
            store,
            token_writes,
        }
    }

    /// Keeps what a login taught: SCRAM seen for the first time, a new FAST token.
    pub fn keep(&self, report: LoginReport, scram_newly_seen: bool) {
        let account_id = self.account_id;
        tracing::info!(
            account = account_id,
            mechanism = %report.mechanism,
            sasl2 = report.sasl2,
            round_trips = report.round_trips,
            "logged in"
        );
        if scram_newly_seen {
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.set_scram_seen(account_id).await {
                    tracing::warn!(account = account_id, "SCRAM seen not kept: {e}");
                }
            });
        }
        if let Some(token) = report.new_token {
            let _ = self.token_writes.send(Some(token));
        }
    }

    /// Forgets the FAST token (the server refused it).
    pub fn forget_token(&self) {
        let _ = self.token_writes.send(None);
    }
}
