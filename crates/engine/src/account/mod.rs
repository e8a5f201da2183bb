//! One actor per account. It owns the tokio-xmpp stanza stream (with our reconnect policy),
//! runs the feature modules on every inbound stanza, sends what they queue, and reports the
//! connection state as events.

pub mod connector;
mod reconnect;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_xmpp::parsers::caps::{compute_disco, hash_caps, Caps};
use tokio_xmpp::parsers::hashes::Algo;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::presence::Presence;
use tokio_xmpp::stanzastream::{
    Event as StreamEvent, StanzaStage, StanzaState, StanzaStream, StreamEvent as Lifecycle,
};
use tokio_xmpp::Stanza;

use crate::error::{EngineError, ErrorCode};
use crate::event::{ConnectionState, EngineEvent};
use crate::features::iq::{disco_info, CAPS_NODE};
use crate::features::presence::{PresenceBook, Show};
use crate::features::{chat, IqPurpose, Session};
use crate::store::Store;
use connector::{ConnectError, ConnectTarget, StreamTap, TrustRoots};
use reconnect::{Attempt, Reconnector};

/// Requests from the engine to an account actor.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send the stored pending message with this row id (when online).
    SendMessage(i64),
    /// Send a stanza as is.
    Send(Box<Stanza>),
    /// Send a roster set and report the server's answer.
    RosterSet(
        tokio_xmpp::parsers::roster::Roster,
        oneshot::Sender<Result<(), EngineError>>,
    ),
    /// Fetch older history of one conversation from our archive (XEP-0313).
    FetchHistory(
        Jid,
        oneshot::Sender<Result<crate::features::mam::HistoryPage, EngineError>>,
    ),
    /// Enter a room (XEP-0045 §7.2) with this nickname (and password, §7.2.6).
    JoinRoom {
        room: BareJid,
        nick: String,
        password: Option<crate::features::muc::RoomPassword>,
        /// Should we create the room, keep it locked until configured (§10.1.3).
        configure_first: bool,
    },
    /// Leave a room (§7.14).
    LeaveRoom(BareJid),
    /// Invite someone to a room (§7.8.2).
    Invite {
        room: BareJid,
        to: BareJid,
        reason: Option<String>,
        /// XEP-0249 direct invitation instead of a mediated one.
        direct: bool,
        done: oneshot::Sender<Result<(), EngineError>>,
    },
    /// Send an IQ (get or set, with a fresh id) and report the answer's payload or error.
    Request(
        Box<tokio_xmpp::parsers::iq::Iq>,
        oneshot::Sender<Result<Option<tokio_xmpp::minidom::Element>, EngineError>>,
    ),
    /// Change our own presence.
    SetPresence { show: Show, status: Option<String> },
    /// Close the stream and stop.
    Stop(oneshot::Sender<()>),
}

/// Handle to a running account actor.
#[derive(Debug)]
pub(crate) struct AccountHandle {
    pub commands: mpsc::UnboundedSender<Command>,
    pub state: Arc<Mutex<ConnectionState>>,
}

/// What an account actor needs to start.
pub(crate) struct AccountSetup {
    pub account_id: i64,
    pub jid: BareJid,
    pub target: ConnectTarget,
    pub password: String,
    pub roots: TrustRoots,
    pub pins: Vec<String>,
    pub store: Store,
    pub events: broadcast::Sender<EngineEvent>,
    pub presence: Arc<PresenceBook>,
    pub muc: Arc<crate::features::muc::MucBook>,
    /// Silence after which a joined room is self-pinged (XEP-0410).
    pub self_ping_idle: std::time::Duration,
}

/// Starts the actor; it connects at once.
pub(crate) fn spawn(setup: AccountSetup) -> AccountHandle {
    let (commands, rx) = mpsc::unbounded_channel();
    let state = Arc::new(Mutex::new(ConnectionState::Connecting));
    let actor = Actor::new(setup, state.clone());
    tokio::spawn(actor.run(rx));
    AccountHandle { commands, state }
}

