//! Linnet's engine: everything XMPP, with no GUI dependency.
//!
//! [`Engine`] owns the store and one actor per enabled account. The shell calls its methods
//! and forwards [`EngineEvent`]s from [`Engine::subscribe`] to the UI. Passwords come from a
//! [`CredentialProvider`] (the OS keyring in the desktop app) and never touch the store.

pub mod account;
mod error;
mod event;
pub mod features;
pub mod store;
mod view;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, oneshot};
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::presence::Presence;

pub use account::connector::{fingerprint, TrustRoots};
pub use error::{EngineError, ErrorCode};
pub use event::{CertificateInfo, ConnectionState, EngineEvent};
pub use features::mam::HistoryPage;
pub use features::muc::{Occupant, RoomNotify, RoomState};
pub use features::presence::{PresenceInfo, Show};
pub use features::room_config::{FieldValues, FormField, FormOption, RoomConfigForm};
pub use store::RoomRow;
pub use store::{
    ConversationRow, MessageRow, RosterRow, Store, StoreOptions, SubscriptionRequestRow,
};
pub use view::{AccountView, Contact};

use account::connector::ConnectTarget;
use account::{AccountHandle, AccountSetup, Command};
use features::presence::PresenceBook;
use features::roster::{roster_remove, roster_set};
use store::{now_ms, NewMessage};

/// Supplies account passwords. The desktop shell backs it with the OS keyring.
pub trait CredentialProvider: Send + Sync {
    /// The password for `jid`, `Ok(None)` when none is stored.
    ///
    /// Errors: [`EngineError::Credentials`] when the store cannot be reached.
    fn password(&self, account_id: i64, jid: &str) -> Result<Option<String>, EngineError>;
}

/// How long [`Engine`] requests wait for the server's answer.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Engine settings.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// Where the database lives.
    pub store: StoreOptions,
    /// Roots trusted beside the system's (tests use their own CA).
    pub trust: TrustRoots,
    /// Silence after which a joined room is asked whether we are still in it (XEP-0410
    /// self-ping); `None` is [`features::self_ping::DEFAULT_IDLE`] (5 minutes).
    pub muc_self_ping_idle: Option<std::time::Duration>,
}

/// A new account as the user typed it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewAccount {
    /// The JID, bare or with a resource.
    pub jid: String,
    /// Host override (skips SRV lookup).
    pub host: Option<String>,
    /// Port override.
    pub port: Option<u16>,
    /// XEP-0368 direct TLS.
    #[serde(default)]
    pub direct_tls: bool,
}

/// Connection settings of an existing account, for [`Engine::update_account`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ConnectionSettings {
    /// Host override (skips SRV lookup); `None` or blank looks up SRV records.
    pub host: Option<String>,
    /// Port override.
    pub port: Option<u16>,
    /// XEP-0368 direct TLS.
    #[serde(default)]
    pub direct_tls: bool,
}

struct Inner {
    store: Store,
    events: broadcast::Sender<EngineEvent>,
    presence: Arc<PresenceBook>,
    muc: Arc<features::muc::MucBook>,
    credentials: Arc<dyn CredentialProvider>,
    trust: TrustRoots,
    self_ping_idle: std::time::Duration,
    accounts: tokio::sync::Mutex<HashMap<i64, AccountHandle>>,
    /// Last state of accounts without a running actor (errors survive the actor).
    states: Mutex<HashMap<i64, ConnectionState>>,
}

/// The engine. Cheap to clone; all clones share the same accounts and store.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Parses and normalises a JID typed by the user (RFC 7622).
///
/// Errors: [`EngineError::InvalidJid`] naming what is wrong.
pub fn parse_jid(input: &str) -> Result<Jid, EngineError> {
    let trimmed = input.trim();
    let jid = Jid::new(trimmed).map_err(|e| EngineError::InvalidJid {
        input: input.to_owned(),
        reason: e.to_string(),
    })?;
    if jid.node().is_none() {
        return Err(EngineError::InvalidJid {
            input: input.to_owned(),
            reason: "it needs a user part, as in user@example.org".into(),
        });
    }
    Ok(jid)
}

