//! Accounts on the server (XEP-0077): creating one from the server's sign-up form, changing its
//! password (on the server, then in the keyring), deleting it (on the server, then here and in
//! the keyring). The engine does the protocol (`linnet_engine::Engine::register` and friends);
//! passwords pass through here into the keyring and nowhere else.

use std::sync::Arc;

use linnet_engine::features::register::password_of;
use linnet_engine::{AccountView, Engine, FieldValues, RegistrationForm, RegistrationServer};
use tauri::State;

use crate::credentials::Credentials;
use crate::error::IpcError;

type Result<T> = std::result::Result<T, IpcError>;

/// Connects to the server (TLS verified, no login) and returns its sign-up form (XEP-0077
/// §3.1) as fields, its connection kept for `register_account` for 10 minutes.
///
/// Errors: `invalid_jid` (not a domain); `network` in words (unreachable, untrusted
/// certificate); `server_error` in words (no sign-up on this server).
#[tauri::command]
pub async fn registration_form(
    engine: State<'_, Engine>,
    server: RegistrationServer,
) -> Result<RegistrationForm> {
    Ok(engine.registration_form(server).await?)
}

/// Submits the sign-up form of `session`; on success stores the chosen password (keyring, or
/// memory with `session_only`), adds the account and connects it.
///
/// Errors: `server_error` in words (user name taken, a field missing: the same session can be
/// submitted again); `not_found` when the form expired; `network`; `keyring_unavailable` after
/// the account was created on the server (call again with `session_only`: the account is then
/// added without registering twice).
#[tauri::command]
pub async fn register_account(
    engine: State<'_, Engine>,
    credentials: State<'_, Arc<Credentials>>,
    created: State<'_, Created>,
    session: String,
    values: Vec<FieldValues>,
    session_only: bool,
) -> Result<AccountView> {
    let Some(password) = password_of(&values) else {
        return Err(linnet_engine::EngineError::Server("Choose a password.".into()).into());
    };
    let account = match created.take(&session) {
        Some(account) => account,
        None => engine.register(&session, values).await?,
    };
    let jid = linnet_engine::parse_jid(&account.jid)?
        .to_bare()
        .to_string();
    if let Err(e) = credentials.store(&jid, &password, session_only) {
        // Created on the server already: kept so the session-only retry does not register again.
        created.keep(session, account);
        return Err(e.into());
    }
    drop(password);
    Ok(engine.add_account(account).await?)
}

/// Abandons the sign-up form of `session` (the user went back or chose another server), closing
/// its connection now; forgets an account created on it whose password was never stored.
#[tauri::command]
pub async fn cancel_registration(
    engine: State<'_, Engine>,
    created: State<'_, Created>,
    session: String,
) -> Result<()> {
    created.take(&session);
    engine.cancel_registration(&session).await;
    Ok(())
}

/// Accounts created on the server whose password could not be stored yet, by session.
#[derive(Default)]
pub struct Created(std::sync::Mutex<std::collections::HashMap<String, linnet_engine::NewAccount>>);

impl Created {
    fn keep(&self, session: String, account: linnet_engine::NewAccount) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(session, account);
        }
    }

    fn take(&self, session: &str) -> Option<linnet_engine::NewAccount> {
        self.0.lock().ok()?.remove(session)
    }
}

/// Changes the account's password on the server (XEP-0077 §3.3), then where it is stored
/// (keyring, or memory for a session-only account), and reconnects with it.
///
/// Errors: `not_connected`; `server_error`; `keyring_unavailable` (the server already has the
/// new password: the user is asked for it at the next sign-in).
#[tauri::command]
pub async fn change_password(
    engine: State<'_, Engine>,
    credentials: State<'_, Arc<Credentials>>,
    account_id: i64,
    password: String,
) -> Result<()> {
    let jid = engine.account(account_id).await?.jid;
    engine.change_password(account_id, &password).await?;
    credentials.store(&jid, &password, credentials.is_session_only(&jid))?;
    drop(password);
    Ok(engine.reconnect(account_id).await?)
}

/// Deletes the account on the server (XEP-0077 §3.2), then here with its data, and forgets its
/// password.
///
/// Errors: `not_connected`; `server_error` (then nothing is removed).
#[tauri::command]
pub async fn delete_account_on_server(
    engine: State<'_, Engine>,
    credentials: State<'_, Arc<Credentials>>,
    account_id: i64,
) -> Result<()> {
    let jid = engine.account(account_id).await?.jid;
    engine.delete_account_on_server(account_id).await?;
    credentials.delete(&jid);
    Ok(())
}
