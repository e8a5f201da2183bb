//! Feature modules: one file per feature or XEP. Every inbound stanza is parsed once
//! ([`inbound`] for messages; xmpp-parsers types for presence and IQs) and taken along one
//! ordered route ([`route`]). Each feature owns its state in one field of [`Features`] and
//! receives a small [`Context`] (account, our JID, store, events, the outgoing queue, IQs in
//! flight) instead of one shared hub.

pub mod adhoc;
pub mod avatar;
pub mod bookmarks;
pub mod chat;
pub mod facets;
pub mod file_sharing;
pub mod files;
pub mod forms;
#[cfg(test)]
mod fuzz;
pub(crate) mod inbound;
pub(crate) mod ingest;
pub mod iq;
pub mod jingle;
pub mod mam;
pub mod mds;
pub mod muc;
pub(crate) mod notify;
pub(crate) mod omemo;
pub(crate) mod outbox;
pub mod presence;
pub mod profile;
pub mod register;
pub mod room_config;
pub mod roster;
pub(crate) mod route;
pub mod s5b;
pub mod self_ping;
pub(crate) mod thumbnails;
pub(crate) mod transfers;
pub(crate) mod unreachable;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{broadcast, oneshot};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, FullJid, Jid};
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
    /// Our OMEMO device lists and bundles (XEP-0384).
    Omemo(omemo::OmemoIq),
    /// A contact's (or our own) avatar picture (XEP-0084 data node, or XEP-0153 vCard).
    Avatar(avatar::AvatarIq),
}

/// What every feature handler gets: who we are, where to store, whom to tell, what to send.
pub(crate) struct Context {
    pub account_id: i64,
    /// Our bare JID.
    pub jid: BareJid,
    /// Our full JID once bound.
    pub bound: Option<FullJid>,
    pub store: Store,
    pub events: broadcast::Sender<EngineEvent>,
    /// Live presence of contacts (shared with the engine's queries).
    pub presence: Arc<PresenceBook>,
    /// Live room state (XEP-0045, shared with the engine's queries).
    pub muc: Arc<muc::MucBook>,
    /// Notification settings per conversation (shared with the engine, which changes them).
    pub notify: Arc<notify::NotifySettings>,
    /// Jingle file transfers under way (shared with the engine, which runs them).
    pub transfers: Arc<transfers::TransferBook>,
    /// Stanzas to send, filled by the handlers and drained by the account actor.
    pub out: Vec<Stanza>,
    /// IQs awaiting an answer, by id.
    pub pending_iq: HashMap<String, IqPurpose>,
    /// Our own avatar's SHA-1 (hex) as last known: `None` unknown, `Some(None)` none; our
    /// presence carries it (XEP-0153 §4.1).
    pub own_avatar: Option<Option<String>>,
    /// Our avatar changed since our presence went out: send it again.
    pub own_avatar_changed: bool,
    /// Our messages bounced because their recipient's server is out of reach for now
    /// (`unreachable`): (row id, the recipient's domain, the conversation), for the account
    /// actor to park.
    pub parked: Vec<(i64, String, String)>,
}

impl Context {
    pub(crate) fn emit(&self, event: EngineEvent) {
        // No receiver is not an error: the shell may not listen yet.
        let _ = self.events.send(event);
    }

    /// Queues a stanza to send.
    pub(crate) fn send(&mut self, stanza: impl Into<Stanza>) {
        self.out.push(stanza.into());
    }

    /// Queues an IQ request whose answer is routed by `purpose`.
    pub(crate) fn request(&mut self, iq: Iq, purpose: IqPurpose) {
        let id = match &iq {
            Iq::Get { id, .. } | Iq::Set { id, .. } => id.clone(),
            Iq::Result { id, .. } | Iq::Error { id, .. } => id.clone(),
        };
        self.pending_iq.insert(id, purpose);
        self.out.push(iq.into());
    }

    /// Whether what `jid` publishes about themselves (avatar, nickname) is followed: only
    /// for our own account and roster contacts (a lookup that fails counts as no).
    pub(crate) async fn follows(&self, jid: &BareJid) -> bool {
        *jid == self.jid
            || self
                .store
                .in_roster(self.account_id, jid.as_str())
                .await
                .unwrap_or(false)
    }

    /// Whether `jid` is our own bare JID (no resource): the sender the server uses for what
    /// it says on our account's behalf (carbons, XEP-0280 §11; our archive, XEP-0313 §4.2).
    pub(crate) fn is_own_bare(&self, jid: &Jid) -> bool {
        jid.resource().is_none() && jid.to_bare() == self.jid
    }

    /// The conversation a one-to-one message with `jid` belongs to: the bare JID, except for
    /// a private message with an occupant of a room we are in (XEP-0045 §7.5), kept apart as
    /// room/nick.
    pub(crate) fn conversation_peer(&self, jid: &Jid) -> String {
        let bare = jid.to_bare().to_string();
        if jid.resource().is_some() && !self.muc.nick(self.account_id, &bare).is_empty() {
            jid.to_string()
        } else {
            bare
        }
    }
}

/// Per-account protocol state while the actor runs: the [`Context`] and one state field per
/// feature that keeps any. Adding a XEP: a file here, a line in [`route`], a field here.
pub(crate) struct Features {
    pub ctx: Context,
    /// Archive queries in flight and the catch-up writer (XEP-0313).
    pub archive: mam::Archive,
    /// Room passwords and reserved-room requests (XEP-0045).
    pub rooms: muc::Rooms,
    /// Which bookmarks the server keeps, and changes waiting for that (XEP-0402/0048).
    pub bookmarks: bookmarks::BookmarkSync,
    /// When rooms are self-pinged (XEP-0410).
    pub self_ping: self_ping::SelfPing,
    /// Our OMEMO device and its keys (XEP-0384).
    pub omemo: omemo::Omemo,
    /// Avatar pictures being fetched (XEP-0084/0153).
    pub avatars: avatar::Avatars,
}

/// A fresh random id for a stanza or an origin-id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
