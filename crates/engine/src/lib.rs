//! Linnet's engine: everything XMPP, with no GUI dependency.
//!
//! [`Engine`] owns the store and one actor per enabled account. The shell calls its methods
//! and forwards [`EngineEvent`]s from [`Engine::subscribe`] to the UI. Passwords come from a
//! [`CredentialProvider`] (the OS keyring in the desktop app) and never touch the store.

pub mod account;
mod api;
mod error;
mod event;
pub mod features;
pub mod store;
pub mod uri;
mod view;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, oneshot};
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::presence::Presence;

pub use account::connector::{fingerprint, TrustRoots};
pub use api::{
    make_preview, playable, DeviceView, MediaKind, OwnDevice, ProfileView, ResourceView,
    MAX_MEDIA_BYTES,
};
pub use error::{EngineError, ErrorCode};
pub use event::{CertificateInfo, ChatStateName, ConnectionState, EngineEvent};
pub use features::adhoc::{
    CommandAction, CommandItem, CommandNote, CommandSession, CommandStage, CommandStatus,
};
pub use features::mam::HistoryPage;
pub use features::muc::{Affiliation, Occupant, Role, RoomErrorCode, RoomNotify, RoomState};
pub use features::presence::{PresenceInfo, Show};
pub use features::profile::{Profile, ProfileSource};
pub use features::register::{RegistrationForm, RegistrationServer};
pub use features::room_config::{FieldValues, FormField, FormOption, RoomConfigForm};
pub use store::RoomRow;
pub use store::Trust;
pub use store::{
    ConversationRow, MessageRow, MessageState, ReactionRow, ReplyRef, RosterRow, SearchHit,
    SharedFile, Store, StoreOptions, SubscriptionRequestRow, Transfer, TransferState,
};
pub use view::{AccountView, Contact};

use account::connector::ConnectTarget;
use account::login::Secret;
pub use account::sasl::{FastToken, LoginPolicy};
use account::{AccountHandle, AccountSetup, Command};
use features::presence::PresenceBook;
use features::roster::{roster_remove, roster_set};

/// Supplies account passwords. The desktop shell backs it with the OS keyring.
pub trait CredentialProvider: Send + Sync {
    /// The password for `jid`, `Ok(None)` when none is stored.
    ///
    /// Errors: [`EngineError::Credentials`] when the store cannot be reached.
    fn password(&self, account_id: i64, jid: &str) -> Result<Option<String>, EngineError>;

    /// The XEP-0484 FAST token kept for `jid` (a secret like the password), `Ok(None)` when
    /// there is none. The default keeps none, so every login uses the password.
    ///
    /// Errors: [`EngineError::Credentials`] when the store cannot be reached.
    fn fast_token(&self, _account_id: i64, _jid: &str) -> Result<Option<FastToken>, EngineError> {
        Ok(None)
    }

    /// Keeps `token` for `jid` in place of the old one; `None` forgets it (refused, revoked
    /// or the account removed).
    ///
    /// Errors: [`EngineError::Credentials`] when the store cannot be reached.
    fn set_fast_token(
        &self,
        _account_id: i64,
        _jid: &str,
        _token: Option<&FastToken>,
    ) -> Result<(), EngineError> {
        Ok(())
    }
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
    /// The DNS server that finds servers (SRV, A/AAAA records) instead of the system's
    /// resolver configuration; `None` in the app (tests run one on loopback).
    pub nameserver: Option<std::net::SocketAddr>,
    /// The proxy (SOCKS5 or HTTP CONNECT) every XMPP connection goes through unless an
    /// account has its own (the app reads `ALL_PROXY`);
    /// `None`: direct.
    pub proxy: Option<account::proxy::Proxy>,
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
    /// Whether the password may be sent as PLAIN (inside verified TLS) when the server
    /// offers nothing better; `None` leaves it as it is.
    #[serde(default)]
    pub allow_plain: Option<bool>,
    /// This account's proxy (`socks5://`, `socks5h://` or `http://` URL without a password);
    /// `None` or blank uses the system setting.
    #[serde(default)]
    pub proxy: Option<String>,
}

struct Inner {
    store: Store,
    events: broadcast::Sender<EngineEvent>,
    presence: Arc<PresenceBook>,
    muc: Arc<features::muc::MucBook>,
    notify: Arc<features::notify::NotifySettings>,
    credentials: Arc<dyn CredentialProvider>,
    trust: TrustRoots,
    /// Where DNS questions go (`EngineConfig::nameserver`).
    dns: account::resolve::Dns,
    /// `EngineConfig::proxy`.
    proxy: Option<account::proxy::Proxy>,
    self_ping_idle: std::time::Duration,
    accounts: tokio::sync::Mutex<HashMap<i64, AccountHandle>>,
    /// Last state of accounts without a running actor (errors survive the actor).
    states: Mutex<HashMap<i64, ConnectionState>>,
    /// Conversations whose read state was just told to others (XEP-0333 marker, XEP-0490
    /// item), with whether another read came since: see `Engine::mark_read`.
    read_sync: Mutex<HashMap<(i64, String), bool>>,
    /// Uploads under way and each account's upload service (XEP-0363).
    uploads: api::upload::Uploads,
    /// Jingle file transfers under way (XEP-0234), shared with the account actors.
    transfers: Arc<features::transfers::TransferBook>,
    /// Their tasks, by message row id.
    transfer_tasks: Mutex<HashMap<i64, tokio::task::AbortHandle>>,
    /// Sign-up forms fetched and not yet submitted, with their open streams (XEP-0077).
    registrations: account::registration::Registrations,
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
                notify: Arc::default(),
                credentials,
                trust: config.trust,
                proxy: config.proxy,
                dns: config
                    .nameserver
                    .map_or_else(account::resolve::Dns::system, account::resolve::Dns::at),
                self_ping_idle: config
                    .muc_self_ping_idle
                    .unwrap_or(features::self_ping::DEFAULT_IDLE),
                accounts: tokio::sync::Mutex::new(HashMap::new()),
                states: Mutex::new(HashMap::new()),
                read_sync: Mutex::new(HashMap::new()),
                uploads: api::upload::Uploads::default(),
                transfers: Arc::default(),
                transfer_tasks: Mutex::default(),
                registrations: Default::default(),
            }),
        };
        // Before any account connects: a new offer must not be taken for a stale one.
        engine.inner.store.fail_interrupted_transfers().await?;
        for account in engine.inner.store.accounts().await? {
            if account.enabled {
                engine.connect(account.id).await?;
            }
        }
        engine.resume_uploads().await?;
        Ok(engine)
    }

    /// Events from now on. A receiver that falls behind by more than 4096 events gets
    /// `RecvError::Lagged` and should reload its views.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
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

    async fn send_command(&self, account_id: i64, command: Command) -> Result<(), EngineError> {
        let accounts = self.inner.accounts.lock().await;
        let handle = accounts.get(&account_id).ok_or(EngineError::NotConnected)?;
        handle
            .commands
            .send(command)
            .map_err(|_| EngineError::NotConnected)
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
}
