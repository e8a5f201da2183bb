//! One actor per account. It owns the tokio-xmpp stanza stream (with our reconnect policy),
//! runs the feature modules on every inbound stanza, sends what they queue, and reports the
//! connection state as events.

mod commands;
pub mod connector;
pub mod login;
mod memory;
pub mod proxy;
mod reconnect;
pub(crate) mod registration;
pub mod resolve;
pub mod sasl;
mod sasl2;
mod sasl_exchange;
mod tap;
pub mod tls;

use commands::error_state;
pub(crate) use commands::Command;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio_xmpp::parsers::caps::{compute_disco, hash_caps, Caps};
use tokio_xmpp::parsers::hashes::Algo;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::BareJid;
use tokio_xmpp::parsers::presence::Presence;
use tokio_xmpp::parsers::vcard_update::{Photo as VCardPhoto, VCardUpdate};
use tokio_xmpp::stanzastream::{Event as StreamEvent, StanzaStream, StreamEvent as Lifecycle};

use crate::error::EngineError;
use crate::event::{ConnectionState, EngineEvent};
use crate::features::iq::{disco_info, CAPS_NODE};
use crate::features::outbox::Outbox;
use crate::features::presence::{PresenceBook, Show};
use crate::features::{bookmarks, mam, muc, roster, self_ping, Context, Features, IqPurpose};
use crate::store::Store;
use connector::{ConnectTarget, StreamTap, TrustRoots};
use reconnect::{Attempt, Reconnector};

/// Handle to a running account actor.
#[derive(Debug)]
pub(crate) struct AccountHandle {
    pub commands: mpsc::UnboundedSender<Command>,
    pub state: Arc<Mutex<ConnectionState>>,
    /// How the last connection was made (`resolve::Route`).
    pub route: Arc<Mutex<Option<resolve::Route>>>,
}

/// What an account actor needs to start.
pub(crate) struct AccountSetup {
    pub account_id: i64,
    pub jid: BareJid,
    pub target: ConnectTarget,
    /// Password and FAST token (XEP-0484) from the credential provider, and the client id.
    pub secret: login::Secret,
    pub policy: sasl::LoginPolicy,
    /// Where a rotated or refused FAST token is kept or forgotten.
    pub credentials: Arc<dyn crate::CredentialProvider>,
    pub roots: TrustRoots,
    pub pins: Vec<String>,
    pub store: Store,
    pub events: broadcast::Sender<EngineEvent>,
    pub presence: Arc<PresenceBook>,
    pub muc: Arc<crate::features::muc::MucBook>,
    pub notify: Arc<crate::features::notify::NotifySettings>,
    pub transfers: Arc<crate::features::transfers::TransferBook>,
    /// Silence after which a joined room is self-pinged (XEP-0410).
    pub self_ping_idle: std::time::Duration,
    /// Our own presence as kept in the store (show, status).
    pub own_presence: (Show, Option<String>),
}

/// Starts the actor; it connects at once.
pub(crate) fn spawn(setup: AccountSetup) -> AccountHandle {
    let (commands, rx) = mpsc::unbounded_channel();
    let state = Arc::new(Mutex::new(ConnectionState::Connecting));
    let actor = Actor::new(setup, state.clone());
    let route = actor.reconnector.route.clone();
    tokio::spawn(actor.run(rx));
    AccountHandle {
        commands,
        state,
        route,
    }
}

struct Actor {
    features: Features,
    login_memory: memory::LoginMemory,
    state: Arc<Mutex<ConnectionState>>,
    reconnector: Reconnector,
    attempts: mpsc::UnboundedReceiver<Attempt>,
    online: bool,
    outbox: Outbox,
    own_presence: (Show, Option<String>),
    /// When an unanswered outbox reconciliation stops holding the outbox back.
    reconcile_deadline: Option<tokio::time::Instant>,
    /// A new session started: OMEMO starts after the first flush (see `on_session_start`).
    omemo_start_due: bool,
    /// A new session started: the account is told online once our initial presence is
    /// handed to the stream (before that the server does not route messages to us).
    online_due: bool,
}

