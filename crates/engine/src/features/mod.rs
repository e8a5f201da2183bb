//! Feature modules. Each inbound stanza is parsed once (by tokio-xmpp into xmpp-parsers types)
//! and handed to the module for its kind; modules update the store, emit events and queue
//! stanzas to send in [`Session::out`]. One file per feature or XEP.

pub mod bookmarks;
pub mod chat;
pub mod iq;
pub mod mam;
pub mod muc;
pub mod presence;
pub mod room_config;
pub mod roster;
pub mod self_ping;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{broadcast, oneshot};
use tokio_xmpp::parsers::jid::{BareJid, FullJid};
use tokio_xmpp::Stanza;

use crate::error::EngineError;
use crate::event::EngineEvent;
use crate::store::Store;
use presence::PresenceBook;

/// Why we sent an IQ, so its answer can be routed.
#[derive(Debug)]
pub(crate) enum IqPurpose {
    /// Our roster get (RFC 6121 §2.2) at session start.
    RosterGet,
    /// A roster set on the user's behalf; the caller waits for the outcome.
    RosterSet(oneshot::Sender<Result<(), EngineError>>),
    /// Our bookmarks (XEP-0402) at session start.
    Bookmarks,
    /// Our account's disco#info (XEP-0030), to pick XEP-0402 or XEP-0048 bookmarks.
    AccountInfo,
    /// Our XEP-0048 bookmarks from private XML storage (XEP-0049).
    PrivateBookmarks,
    /// A page of one of our archive queries (XEP-0313), by `queryid`.
    ArchivePage(String),
    /// A self-ping of our occupant JID in a room (XEP-0410), by room bare JID.
    SelfPing(String),
    /// A request whose answer the caller awaits: the result's payload, or the error's
    /// defined condition (RFC 6120 §8.3.3) as [`EngineError::Server`].
    Request(oneshot::Sender<Result<Option<tokio_xmpp::minidom::Element>, EngineError>>),
}

/// Per-account protocol state shared by the feature modules while a session runs.
pub(crate) struct Session {
    pub account_id: i64,
    /// Our bare JID.
    pub jid: BareJid,
    /// Our full JID once bound.
    pub bound: Option<FullJid>,
    pub store: Store,
    pub events: broadcast::Sender<EngineEvent>,
    pub presence: Arc<PresenceBook>,
    /// Live room state (XEP-0045).
    pub muc: Arc<muc::MucBook>,
    /// Stanzas to send, filled by the handlers and drained by the account actor.
    pub out: Vec<Stanza>,
    /// IQs awaiting an answer, by id.
    pub pending_iq: HashMap<String, IqPurpose>,
    /// Archive queries in flight (XEP-0313) by `queryid`, see [`mam`].
    pub archive: HashMap<String, mam::ArchiveQuery>,
    /// Stores catch-up pages in order off the actor (see [`mam`]); one per connection.
    pub page_writer:
        Option<tokio::sync::mpsc::UnboundedSender<(Vec<chat::ChatMessage>, Option<String>)>>,
    /// Passwords of protected rooms (XEP-0045 §7.2.6) given this run, by room bare JID; in
    /// memory only.
    pub room_passwords: HashMap<String, muc::RoomPassword>,
    /// Rooms the user asked to configure before others enter, should we create them
    /// (XEP-0045 §10.1.3), by room bare JID.
    pub configure_first: std::collections::HashSet<String>,
    /// Which bookmarks the server keeps, and changes waiting for that (XEP-0402/0048).
    pub bookmark_sync: bookmarks::BookmarkSync,
    /// Silence after which a joined room is self-pinged (XEP-0410).
    pub self_ping_idle: std::time::Duration,
    /// Set when outbox reconciliation has ended; the account actor then sends the outbox and
    /// clears it.
    pub catch_up_done: bool,
}

impl Session {
    pub(crate) fn emit(&self, event: EngineEvent) {
        // No receiver is not an error: the shell may not listen yet.
        let _ = self.events.send(event);
    }

    /// Whether `jid` is our own bare JID (no resource): the sender the server uses for what
    /// it says on our account's behalf (carbons, XEP-0280 §11; our archive, XEP-0313 §4.2).
    pub(crate) fn is_own_bare(&self, jid: &tokio_xmpp::parsers::jid::Jid) -> bool {
        jid.resource().is_none() && jid.to_bare() == self.jid
    }

    /// Dispatches one inbound stanza to its feature module.
    pub(crate) async fn on_stanza(&mut self, stanza: Stanza) {
        match stanza {
            Stanza::Message(m) => self.on_message(m).await,
            Stanza::Presence(p) => self.on_presence(p).await,
            Stanza::Iq(iq) => self.on_iq(iq).await,
        }
    }
}

/// A fresh random id for a stanza or an origin-id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