/// Parses a contact's bare JID. Errors: [`EngineError::InvalidJid`].
pub fn parse_bare_jid(input: &str) -> Result<BareJid, EngineError> {
    BareJid::new(input.trim()).map_err(|e| EngineError::InvalidJid {
        input: input.to_owned(),
        reason: e.to_string(),
    })
}

impl Engine {
    /// Opens the store and connects every enabled account.
    ///
    /// Errors: [`EngineError::Store`] / [`EngineError::Migrate`] when the database cannot be opened.
    pub async fn start(
        config: EngineConfig,
        credentials: Arc<dyn CredentialProvider>,
    ) -> Result<Self, EngineError> {
        let store = Store::open(&config.store).await?;
        let (events, _) = broadcast::channel(4096);
        let engine = Self {
            inner: Arc::new(Inner {
                store,
                events,
                presence: Arc::new(PresenceBook::default()),
                muc: Arc::default(),
                credentials,
                trust: config.trust,
                self_ping_idle: config
                    .muc_self_ping_idle
                    .unwrap_or(features::self_ping::DEFAULT_IDLE),
                accounts: tokio::sync::Mutex::new(HashMap::new()),
                states: Mutex::new(HashMap::new()),
            }),
        };
        for account in engine.inner.store.accounts().await? {
            if account.enabled {
                engine.connect(account.id).await?;
            }
        }
        Ok(engine)
    }

    /// Events from now on. A receiver that falls behind by more than 4096 events gets
    /// `RecvError::Lagged` and should reload its views.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    /// The store, for reads the shell makes directly.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The conversation key for what the user addressed: a bare JID, or an occupant's full JID
    /// (room/nick) for a private message in a room we joined (XEP-0045 §7.5).
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad JID, or a full JID outside our rooms.
    async fn conversation_jid(&self, account_id: i64, input: &str) -> Result<Jid, EngineError> {
        let jid = parse_jid(input)?;
        if jid.resource().is_none() {
            return Ok(Jid::from(jid.to_bare()));
        }
        let room = jid.to_bare().to_string();
        if self.inner.store.room(account_id, &room).await?.is_some() {
            Ok(jid)
        } else {
            Ok(Jid::from(jid.to_bare()))
        }
    }