struct Actor {
    session: Session,
    state: Arc<Mutex<ConnectionState>>,
    reconnector: Reconnector,
    attempts: mpsc::UnboundedReceiver<Attempt>,
    online: bool,
    /// Outgoing messages to send with ack tracking: (stanza, row id, peer).
    tracked: Vec<(Stanza, i64, String)>,
    /// Row ids of outbox messages handed to the stream and not yet acknowledged or dropped by
    /// it; the stream retransmits those itself after a resumption (XEP-0198 §5).
    in_flight: Arc<Mutex<HashSet<i64>>>,
    own_presence: (Show, Option<String>),
    /// When an unanswered outbox reconciliation stops holding the outbox back.
    reconcile_deadline: Option<tokio::time::Instant>,
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
            password: Arc::new(setup.password),
            roots: setup.roots,
            pins: setup.pins,
            tap: StreamTap::default(),
            report,
        };
        let session = Session {
            account_id: setup.account_id,
            jid: setup.jid,
            bound: None,
            store: setup.store,
            events: setup.events,
            presence: setup.presence,
            muc: setup.muc,
            out: Vec::new(),
            pending_iq: HashMap::new(),
            archive: HashMap::new(),
            page_writer: None,
            catch_up_done: false,
            self_ping_idle: setup.self_ping_idle,
            bookmark_sync: Default::default(),
            room_passwords: HashMap::new(),
            configure_first: HashSet::new(),
        };
        Self {
            session,
            state,
            reconnector,
            attempts,
            online: false,
            tracked: Vec::new(),
            in_flight: Arc::default(),
            own_presence: (Show::Available, None),
            reconcile_deadline: None,
        }
    }

    fn set_state(&self, state: ConnectionState) {
        if let Ok(mut s) = self.state.lock() {
            if *s == state {
                return;
            }
            *s = state.clone();
        }
        tracing::info!(
            account = self.session.account_id,
            ?state,
            "connection state"
        );
        self.session.emit(EngineEvent::AccountState {
            account_id: self.session.account_id,
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
            (self.session.self_ping_idle / 4).max(std::time::Duration::from_millis(250)),
        );
        room_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let reconcile_deadline = self.reconcile_deadline;
            tokio::select! {
                _ = room_check.tick() => {
                    if self.online {
                        self.session.self_ping_rooms(self.session.self_ping_idle);
                    }
                },
                // A server that never answers the outbox reconciliation (XEP-0313) must not
                // hold our messages back: after RECONCILE_TIMEOUT they go out anyway.
                _ = sleep_until_opt(reconcile_deadline) => {
                    self.reconcile_deadline = None;
                    if self.session.catching_up() {
                        tracing::warn!(
                            account = self.session.account_id,
                            "no archive answer in time; sending the outbox"
                        );
                        self.session.abandon_reconciliation().await;
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
            if std::mem::take(&mut self.session.catch_up_done) && self.online {
                self.queue_outbox().await;
            }
            if let Some(s) = stream.as_ref() {
                self.flush(s).await;
            } else {
                self.session.out.clear();
                self.tracked.clear();
            }
        }
    }

    async fn stop(&mut self, stream: Option<StanzaStream>) {
        if let Some(s) = stream {
            let _ = tokio::time::timeout(Duration::from_secs(3), s.close()).await;
        }
        self.session.presence.clear_account(self.session.account_id);
        self.session.muc.clear_account(self.session.account_id);
        self.set_state(ConnectionState::Offline);
    }

    /// Sends everything the feature modules queued.
    async fn flush(&mut self, stream: &StanzaStream) {
        for stanza in std::mem::take(&mut self.session.out) {
            let _token = stream.send(Box::new(stanza)).await;
        }
        for (stanza, row_id, peer) in std::mem::take(&mut self.tracked) {
            if let Ok(mut in_flight) = self.in_flight.lock() {
                in_flight.insert(row_id);
            }
            let mut token = stream.send(Box::new(stanza)).await;
            let store = self.session.store.clone();
            let events = self.session.events.clone();
            let account_id = self.session.account_id;
            let in_flight = self.in_flight.clone();
            tokio::spawn(async move {
                let acked = matches!(
                    token.wait_for(StanzaStage::Acked).await,
                    Some(StanzaState::Acked { .. })
                );
                if acked && store.mark_sent(row_id).await.unwrap_or(false) {
                    let _ = events.send(EngineEvent::MessagesChanged {
                        account_id,
                        peer,
                        ids: vec![row_id],
                        live: false,
                    });
                }
                if let Ok(mut in_flight) = in_flight.lock() {
                    in_flight.remove(&row_id);
                }
            });
        }
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
                    account = self.session.account_id,
                    "attempt {attempt} failed: {reason}"
                );
                self.set_state(ConnectionState::Reconnecting {
                    attempt,
                    retry_in_secs: retry_in.as_secs().max(1),
                });
            }
            Attempt::Fatal(error) => {
                self.set_state(error_state(error));
                return true;
            }
        }
        false
    }

    async fn on_stream_event(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Stanza(stanza) => self.session.on_stanza(stanza).await,
            StreamEvent::Stream(Lifecycle::Reset { bound_jid, .. }) => {
                self.session.bound = bound_jid.try_into_full().ok();
                self.online = true;
                self.set_state(ConnectionState::Online);
                self.on_session_start().await;
            }
            StreamEvent::Stream(Lifecycle::Resumed) => {
                self.online = true;
                self.set_state(ConnectionState::Online);
                // The stream retransmits what it had in flight; what was written while we
                // were suspended goes now.
                self.queue_outbox().await;
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
        self.session.presence.clear_account(self.session.account_id);
        // A fresh page writer: one that stopped on a store error must not block this session.
        self.session.page_writer = None;
        self.session.archive.clear();
        self.session.request_roster().await;
        self.session.out.push(
            tokio_xmpp::parsers::iq::Iq::from_set(
                crate::features::new_id(),
                tokio_xmpp::parsers::carbons::Enable,
            )
            .into(),
        );
        self.session.out.push(self.presence_stanza().into());
        // Bookmarks (XEP-0402, or XEP-0048 on older servers) may add rooms; stored rooms are
        // rejoined after our presence.
        self.session.discover_bookmarks();
        self.session.muc.clear_account(self.session.account_id);
        match self.session.store.rooms(self.session.account_id).await {
            Ok(rooms) => {
                for room in rooms.into_iter().filter(|r| r.autojoin) {
                    match BareJid::new(&room.jid) {
                        Ok(jid) => {
                            self.session.join_room(&jid, &room.nick);
                        }
                        Err(e) => tracing::warn!("stored room {} unusable: {e}", room.jid),
                    }
                }
            }
            Err(e) => tracing::warn!(account = self.session.account_id, "rooms unreadable: {e}"),
        }
        // The outbox follows when the catch-up ends (`catch_up_done`), so a message the
        // server already archived before a crash is recognised and not sent twice.
        self.session.start_catch_up().await;
        self.reconcile_deadline = self
            .session
            .catching_up()
            .then(|| tokio::time::Instant::now() + RECONCILE_TIMEOUT);
        if let Ok(requests) = self
            .session
            .store
            .subscription_requests(self.session.account_id)
            .await
        {
            for r in requests {
                self.session.emit(EngineEvent::SubscriptionRequest {
                    account_id: self.session.account_id,
                    jid: r.jid,
                });
            }
        }
    }

    /// Queues every outbox message the stream does not already carry.
    async fn queue_outbox(&mut self) {
        match self
            .session
            .store
            .pending_messages(self.session.account_id)
            .await
        {
            Ok(rows) => {
                let in_flight = self.in_flight.lock().map(|s| s.clone()).unwrap_or_default();
                for row in rows {
                    if !in_flight.contains(&row.id) {
                        self.queue_message_send(row.id).await;
                    }
                }
            }
            Err(e) => tracing::warn!(
                account = self.session.account_id,
                "reading the outbox failed: {e}"
            ),
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
        p
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::SendMessage(id) => {
                let in_flight = self.in_flight.lock().is_ok_and(|s| s.contains(&id));
                if self.online && !in_flight && !self.session.catching_up() {
                    self.queue_message_send(id).await;
                }
            }
            Command::Send(stanza) => {
                if self.online {
                    self.session.out.push(*stanza);
                }
            }
            Command::RosterSet(roster, done) => {
                if !self.online {
                    let _ = done.send(Err(EngineError::NotConnected));
                    return;
                }
                let id = crate::features::new_id();
                self.session
                    .pending_iq
                    .insert(id.clone(), IqPurpose::RosterSet(done));
                self.session
                    .out
                    .push(tokio_xmpp::parsers::iq::Iq::from_set(id, roster).into());
            }
            Command::Request(iq, done) => {
                if !self.online {
                    let _ = done.send(Err(EngineError::NotConnected));
                    return;
                }
                let id = match &*iq {
                    Iq::Get { id, .. } | Iq::Set { id, .. } => id.clone(),
                    _ => {
                        let _ = done.send(Err(EngineError::Server("not a request".into())));
                        return;
                    }
                };
                self.session.pending_iq.insert(id, IqPurpose::Request(done));
                self.session.out.push((*iq).into());
            }
            Command::FetchHistory(peer, reply) => {
                if self.online {
                    self.session.fetch_history(peer, reply).await;
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
                    self.session.configure_first.insert(room.to_string());
                } else {
                    self.session.configure_first.remove(room.as_str());
                }
                if let Some(password) = password {
                    self.session
                        .room_passwords
                        .insert(room.to_string(), password);
                }
                if self.online && self.session.join_room(&room, &nick) {
                    self.session.publish_bookmark(&room, &nick);
                }
            }
            Command::Invite {
                room,
                to,
                reason,
                direct,
                done,
            } => {
                if self.online {
                    if direct {
                        self.session.invite_directly(&room, &to, reason.as_deref());
                    } else {
                        self.session.invite(&room, &to, reason.as_deref());
                    }
                    let _ = done.send(Ok(()));
                } else {
                    let _ = done.send(Err(EngineError::NotConnected));
                }
            }
            Command::LeaveRoom(room) => {
                if self.online {
                    self.session.leave_room(&room);
                    self.session.retract_bookmark(&room);
                }
            }
            Command::SetPresence { show, status } => {
                self.own_presence = (show, status);
                if self.online {
                    self.session.out.push(self.presence_stanza().into());
                }
            }
            Command::Stop(_) => {}
        }
    }

    /// Queues one stored message; [`Self::flush`] marks it sent once the server acknowledges
    /// it (XEP-0198). A message whose stream dies unacknowledged stays pending and is resent,
    /// with the same origin-id, when the next session starts.
    async fn queue_message_send(&mut self, row_id: i64) {
        let store = &self.session.store;
        let Ok(Some(row)) = store.message(row_id).await else {
            return;
        };
        if row.state != "pending" {
            return;
        }
        let Ok(to) = Jid::new(&row.peer) else {
            let _ = store
                .set_message_state(row_id, "failed", Some("invalid recipient address"))
                .await;
            self.session.emit(EngineEvent::MessagesChanged {
                account_id: self.session.account_id,
                peer: row.peer,
                ids: vec![row_id],
                live: false,
            });
            return;
        };
        self.tracked
            .push((chat::outgoing_stanza(&row, to).into(), row_id, row.peer));
    }
}

async fn next_event(stream: &mut Option<StanzaStream>) -> Option<StreamEvent> {
    match stream {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

fn error_state(error: ConnectError) -> ConnectionState {
    let (code, message, cert) = match error {
        ConnectError::Auth(_) => (ErrorCode::AuthFailed, "The server rejected the password for this account. Check the password and try again.".to_owned(), None),
        ConnectError::Certificate(info) => (ErrorCode::CertificateUntrusted, format!("The server presented a certificate that is not trusted ({}). Check its fingerprint with your server's administrator before trusting it.", info.reason), Some(info)),
        ConnectError::Stream(condition) if condition == "conflict" => (ErrorCode::Conflict, "Another client signed in with the same resource and took over this session. Reconnect when it has gone, or use another resource.".to_owned(), None),
        ConnectError::Stream(condition) => (ErrorCode::StreamError, format!("The server ended the session ({condition})."), None),
        ConnectError::Policy(reason) => (ErrorCode::Network, reason, None),
        ConnectError::Network(reason) => (ErrorCode::Network, format!("Can't reach the server: {reason}"), None),
    };
    ConnectionState::Error {
        code,
        message,
        cert,
    }
}