/// How long the outbox waits for the archive's answer before it is sent anyway.
const RECONCILE_TIMEOUT: Duration = Duration::from_secs(15);

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Actor {
    fn new(setup: AccountSetup, state: Arc<Mutex<ConnectionState>>) -> Self {
        let (report, attempts) = mpsc::unbounded_channel();
        let reconnector = Reconnector {
            target: setup.target,
            secret: Arc::new(Mutex::new(setup.secret)),
            policy: Arc::new(Mutex::new(setup.policy)),
            roots: setup.roots,
            pins: setup.pins,
            tap: StreamTap::default(),
            report,
            route: Arc::default(),
        };
        let features = Features {
            ctx: Context {
                account_id: setup.account_id,
                jid: setup.jid,
                bound: None,
                store: setup.store,
                events: setup.events,
                presence: setup.presence,
                muc: setup.muc,
                notify: setup.notify,
                transfers: setup.transfers,
                out: Vec::new(),
                pending_iq: HashMap::new(),
                own_avatar: None,
                own_avatar_changed: false,
                parked: Vec::new(),
            },
            archive: mam::Archive::default(),
            rooms: muc::Rooms::default(),
            bookmarks: bookmarks::BookmarkSync::default(),
            self_ping: self_ping::SelfPing {
                idle: setup.self_ping_idle,
            },
            omemo: Default::default(),
            avatars: Default::default(),
        };
        Self {
            login_memory: memory::LoginMemory::new(
                setup.credentials,
                features.ctx.store.clone(),
                setup.account_id,
                features.ctx.jid.to_string(),
            ),
            features,
            state,
            reconnector,
            attempts,
            online: false,
            outbox: Outbox::default(),
            own_presence: setup.own_presence,
            reconcile_deadline: None,
            omemo_start_due: false,
            online_due: false,
        }
    }

    fn set_state(&self, state: ConnectionState) {
        if let Ok(mut s) = self.state.lock() {
            if *s == state {
                return;
            }
            *s = state.clone();
        }
        let ctx = &self.features.ctx;
        tracing::info!(account = ctx.account_id, ?state, "connection state");
        ctx.emit(EngineEvent::AccountState {
            account_id: ctx.account_id,
            state,
        });
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let reconnector = self.reconnector.clone();
        let mut stream = Some(StanzaStream::new(
            Box::new(move |_, slot| {
                tokio::spawn(reconnector.clone().run(slot));
            }),
            16,
        ));
        // Rooms are checked a few times per idle period, so a silent one is pinged soon after
        // it has been quiet for `self_ping_idle`.
        let mut room_check = tokio::time::interval(
            (self.features.self_ping.idle / 4).max(std::time::Duration::from_millis(250)),
        );
        room_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let reconcile_deadline = self.reconcile_deadline;
            let retry_at = self.outbox.next_retry();
            tokio::select! {
                _ = room_check.tick() => {
                    if self.online {
                        self_ping::ping_due(&mut self.features.ctx, self.features.self_ping.idle);
                    }
                    // OMEMO receiving sessions changed since the last batch (omemo::sessions).
                    let Features { ctx, omemo, .. } = &mut self.features;
                    omemo.persist_sessions(ctx).await;
                },
                // A server that never answers the outbox reconciliation (XEP-0313) must not
                // hold our messages back: after RECONCILE_TIMEOUT they go out anyway.
                _ = sleep_until_opt(reconcile_deadline) => {
                    self.reconcile_deadline = None;
                    let Features { ctx, archive, .. } = &mut self.features;
                    if archive.catching_up() {
                        tracing::warn!(
                            account = ctx.account_id,
                            "no archive answer in time; sending the outbox"
                        );
                        archive.abandon_reconciliation(ctx).await;
                    }
                },
                // Messages bounced by a server out of reach go again (`unreachable`).
                _ = sleep_until_opt(retry_at) => {
                    if self.online {
                        let Features { ctx, omemo, .. } = &mut self.features;
                        self.outbox.retry_due(ctx, omemo).await;
                    } else {
                        // Pending in the store: the next session sends them.
                        self.outbox.forget_bounces();
                    }
                },
                event = next_event(&mut stream) => match event {
                    Some(event) => self.on_stream_event(event).await,
                    None => {
                        stream = None;
                    }
                },
                Some(attempt) = self.attempts.recv() => {
                    if self.on_attempt(attempt) {
                        // Fatal: drop the stream so nothing retries behind the user's back.
                        stream = None;
                        self.online = false;
                    }
                },
                command = commands.recv() => match command {
                    Some(Command::Stop(done)) => {
                        self.stop(stream.take()).await;
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.on_command(command).await,
                    None => {
                        self.stop(stream.take()).await;
                        return;
                    }
                },
            }
            if !self.features.ctx.parked.is_empty() {
                self.outbox.park_bounced(&mut self.features.ctx).await;
            }
            if std::mem::take(&mut self.features.archive.catch_up_done) && self.online {
                let Features { ctx, omemo, .. } = &mut self.features;
                self.outbox.forget_bounces();
                self.outbox.queue_all(ctx, omemo).await;
            }
            // Encrypted messages whose recipients' devices are now known (XEP-0384).
            if self.online && !self.features.omemo.ready.is_empty() {
                let Features { ctx, omemo, .. } = &mut self.features;
                for id in std::mem::take(&mut omemo.ready) {
                    self.outbox.queue(ctx, omemo, id).await;
                }
            }
            if let Some(s) = stream.as_ref() {
                self.flush(s).await;
                if std::mem::take(&mut self.online_due) && self.online {
                    self.set_state(ConnectionState::Online);
                }
                if std::mem::take(&mut self.omemo_start_due) && self.online {
                    self.features.omemo.start(&mut self.features.ctx).await;
                    self.flush(s).await;
                }
            } else {
                self.features.ctx.out.clear();
                self.outbox.clear();
            }
        }
    }

    async fn stop(&mut self, stream: Option<StanzaStream>) {
        if let Some(s) = stream {
            let _ = tokio::time::timeout(Duration::from_secs(3), s.close()).await;
        }
        self.features.archive.end_session(&self.features.ctx).await;
        let Features { ctx, omemo, .. } = &mut self.features;
        omemo.persist_sessions(ctx).await;
        let ctx = &self.features.ctx;
        ctx.presence.clear_account(ctx.account_id);
        ctx.transfers.set_bound(ctx.account_id, None);
        ctx.muc.clear_account(ctx.account_id);
        self.set_state(ConnectionState::Offline);
    }

    /// Sends everything the feature modules and the outbox queued.
    async fn flush(&mut self, stream: &StanzaStream) {
        for stanza in std::mem::take(&mut self.features.ctx.out) {
            let _token = stream.send(Box::new(stanza)).await;
        }
        self.outbox.flush(&self.features.ctx, stream).await;
    }

    /// Returns true when the attempt was fatal.
    fn on_attempt(&mut self, attempt: Attempt) -> bool {
        match attempt {
            Attempt::Started(1) => self.set_state(ConnectionState::Connecting),
            Attempt::Started(_) => {}
            Attempt::Retrying {
                attempt,
                retry_in,
                reason,
            } => {
                tracing::info!(
                    account = self.features.ctx.account_id,
                    "attempt {attempt} failed: {reason}"
                );
                self.set_state(ConnectionState::Reconnecting {
                    attempt,
                    retry_in_secs: retry_in.as_secs().max(1),
                });
            }
            Attempt::LoggedIn {
                report,
                scram_newly_seen,
            } => self.login_memory.keep(report, scram_newly_seen),
            Attempt::TokenDropped => self.login_memory.forget_token(),
            Attempt::Fatal(error) => {
                self.set_state(error_state(error));
                return true;
            }
        }
        false
    }

    async fn on_stream_event(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Stanza(stanza) => {
                let Features { ctx, omemo, .. } = &mut self.features;
                self.outbox.on_stanza_from(ctx, omemo, &stanza).await;
                self.features.on_stanza(stanza).await;
                // Our avatar changed (here or on another client): contacts learn the hash
                // from our presence (XEP-0153 §4.1).
                if std::mem::take(&mut self.features.ctx.own_avatar_changed) && self.online {
                    let presence = self.presence_stanza();
                    self.features.ctx.send(presence);
                }
            }
            StreamEvent::Stream(Lifecycle::Reset { bound_jid, .. }) => {
                self.features.ctx.bound = bound_jid.try_into_full().ok();
                let ctx = &self.features.ctx;
                ctx.transfers.set_bound(ctx.account_id, ctx.bound.clone());
                self.online = true;
                self.online_due = true;
                self.on_session_start().await;
            }
            StreamEvent::Stream(Lifecycle::Resumed) => {
                self.online = true;
                self.set_state(ConnectionState::Online);
                // The stream retransmits what it had in flight; what was written while we
                // were suspended goes now.
                let Features { ctx, omemo, .. } = &mut self.features;
                self.outbox.forget_bounces();
                self.outbox.queue_all(ctx, omemo).await;
            }
            StreamEvent::Stream(Lifecycle::Suspended) => {
                self.online = false;
                self.set_state(ConnectionState::Reconnecting {
                    attempt: 0,
                    retry_in_secs: 0,
                });
            }
        }
    }

    /// A new session (not a resumption): fetch the roster, enable carbons (XEP-0280),
    /// announce presence, catch up from the archive (XEP-0313) and then send the outbox,
    /// surface stored subscription requests.
    async fn on_session_start(&mut self) {
        let ctx = &mut self.features.ctx;
        if ctx.own_avatar.is_none() {
            // The hash we last saw, so our first presence carries it (XEP-0153 §4.1).
            if let Ok(Some(hash)) = ctx.store.avatar_of(ctx.account_id, ctx.jid.as_str()).await {
                ctx.own_avatar = Some(Some(hash));
            }
        }
        ctx.own_avatar_changed = false;
        let presence = self.presence_stanza();
        let Features {
            ctx,
            archive,
            rooms,
            bookmarks: sync,
            ..
        } = &mut self.features;
        ctx.presence.clear_account(ctx.account_id);
        archive.end_session(ctx).await;
        roster::request_roster(ctx).await;
        let carbons = Iq::from_set(
            crate::features::new_id(),
            tokio_xmpp::parsers::carbons::Enable,
        );
        ctx.send(carbons);
        ctx.send(presence);
        // Bookmarks (XEP-0402, or XEP-0048 on older servers) may add rooms; stored rooms are
        // rejoined after our presence.
        bookmarks::discover(ctx, sync);
        // OMEMO's keys (made on first use) and publishes wait until our presence and the
        // catch-up query are out: messages sent to us before our presence reaches the server
        // would go to our other clients only.
        self.omemo_start_due = true;
        ctx.muc.clear_account(ctx.account_id);
        match ctx.store.rooms(ctx.account_id).await {
            Ok(stored) => {
                for room in stored.into_iter().filter(|r| r.autojoin) {
                    match BareJid::new(&room.jid) {
                        Ok(jid) => {
                            rooms.join(ctx, &jid, &room.nick);
                        }
                        Err(e) => tracing::warn!("stored room {} unusable: {e}", room.jid),
                    }
                }
            }
            Err(e) => tracing::warn!(account = ctx.account_id, "rooms unreadable: {e}"),
        }
        // The outbox follows when the catch-up ends (`catch_up_done`), so a message the
        // server already archived before a crash is recognised and not sent twice.
        archive.start(ctx).await;
        self.reconcile_deadline = archive
            .catching_up()
            .then(|| tokio::time::Instant::now() + RECONCILE_TIMEOUT);
        if let Ok(requests) = ctx.store.subscription_requests(ctx.account_id).await {
            for r in requests {
                ctx.emit(EngineEvent::SubscriptionRequest {
                    account_id: ctx.account_id,
                    jid: r.jid,
                });
            }
        }
    }

    fn presence_stanza(&self) -> Presence {
        let (show, status) = &self.own_presence;
        let mut p = Presence::available();
        p.show = show.to_xmpp();
        if let Some(status) = status {
            p.set_status("", status.clone());
        }
        // XEP-0115 §5: caps hash over our disco#info.
        if let Ok(hash) = hash_caps(&compute_disco(&disco_info(None)), Algo::Sha_1) {
            p.add_payload(Caps::new(CAPS_NODE, hash));
        }
        // XEP-0153 §4.1: our picture's hash; an `<x/>` without a photo while we do not know it.
        let photo = self
            .features
            .ctx
            .own_avatar
            .as_ref()
            .map(|hash| VCardPhoto {
                data: hash
                    .as_deref()
                    .and_then(|h| hex::decode(h).ok())
                    .and_then(|b| <[u8; 20]>::try_from(b).ok()),
            });
        p.payloads.push(VCardUpdate { photo }.into());
        p
    }

    async fn on_command(&mut self, command: Command) {
        let online = self.online;
        let Features {
            ctx,
            archive,
            rooms,
            bookmarks: sync,
            omemo,
            ..
        } = &mut self.features;
        match command {
            Command::SendMessage(id) => {
                if online && !self.outbox.in_flight(id) && !archive.catching_up() {
                    self.outbox.queue(ctx, omemo, id).await;
                }
            }
            Command::Send(stanza) => {
                if online {
                    ctx.out.push(*stanza);
                }
            }
            Command::RosterSet(roster, done) => {
                if !online {
                    let _ = done.send(Err(EngineError::NotConnected));
                    return;
                }
                let iq = Iq::from_set(crate::features::new_id(), roster);
                ctx.request(iq, IqPurpose::RosterSet(done));
            }
            Command::Request(iq, done) => {
                if !online {
                    let _ = done.send(Err(EngineError::NotConnected));
                    return;
                }
                if !matches!(&*iq, Iq::Get { .. } | Iq::Set { .. }) {
                    let _ = done.send(Err(EngineError::Server("not a request".into())));
                    return;
                }
                ctx.request(*iq, IqPurpose::Request(done));
            }
            Command::FetchHistory(peer, reply) => {
                if online {
                    archive.fetch_history(ctx, peer, reply).await;
                } else {
                    let _ = reply.send(Err(EngineError::NotConnected));
                }
            }
            Command::JoinRoom {
                room,
                nick,
                password,
                configure_first,
            } => {
                if configure_first {
                    rooms.configure_first.insert(room.to_string());
                } else {
                    rooms.configure_first.remove(room.as_str());
                }
                if let Some(password) = password {
                    rooms.passwords.insert(room.to_string(), password);
                }
                if online && rooms.join(ctx, &room, &nick) {
                    bookmarks::publish(ctx, sync, &room, &nick);
                }
            }
            Command::Invite {
                room,
                to,
                reason,
                direct,
                done,
            } => {
                if online {
                    if direct {
                        muc::invite::invite_directly(ctx, rooms, &room, &to, reason.as_deref());
                    } else {
                        muc::invite::invite(ctx, &room, &to, reason.as_deref());
                    }
                    let _ = done.send(Ok(()));
                } else {
                    let _ = done.send(Err(EngineError::NotConnected));
                }
            }
            Command::LeaveRoom(room) => {
                if online {
                    muc::rooms::leave(ctx, &room);
                    bookmarks::retract(ctx, sync, &room);
                }
            }
            Command::SetPresence { show, status } => {
                self.own_presence = (show, status);
                if online {
                    let presence = self.presence_stanza();
                    self.features.ctx.send(presence);
                }
            }
            Command::Stop(_) => {}
        }
    }
}

async fn next_event(stream: &mut Option<StanzaStream>) -> Option<StreamEvent> {
    match stream {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}