    fn emit(&self, event: EngineEvent) {
        let _ = self.inner.events.send(event);
    }

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
        self.account_view(row.id).await
    }

    /// Disconnects and deletes an account with all its data.
    pub async fn remove_account(&self, account_id: i64) -> Result<(), EngineError> {
        self.disconnect(account_id).await;
        self.inner.store.delete_account(account_id).await?;
        if let Ok(mut states) = self.inner.states.lock() {
            states.remove(&account_id);
        }
        self.emit(EngineEvent::AccountsChanged);
        Ok(())
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
        self.inner
            .store
            .set_account_connection(account_id, host, settings.port, settings.direct_tls)
            .await?;
        if self.inner.store.account(account_id).await?.enabled {
            self.connect(account_id).await?;
        }
        self.emit(EngineEvent::AccountsChanged);
        self.account_view(account_id).await
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

    /// (Re)starts the actor of an account.
    async fn connect(&self, account_id: i64) -> Result<(), EngineError> {
        self.disconnect(account_id).await;
        let account = self.inner.store.account(account_id).await?;
        let password = match self.inner.credentials.password(account_id, &account.jid) {
            Ok(Some(p)) => p,
            Ok(None) => {
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
        let bare = parse_bare_jid(&account.jid)?;
        let jid = match &account.resource {
            Some(r) => Jid::new(&format!("{}/{}", account.jid, r))
                .unwrap_or_else(|_| Jid::from(bare.clone())),
            None => Jid::from(bare.clone()),
        };
        let target = ConnectTarget {
            jid,
            host: account.host.clone(),
            port: account.port.and_then(|p| u16::try_from(p).ok()),
            direct_tls: account.direct_tls,
        };
        let pins = self.inner.store.pinned_certificates(account_id).await?;
        let handle = account::spawn(AccountSetup {
            account_id,
            jid: bare,
            target,
            password,
            roots: self.inner.trust.clone(),
            pins,
            store: self.inner.store.clone(),
            events: self.inner.events.clone(),
            presence: self.inner.presence.clone(),
            muc: self.inner.muc.clone(),
            self_ping_idle: self.inner.self_ping_idle,
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

    async fn disconnect(&self, account_id: i64) {
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

    async fn send_command(&self, account_id: i64, command: Command) -> Result<(), EngineError> {
        let accounts = self.inner.accounts.lock().await;
        let handle = accounts.get(&account_id).ok_or(EngineError::NotConnected)?;
        handle
            .commands
            .send(command)
            .map_err(|_| EngineError::NotConnected)
    }

    /// Stores a chat message as pending, then sends it when the account is online (now or
    /// after reconnecting). Returns the stored row.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad recipient, store errors. Never fails
    /// because the account is offline: the message waits in the outbox.
    pub async fn send_message(
        &self,
        account_id: i64,
        to: &str,
        body: &str,
    ) -> Result<MessageRow, EngineError> {
        self.inner.store.account(account_id).await?;
        // Bare: a contact or (a joined room) a group message, XEP-0045 §7.4; room/nick: a
        // private message to an occupant, §7.5.
        let peer = self.conversation_jid(account_id, to).await?.to_string();
        let groupchat = self.inner.store.room(account_id, &peer).await?.is_some();
        let origin_id = features::new_id();
        let new = NewMessage {
            account_id,
            peer: &peer,
            outgoing: true,
            body,
            stanza_id: None,
            origin_id: Some(&origin_id),
            message_id: Some(&origin_id),
            at: now_ms(),
            state: "pending",
            read: true,
            markable: false,
            groupchat,
            sender: None,
        };
        let row = self
            .inner
            .store
            .insert_message(&new)
            .await?
            .ok_or_else(|| EngineError::Server("duplicate origin-id".into()))?;
        self.emit(EngineEvent::MessagesChanged {
            account_id,
            peer,
            ids: vec![row.id],
            live: false,
        });
        // Offline is fine: the outbox is sent on the next session start.
        let _ = self
            .send_command(account_id, Command::SendMessage(row.id))
            .await;
        Ok(row)
    }

    /// A page of a conversation, oldest first; see [`Store::messages`].
    pub async fn messages(
        &self,
        account_id: i64,
        peer: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<MessageRow>, EngineError> {
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        self.inner
            .store
            .messages(account_id, &peer, before, limit.min(500))
            .await
    }

    /// Fetches the page of older messages of one conversation from our archive (XEP-0313,
    /// `with` = `peer`, before the oldest archived message we hold) and stores it; the rows
    /// are announced as `MessagesChanged` like any others. Call it when the user scrolls past
    /// what [`Self::messages`] returns.
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::NotConnected`] when the account is
    /// offline, [`EngineError::Server`] when the server refuses or has no archive (30 s timeout).
    pub async fn fetch_history(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<HistoryPage, EngineError> {
        self.inner.store.account(account_id).await?;
        let peer = self.conversation_jid(account_id, peer).await?;
        let (reply, answer) = oneshot::channel();
        self.send_command(account_id, Command::FetchHistory(peer, reply))
            .await?;
        match tokio::time::timeout(std::time::Duration::from_secs(30), answer).await {
            Ok(Ok(page)) => page,
            Ok(Err(_)) => Err(EngineError::NotConnected),
            Err(_) => Err(EngineError::Server(
                "the server did not answer the history request within 30 s".into(),
            )),
        }
    }

    /// Joins a room (XEP-0045 §7.2) as `nick` now if online, and on every connect; the room
    /// is remembered. Progress, occupants and errors (e.g. the nickname is taken) arrive as
    /// `RoomChanged`; its messages as `MessagesChanged` with `peer` = the room. Messages sent
    /// to the room with [`Self::send_message`] go out as group messages.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad room address or a nickname that is not a
    /// valid resource (RFC 7622), unknown account, store errors.
    pub async fn join_room(
        &self,
        account_id: i64,
        room: &str,
        nick: &str,
    ) -> Result<(), EngineError> {
        self.join_room_with_options(account_id, room, nick, None, false)
            .await
    }

    /// Like [`Self::join_room`], with the room's password (§7.2.6) when it has one, and
    /// `configure_first`: should this join create the room, it stays locked (nobody else can
    /// enter) until its configuration form is submitted with [`Self::set_room_config`]
    /// (§10.1.3; [`RoomState::awaiting_configuration`] meanwhile); otherwise a new room is
    /// accepted as an instant room. The password is kept in memory for rejoins while the app
    /// runs, never stored nor logged; after a restart the room says it needs one again.
    ///
    /// Errors: as [`Self::join_room`].
    pub async fn join_room_with_options(
        &self,
        account_id: i64,
        room: &str,
        nick: &str,
        password: Option<String>,
        configure_first: bool,
    ) -> Result<(), EngineError> {
        let room = parse_bare_jid(room)?;
        let nick = nick.trim();
        if nick.is_empty() || room.with_resource_str(nick).is_err() {
            return Err(EngineError::InvalidJid {
                input: nick.to_owned(),
                reason: "not a usable nickname".into(),
            });
        }
        self.inner.store.account(account_id).await?;
        self.inner
            .store
            .upsert_room(account_id, room.as_str(), nick)
            .await?;
        let _ = self
            .send_command(
                account_id,
                Command::JoinRoom {
                    room,
                    nick: nick.to_owned(),
                    password: password
                        .filter(|p| !p.is_empty())
                        .map(features::muc::RoomPassword),
                    configure_first,
                },
            )
            .await;
        self.emit(EngineEvent::ConversationsChanged);
        Ok(())
    }

    /// Leaves a room (§7.14) and forgets it; its messages stay.
    ///
    /// Errors: [`EngineError::InvalidJid`], store errors.
    pub async fn leave_room(&self, account_id: i64, room: &str) -> Result<(), EngineError> {
        let room = parse_bare_jid(room)?;
        self.inner
            .store
            .remove_room(account_id, room.as_str())
            .await?;
        let _ = self
            .send_command(account_id, Command::LeaveRoom(room))
            .await;
        Ok(())
    }

    /// Invites `jid` to a room we are in: mediated through the room (XEP-0045 §7.8.2), or with
    /// `direct`, straight to them (XEP-0249, with the room's password if we joined with one),
    /// which reaches clients or servers that drop invitations coming from rooms.
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::NotConnected`] when offline.
    pub async fn invite_to_room(
        &self,
        account_id: i64,
        room: &str,
        jid: &str,
        reason: Option<String>,
        direct: bool,
    ) -> Result<(), EngineError> {
        let room = parse_bare_jid(room)?;
        let to = parse_bare_jid(jid)?;
        let (done, answer) = oneshot::channel();
        self.send_command(
            account_id,
            Command::Invite {
                room,
                to,
                reason: reason.filter(|r| !r.trim().is_empty()),
                direct,
                done,
            },
        )
        .await?;
        answer.await.map_err(|_| EngineError::NotConnected)?
    }

    /// Sends an IQ request and waits (up to [`REQUEST_TIMEOUT`]) for the answer's payload.
    ///
    /// Errors: [`EngineError::NotConnected`] when offline or the answer does not come in time,
    /// [`EngineError::Server`] with the error's defined condition (e.g. `forbidden`).
    async fn request(
        &self,
        account_id: i64,
        iq: tokio_xmpp::parsers::iq::Iq,
    ) -> Result<Option<tokio_xmpp::minidom::Element>, EngineError> {
        let (done, answer) = oneshot::channel();
        self.send_command(account_id, Command::Request(Box::new(iq), done))
            .await?;
        match tokio::time::timeout(REQUEST_TIMEOUT, answer).await {
            Ok(Ok(result)) => result,
            _ => Err(EngineError::NotConnected),
        }
    }

    /// The configuration form of a room we own (XEP-0045 §10.2).
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::NotConnected`],
    /// [`EngineError::Server`] in words (say, only owners may configure the room).
    pub async fn room_config(
        &self,
        account_id: i64,
        room: &str,
    ) -> Result<features::room_config::RoomConfigForm, EngineError> {
        use features::room_config::{owner_query, parse_config, refusal};
        let room = parse_bare_jid(room)?;
        let iq = tokio_xmpp::parsers::iq::Iq::Get {
            from: None,
            to: Some(room.into()),
            id: features::new_id(),
            payload: owner_query(None),
        };
        match self.request(account_id, iq).await {
            Ok(payload) => parse_config(payload),
            Err(EngineError::Server(condition)) => Err(EngineError::Server(refusal(&condition))),
            Err(e) => Err(e),
        }
    }

    /// Submits a room's configuration form with these values (XEP-0045 §10.2); fields not
    /// given keep their value.
    ///
    /// Errors: as [`Self::room_config`].
    pub async fn set_room_config(
        &self,
        account_id: i64,
        room: &str,
        fields: Vec<features::room_config::FieldValues>,
    ) -> Result<(), EngineError> {
        use features::room_config::{owner_query, refusal, submit_form};
        let room = parse_bare_jid(room)?;
        let iq = tokio_xmpp::parsers::iq::Iq::Set {
            from: None,
            to: Some(room.clone().into()),
            id: features::new_id(),
            payload: owner_query(Some(submit_form(fields))),
        };
        match self.request(account_id, iq).await {
            Ok(_) => {
                if self.inner.muc.configured(account_id, room.as_str()) {
                    self.emit(EngineEvent::RoomChanged {
                        account_id,
                        room: room.to_string(),
                    });
                }
                Ok(())
            }
            Err(EngineError::Server(condition)) => Err(EngineError::Server(refusal(&condition))),
            Err(e) => Err(e),
        }
    }

    /// Sets when a room's messages notify (all, mentions of our nickname, none).
    ///
    /// Errors: [`EngineError::InvalidJid`], unknown account, store errors.
    pub async fn set_room_notify(
        &self,
        account_id: i64,
        room: &str,
        mode: RoomNotify,
    ) -> Result<(), EngineError> {
        let room = parse_bare_jid(room)?;
        self.inner.store.account(account_id).await?;
        self.inner
            .store
            .set_room_notify(account_id, room.as_str(), mode.as_str())
            .await?;
        self.emit(EngineEvent::RoomChanged {
            account_id,
            room: room.to_string(),
        });
        Ok(())
    }

    /// When a room's messages notify.
    pub async fn room_notify(
        &self,
        account_id: i64,
        room: &str,
    ) -> Result<RoomNotify, EngineError> {
        Ok(RoomNotify::parse(
            &self.inner.store.room_notify(account_id, room).await?,
        ))
    }

    /// One stored room of an account, `None` when it is not one of them.
    ///
    /// Errors: store errors.
    pub async fn stored_room(
        &self,
        account_id: i64,
        room: &str,
    ) -> Result<Option<RoomRow>, EngineError> {
        self.inner.store.room(account_id, room).await
    }

    /// The rooms of an account (stored; rejoined on connect).
    pub async fn rooms(&self, account_id: i64) -> Result<Vec<RoomRow>, EngineError> {
        self.inner.store.rooms(account_id).await
    }

    /// Live state of a room: joined, our nickname, subject, occupants, error.
    pub fn room(&self, account_id: i64, room: &str) -> RoomState {
        self.inner.muc.state(account_id, room)
    }

    /// Conversations by last activity.
    pub async fn conversations(&self) -> Result<Vec<ConversationRow>, EngineError> {
        self.inner.store.conversations().await
    }

    /// Mutes or unmutes desktop notifications for one conversation; remembered across restarts.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad `peer`.
    pub async fn set_muted(
        &self,
        account_id: i64,
        peer: &str,
        muted: bool,
    ) -> Result<(), EngineError> {
        self.inner.store.account(account_id).await?;
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        self.inner.store.set_muted(account_id, &peer, muted).await?;
        self.emit(EngineEvent::ConversationsChanged);
        Ok(())
    }

    /// Marks a conversation read: the user has it on screen. When something was unread and
    /// the partner asked for chat markers, a `<displayed/>` for their newest markable message
    /// is sent (XEP-0333 §3) if the account is online.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad `peer`, store errors.
    pub async fn mark_read(&self, account_id: i64, peer: &str) -> Result<(), EngineError> {
        let jid = self.conversation_jid(account_id, peer).await?;
        let peer = jid.to_string();
        if self.inner.store.mark_read(account_id, &peer).await? == 0 {
            return Ok(());
        }
        if let Some(id) = self.inner.store.last_markable(account_id, &peer).await? {
            let marker = features::chat::displayed_marker(jid, id);
            // Offline: the marker is simply not sent (it is not worth an outbox entry).
            let _ = self
                .send_command(account_id, Command::Send(Box::new(marker.into())))
                .await;
        }
        Ok(())
    }

    /// Sends one of our failed messages again: it goes back to the outbox as `pending` (same
    /// origin-id, XEP-0359) and out when the account is online.
    ///
    /// Errors: [`EngineError::NotFound`] when `message_id` is not a failed message of ours on
    /// this account; store errors.
    pub async fn retry_message(&self, account_id: i64, message_id: i64) -> Result<(), EngineError> {
        let row = match self.inner.store.message(message_id).await? {
            Some(row) if row.account_id == account_id => row,
            _ => return Err(EngineError::NotFound(format!("message {message_id}"))),
        };
        let Some(row) = self.inner.store.requeue_failed(row.id).await? else {
            return Err(EngineError::NotFound(format!(
                "failed message {message_id}"
            )));
        };
        self.emit(EngineEvent::MessagesChanged {
            account_id,
            peer: row.peer.clone(),
            ids: vec![row.id],
            live: false,
        });
        let _ = self
            .send_command(account_id, Command::SendMessage(row.id))
            .await;
        Ok(())
    }

    /// Adds or updates a contact (roster set, RFC 6121 §2.3) and asks for their presence
    /// (RFC 6121 §3.1.1). Requires the account to be online.
    pub async fn add_contact(
        &self,
        account_id: i64,
        jid: &str,
        name: Option<String>,
        groups: Vec<String>,
    ) -> Result<(), EngineError> {
        let bare = parse_bare_jid(jid)?;
        self.roster_set(account_id, roster_set(bare.clone(), name, groups))
            .await?;
        self.presence_to(account_id, bare, Presence::subscribe())
            .await
    }

    /// Renames or regroups a contact (roster set).
    pub async fn update_contact(
        &self,
        account_id: i64,
        jid: &str,
        name: Option<String>,
        groups: Vec<String>,
    ) -> Result<(), EngineError> {
        self.roster_set(account_id, roster_set(parse_bare_jid(jid)?, name, groups))
            .await
    }

    /// Removes a contact (RFC 6121 §2.5; the server cancels subscriptions both ways).
    pub async fn remove_contact(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        self.roster_set(account_id, roster_remove(parse_bare_jid(jid)?))
            .await
    }

    async fn roster_set(
        &self,
        account_id: i64,
        roster: tokio_xmpp::parsers::roster::Roster,
    ) -> Result<(), EngineError> {
        let (done, wait) = oneshot::channel();
        self.send_command(account_id, Command::RosterSet(roster, done))
            .await?;
        match tokio::time::timeout(std::time::Duration::from_secs(30), wait).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(EngineError::NotConnected),
            Err(_) => Err(EngineError::Server("no answer within 30 s".into())),
        }
    }

    async fn presence_to(
        &self,
        account_id: i64,
        to: BareJid,
        presence: Presence,
    ) -> Result<(), EngineError> {
        let presence = presence.with_to(Jid::from(to));
        self.send_command(account_id, Command::Send(Box::new(presence.into())))
            .await
    }

    /// Asks to see a contact's presence (RFC 6121 §3.1.1).
    pub async fn request_subscription(
        &self,
        account_id: i64,
        jid: &str,
    ) -> Result<(), EngineError> {
        self.presence_to(account_id, parse_bare_jid(jid)?, Presence::subscribe())
            .await
    }

    /// Approves an inbound subscription request (RFC 6121 §3.1.4).
    pub async fn approve_subscription(
        &self,
        account_id: i64,
        jid: &str,
    ) -> Result<(), EngineError> {
        let bare = parse_bare_jid(jid)?;
        self.presence_to(account_id, bare.clone(), Presence::subscribed())
            .await?;
        self.inner
            .store
            .remove_subscription_request(account_id, bare.as_str())
            .await?;
        Ok(())
    }

    /// Denies an inbound request, or cancels a subscription we granted (RFC 6121 §3.2).
    pub async fn deny_subscription(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        let bare = parse_bare_jid(jid)?;
        self.presence_to(
            account_id,
            bare.clone(),
            Presence::new(tokio_xmpp::parsers::presence::Type::Unsubscribed),
        )
        .await?;
        self.inner
            .store
            .remove_subscription_request(account_id, bare.as_str())
            .await?;
        Ok(())
    }

    /// Stops seeing a contact's presence (RFC 6121 §3.3).
    pub async fn unsubscribe(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        self.presence_to(account_id, parse_bare_jid(jid)?, Presence::unsubscribe())
            .await
    }

    /// Pending inbound subscription requests.
    pub async fn subscription_requests(
        &self,
        account_id: i64,
    ) -> Result<Vec<SubscriptionRequestRow>, EngineError> {
        self.inner.store.subscription_requests(account_id).await
    }

    /// Sets our own presence on an account (sent now if online, and at every connect).
    pub async fn set_presence(
        &self,
        account_id: i64,
        show: Show,
        status: Option<String>,
    ) -> Result<(), EngineError> {
        self.send_command(account_id, Command::SetPresence { show, status })
            .await
    }

    /// Roster of an account with each contact's best presence, from the store (so it shows
    /// before the network answers).
    pub async fn contacts(&self, account_id: i64) -> Result<Vec<Contact>, EngineError> {
        let rows = self.inner.store.roster(account_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let presence = self.inner.presence.best(account_id, &r.jid);
                Contact::from_row(r, presence)
            })
            .collect())
    }

    /// Best presence of one contact.
    pub fn presence(&self, account_id: i64, jid: &str) -> PresenceInfo {
        self.inner.presence.best(account_id, jid)
    }

    /// Every account with its connection state.
    pub async fn accounts(&self) -> Result<Vec<AccountView>, EngineError> {
        let rows = self.inner.store.accounts().await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let state = self.state(row.id).await;
            out.push(AccountView::new(row, state));
        }
        Ok(out)
    }

    async fn account_view(&self, account_id: i64) -> Result<AccountView, EngineError> {
        let row = self.inner.store.account(account_id).await?;
        let state = self.state(account_id).await;
        Ok(AccountView::new(row, state))
    }
}
