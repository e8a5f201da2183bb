//! Accounts on the server (XEP-0077): creating one from a server's sign-up form, changing its
//! password, deleting it.

use crate::account::connector::ConnectTarget;
use crate::account::registration::{self, OpenForm};
use crate::features::register::{self, RegistrationForm, RegistrationServer};
use crate::*;

impl Engine {
    /// Connects to `server` (TLS verified, no login) and asks for its sign-up form (XEP-0077
    /// §3.1). The connection stays open for [`Engine::register`] for up to 10 minutes.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad domain; [`EngineError::Network`] in words
    /// (unreachable, untrusted certificate); [`EngineError::Server`] in words when the server
    /// offers no sign-up (e.g. registration switched off) or has nothing to fill in.
    pub async fn registration_form(
        &self,
        server: RegistrationServer,
    ) -> Result<RegistrationForm, EngineError> {
        let domain = server.domain.trim().trim_start_matches('@').to_owned();
        let jid = Jid::new(&domain)
            .ok()
            .filter(|j| j.node().is_none() && j.resource().is_none())
            .ok_or_else(|| EngineError::InvalidJid {
                input: server.domain.clone(),
                reason: "a server's name is a domain, like example.org".into(),
            })?;
        let target = ConnectTarget {
            jid,
            host: server
                .host
                .as_deref()
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_owned),
            port: server.port,
            direct_tls: server.direct_tls,
            dns: self.inner.dns,
            proxy: self.inner.proxy.clone(),
        };
        let mut stream = registration::connect(&target, &self.inner.trust).await?;
        let answer = registration::exchange(&mut stream, register::form_request()).await?;
        let payload = answer.map_err(|e| EngineError::Server(register::refusal(&e)))?;
        let form = register::read_form(payload.as_ref()).map_err(EngineError::Server)?;
        if form.registered {
            return Err(EngineError::Server(
                "The server says this connection already has an account.".into(),
            ));
        }
        let session = features::new_id();
        self.inner
            .registrations
            .keep(
                session.clone(),
                OpenForm {
                    target,
                    shape: form.shape,
                    stream,
                    opened: tokio::time::Instant::now(),
                },
            )
            .await;
        Ok(RegistrationForm {
            session,
            domain,
            title: form.title,
            instructions: form.instructions,
            fields: form.fields,
        })
    }

    /// Submits the sign-up form of `session` with `values` (XEP-0077 §3.1, §6) and returns the
    /// new account (`username@domain` and the connection settings the form was fetched with),
    /// for the caller to store its password and [`Engine::add_account`] it. A refused form can
    /// be corrected and submitted again on the same session.
    ///
    /// Errors: [`EngineError::NotFound`] when the session expired or is unknown (fetch the form
    /// again); [`EngineError::Server`] in words (user name taken, a field missing);
    /// [`EngineError::Network`] when the connection failed; [`EngineError::InvalidJid`] when
    /// the user name makes no valid JID.
    pub async fn register(
        &self,
        session: &str,
        values: Vec<FieldValues>,
    ) -> Result<NewAccount, EngineError> {
        let mut form = self
            .inner
            .registrations
            .take(session)
            .await
            .ok_or_else(|| {
                EngineError::NotFound("The sign-up form expired. Get it again.".into())
            })?;
        let domain = form.target.jid.domain().as_str().to_owned();
        let username = register::username_of(&values)
            .ok_or_else(|| EngineError::Server("Choose a user name.".into()))?;
        let jid = parse_jid(&format!("{username}@{domain}"))?;
        let answer =
            registration::exchange(&mut form.stream, register::submission(&form.shape, values))
                .await?;
        if let Err(e) = answer {
            let words = register::refusal(&e);
            self.inner
                .registrations
                .keep(session.to_owned(), form)
                .await;
            return Err(EngineError::Server(words));
        }
        tracing::info!("registered {jid} on the server");
        Ok(NewAccount {
            jid: jid.to_string(),
            host: form.target.host,
            port: form.target.port,
            direct_tls: form.target.direct_tls,
        })
    }

    /// Abandons the sign-up form of `session` (the user went back or chose another server):
    /// its connection is closed now rather than when it expires. Unknown sessions are ignored.
    pub async fn cancel_registration(&self, session: &str) {
        self.inner.registrations.drop_form(session).await;
    }

    /// Changes the account's password on the server (XEP-0077 §3.3). The caller stores the new
    /// password and reconnects with it.
    ///
    /// Errors: [`EngineError::NotConnected`] when offline; [`EngineError::Server`] when the
    /// server refuses.
    pub async fn change_password(
        &self,
        account_id: i64,
        password: &str,
    ) -> Result<(), EngineError> {
        if password.is_empty() {
            return Err(EngineError::Server("The new password is empty.".into()));
        }
        let jid = parse_jid(&self.inner.store.account(account_id).await?.jid)?;
        let username = jid.node().map(|n| n.to_string()).unwrap_or_default();
        self.request(account_id, register::password_change(&username, password))
            .await?;
        Ok(())
    }

    /// Deletes the account on the server (XEP-0077 §3.2), then here with all its data
    /// ([`Engine::remove_account`]). The caller forgets its password.
    ///
    /// Errors: [`EngineError::NotConnected`] when offline; [`EngineError::Server`] when the
    /// server refuses (then nothing is removed here).
    pub async fn delete_account_on_server(&self, account_id: i64) -> Result<(), EngineError> {
        self.request(account_id, register::removal()).await?;
        self.remove_account(account_id).await
    }
}
