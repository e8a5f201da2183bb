//! Accounts: adding, removing, enabling, connection settings, certificates, and the actor
//! each enabled account runs.

use crate::*;

impl Engine {
    /// Adds an account (the caller stores its password first) and connects it.
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::AccountExists`].
    pub async fn add_account(&self, new: NewAccount) -> Result<AccountView, EngineError> {
        let jid = parse_jid(&new.jid)?;
        let bare = jid.to_bare().to_string();
        let resource = jid.resource().map(|r| r.to_string());
        let host = new.host.as_deref().map(str::trim).filter(|h| !h.is_empty());
        let row = self
            .inner
            .store
            .insert_account(&bare, resource.as_deref(), host, new.port, new.direct_tls)
            .await?;
        self.emit(EngineEvent::AccountsChanged);
        self.connect(row.id).await?;
        self.account(row.id).await
    }

    /// Disconnects and deletes an account with all its data. A FAST token (XEP-0484) is
    /// first revoked on the server (best effort, up to 10 s) and forgotten.
    pub async fn remove_account(&self, account_id: i64) -> Result<(), EngineError> {
        self.disconnect(account_id).await;
        if let Ok(account) = self.inner.store.account(account_id).await {
            self.revoke_token(&account).await;
        }
        self.inner.store.delete_account(account_id).await?;
        if let Ok(mut states) = self.inner.states.lock() {
            states.remove(&account_id);
        }
        self.emit(EngineEvent::AccountsChanged);
        Ok(())
    }

    /// Has the server forget the account's FAST token, then forgets it here. A server that
    /// cannot be reached keeps it until it expires; that is logged, not an error.
    async fn revoke_token(&self, account: &crate::store::AccountRow) {
        let credentials = &self.inner.credentials;
        let Ok(Some(token)) = credentials.fast_token(account.id, &account.jid) else {
            return;
        };
        if let (Ok(bare), Ok((_, client_id)), Ok(pins)) = (
            parse_bare_jid(&account.jid),
            self.inner.store.login_settings(account.id).await,
            self.inner.store.pinned_certificates(account.id).await,
        ) {
            let target = self.target_of(account, &bare);
            let revoke =
                account::login::revoke_token(&target, &token, client_id, &self.inner.trust, &pins);
            match tokio::time::timeout(std::time::Duration::from_secs(10), revoke).await {
                Ok(Ok(())) => tracing::info!(account = account.id, "FAST token revoked"),
                Ok(Err(e)) => tracing::info!(account = account.id, "FAST token not revoked: {e}"),
                Err(_) => tracing::info!(account = account.id, "FAST token not revoked: no answer"),
            }
        }
        if let Err(e) = credentials.set_fast_token(account.id, &account.jid, None) {
            tracing::warn!(account = account.id, "FAST token not forgotten: {e}");
        }
    }

    /// Enables (connects) or disables (disconnects) an account; remembered across restarts.
    pub async fn set_account_enabled(
        &self,
        account_id: i64,
        enabled: bool,
    ) -> Result<(), EngineError> {
        self.inner.store.account(account_id).await?;
        self.inner
            .store
            .set_account_enabled(account_id, enabled)
            .await?;
        if enabled {
            self.connect(account_id).await?;
        } else {
            self.disconnect(account_id).await;
        }
        self.emit(EngineEvent::AccountsChanged);
        Ok(())
    }

    /// Changes an account's connection settings (host/port override, XEP-0368 direct TLS) and
    /// reconnects it when enabled. An empty host means "look up SRV records".
    ///
    /// Errors: [`EngineError::UnknownAccount`].
    pub async fn update_account(
        &self,
        account_id: i64,
        settings: ConnectionSettings,
    ) -> Result<AccountView, EngineError> {
        let host = settings
            .host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty());
        let proxy = settings
            .proxy
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if let Some(text) = proxy {
            let parsed =
                crate::account::proxy::Proxy::parse(text).map_err(EngineError::InvalidProxy)?;
            if parsed.has_credentials() {
                return Err(EngineError::InvalidProxy(
                    "Linnet keeps passwords only in the system keyring, so an account's proxy \
                     cannot carry one. Use a proxy without a password here, or set ALL_PROXY \
                     for all accounts."
                        .into(),
                ));
            }
        }
        let before = self.inner.store.account(account_id).await?;
        self.inner
            .store
            .set_account_connection(account_id, host, settings.port, settings.direct_tls)
            .await?;
        if before.host.as_deref() != host || before.port != settings.port.map(i64::from) {
            // Another server: the SCRAM it offers (or not) is learnt afresh.
            self.inner.store.clear_scram_seen(account_id).await?;
        }
        if let Some(allow) = settings.allow_plain {
            self.inner.store.set_allow_plain(account_id, allow).await?;
        }
        self.inner
            .store
            .set_account_proxy(account_id, proxy)
            .await?;
        if before.enabled {
            self.connect(account_id).await?;
        }
        self.emit(EngineEvent::AccountsChanged);
        self.account(account_id).await
    }

    /// Reconnects an enabled account (after a password change or a fatal error).
    pub async fn reconnect(&self, account_id: i64) -> Result<(), EngineError> {
        self.connect(account_id).await
    }

    /// Trusts a certificate for one account (SHA-256 of its DER, hex) and reconnects.
    pub async fn trust_certificate(
        &self,
        account_id: i64,
        sha256: &str,
        subject: Option<&str>,
    ) -> Result<(), EngineError> {
        let clean: String = sha256.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        if clean.len() != 64 {
            return Err(EngineError::Server(
                "a SHA-256 fingerprint has 64 hex digits".into(),
            ));
        }
        self.inner
            .store
            .pin_certificate(account_id, &clean, subject)
            .await?;
        self.connect(account_id).await
    }

    /// Where and how to connect `account` (its resource, host and port overrides, the
    /// engine's DNS and proxy).
    fn target_of(&self, account: &crate::store::AccountRow, bare: &BareJid) -> ConnectTarget {
        let jid = match &account.resource {
            Some(r) => Jid::new(&format!("{}/{}", account.jid, r))
                .unwrap_or_else(|_| Jid::from(bare.clone())),
            None => Jid::from(bare.clone()),
        };
        ConnectTarget {
            jid,
            host: account.host.clone(),
            port: account.port.and_then(|p| u16::try_from(p).ok()),
            direct_tls: account.direct_tls,
            dns: self.inner.dns,
            // The account's own proxy, else the system's; one that cannot be read stops the
            // connection rather than going out without it.
            proxy: match account.proxy.as_deref() {
                Some(text) => Some(
                    crate::account::proxy::Proxy::parse(text)
                        .unwrap_or_else(crate::account::proxy::Proxy::unusable),
                ),
                None => self.inner.proxy.clone(),
            },
        }
    }

    /// (Re)starts the actor of an account.
    pub(crate) async fn connect(&self, account_id: i64) -> Result<(), EngineError> {
        self.disconnect(account_id).await;
        let account = self.inner.store.account(account_id).await?;
        let credentials = &self.inner.credentials;
        // A kept FAST token logs in without the password (XEP-0484); a token that cannot
        // be read only costs the password login.
        let token = credentials
            .fast_token(account_id, &account.jid)
            .unwrap_or_else(|e| {
                tracing::warn!(account = account_id, "FAST token not read: {e}");
                None
            });
        let password = match credentials.password(account_id, &account.jid) {
            Ok(password) => password,
            Err(_) if token.is_some() => None,
            Err(e) => {
                self.set_offline_state(
                    account_id,
                    ConnectionState::Error {
                        code: e.code(),
                        message: e.to_string(),
                        cert: None,
                    },
                );
                return Ok(());
            }
        };
        if password.is_none() && token.is_none() {
            self.set_offline_state(
                account_id,
                ConnectionState::Error {
                    code: ErrorCode::PasswordMissing,
                    message: "No password is stored for this account. Enter it again.".into(),
                    cert: None,
                },
            );
            return Ok(());
        }
        let (policy, client_id) = self.inner.store.login_settings(account_id).await?;
        let bare = parse_bare_jid(&account.jid)?;
        let target = self.target_of(&account, &bare);
        let pins = self.inner.store.pinned_certificates(account_id).await?;
        let handle = account::spawn(AccountSetup {
            account_id,
            jid: bare,
            target,
            secret: Secret {
                password,
                token,
                client_id,
            },
            policy,
            credentials: self.inner.credentials.clone(),
            roots: self.inner.trust.clone(),
            pins,
            store: self.inner.store.clone(),
            events: self.inner.events.clone(),
            presence: self.inner.presence.clone(),
            muc: self.inner.muc.clone(),
            notify: self.inner.notify.clone(),
            transfers: self.inner.transfers.clone(),
            self_ping_idle: self.inner.self_ping_idle,
            own_presence: account.own_presence(),
        });
        self.inner.accounts.lock().await.insert(account_id, handle);
        Ok(())
    }

    fn set_offline_state(&self, account_id: i64, state: ConnectionState) {
        if let Ok(mut states) = self.inner.states.lock() {
            states.insert(account_id, state.clone());
        }
        self.emit(EngineEvent::AccountState { account_id, state });
    }

    pub(crate) async fn disconnect(&self, account_id: i64) {
        let handle = self.inner.accounts.lock().await.remove(&account_id);
        if let Some(handle) = handle {
            let (done, wait) = oneshot::channel();
            if handle.commands.send(Command::Stop(done)).is_ok() {
                let _ = wait.await;
            }
        }
        if let Ok(mut states) = self.inner.states.lock() {
            states.remove(&account_id);
        }
    }

    /// Stops every account (closing streams cleanly) and closes the store.
    pub async fn shutdown(&self) {
        let ids: Vec<i64> = self.inner.accounts.lock().await.keys().copied().collect();
        for id in ids {
            self.disconnect(id).await;
        }
        self.inner.store.close().await;
    }

    /// Current connection state of an account.
    pub async fn state(&self, account_id: i64) -> ConnectionState {
        if let Some(handle) = self.inner.accounts.lock().await.get(&account_id) {
            if let Ok(state) = handle.state.lock() {
                return state.clone();
            }
        }
        self.inner
            .states
            .lock()
            .ok()
            .and_then(|s| s.get(&account_id).cloned())
            .unwrap_or(ConnectionState::Offline)
    }

    /// Every account with its connection state.
    pub async fn accounts(&self) -> Result<Vec<AccountView>, EngineError> {
        let rows = self.inner.store.accounts().await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let state = self.state(row.id).await;
            let avatar = self.inner.store.avatar_of(row.id, &row.jid).await?;
            let route = self.route(row.id).await;
            let allow_plain = self.inner.store.allows_plain(row.id).await?;
            out.push(AccountView::new(row, state, avatar, route, allow_plain));
        }
        Ok(out)
    }

    /// One account with its connection state.
    ///
    /// Errors: [`EngineError::UnknownAccount`].
    pub async fn account(&self, account_id: i64) -> Result<AccountView, EngineError> {
        let row = self.inner.store.account(account_id).await?;
        let state = self.state(account_id).await;
        let avatar = self.inner.store.avatar_of(account_id, &row.jid).await?;
        let route = self.route(account_id).await;
        let allow_plain = self.inner.store.allows_plain(account_id).await?;
        Ok(AccountView::new(row, state, avatar, route, allow_plain))
    }

    /// How the account's last connection was made (`AccountView::connected_via`).
    async fn route(&self, account_id: i64) -> Option<crate::account::resolve::Route> {
        let accounts = self.inner.accounts.lock().await;
        let handle = accounts.get(&account_id)?;
        handle.route.lock().ok().and_then(|r| r.clone())
    }

    /// Our full JID on the account as the server bound it (RFC 6120 §7), e.g.
    /// `alice@example.org/linnet-3f2a`; `None` before the first session.
    pub fn bound_jid(&self, account_id: i64) -> Option<String> {
        self.inner
            .transfers
            .bound(account_id)
            .map(|j| j.to_string())
    }
}
