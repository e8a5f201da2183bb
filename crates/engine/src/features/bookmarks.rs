//! Bookmarks (XEP-0402, PEP native bookmarks): the rooms the user keeps on the server, shared
//! by all their clients. On connect the `urn:xmpp:bookmarks:1` node is fetched; live changes
//! arrive as PEP notifications (we announce `urn:xmpp:bookmarks:1+notify` in our caps). An
//! `autojoin` bookmark is joined (with its nickname, else the local part of our JID); one that
//! is retracted or no longer `autojoin` is left. Notifications are accepted only from our own
//! bare JID (or the server on its behalf).
//!
//! A server without the XEP-0402 compat feature gets XEP-0048 bookmarks in private XML
//! storage (XEP-0049) instead: read at connect, written back whole after each change (no live
//! notifications there).

use tokio_xmpp::minidom::rxml::NcName;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::bookmarks::{Conference as LegacyConference, Storage};
use tokio_xmpp::parsers::bookmarks2::Conference;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::private::Query as PrivateQuery;
use tokio_xmpp::parsers::pubsub::event::{Event, Payload};

use super::{new_id, IqPurpose, Session};
use crate::event::EngineEvent;

/// The PEP node of XEP-0402 bookmarks.
pub const NODE: &str = "urn:xmpp:bookmarks:1";
const PUBSUB: &str = "http://jabber.org/protocol/pubsub";

impl Session {
    /// Asks for our bookmarks (XEP-0402 §4.2 / XEP-0060 §6.5).
    pub(crate) fn request_bookmarks(&mut self) {
        let Ok(payload) =
            format!("<pubsub xmlns='{PUBSUB}'><items node='{NODE}'/></pubsub>").parse::<Element>()
        else {
            return;
        };
        let id = new_id();
        self.pending_iq.insert(id.clone(), IqPurpose::Bookmarks);
        self.out.push(
            Iq::Get {
                from: None,
                to: None,
                id,
                payload,
            }
            .into(),
        );
    }

    /// Publishes (or updates) the bookmark of a room the user joined here, so their other
    /// clients join it too (XEP-0402 §4.3, with the publish-options of §5: persistent,
    /// whitelist access). Failures are logged; the room works without a bookmark.
    pub(crate) fn publish_bookmark(&mut self, room: &BareJid, nick: &str) {
        if self.legacy_bookmark(room, Some(nick)) {
            return;
        }
        let conference = Conference {
            autojoin: true,
            nick: room
                .with_resource_str(nick)
                .ok()
                .map(|occupant| occupant.resource().to_owned()),
            ..Conference::default()
        };
        let skeleton = format!(
            "<pubsub xmlns='{PUBSUB}'><publish node='{NODE}'/><publish-options><x xmlns='jabber:x:data' type='submit'>\
               <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>\
               <field var='pubsub#persist_items'><value>true</value></field>\
               <field var='pubsub#max_items'><value>max</value></field>\
               <field var='pubsub#send_last_published_item'><value>never</value></field>\
               <field var='pubsub#access_model'><value>whitelist</value></field>\
             </x></publish-options></pubsub>"
        );
        self.send_pubsub_set(&skeleton, "publish", room, Some(conference.into()));
    }

    /// Removes a room's bookmark (XEP-0402 §4.4) when the user leaves it here.
    pub(crate) fn retract_bookmark(&mut self, room: &BareJid) {
        if self.legacy_bookmark(room, None) {
            return;
        }
        let skeleton =
            format!("<pubsub xmlns='{PUBSUB}'><retract node='{NODE}' notify='true'/></pubsub>");
        self.send_pubsub_set(&skeleton, "retract", room, None);
    }

    /// Sends a pubsub set: `skeleton` (fixed XML) with `<item id=room>payload</item>` added to
    /// its `verb` child by the XML library, so no user text is spliced into markup.
    fn send_pubsub_set(
        &mut self,
        skeleton: &str,
        verb: &str,
        room: &BareJid,
        payload: Option<Element>,
    ) {
        let Ok(mut pubsub) = skeleton.parse::<Element>() else {
            return;
        };
        let Ok(id) = NcName::try_from("id") else {
            return;
        };
        let mut item = Element::builder("item", PUBSUB).attr(id, room.as_str());
        if let Some(payload) = payload {
            item = item.append(payload);
        }
        let Some(target) = pubsub.get_child_mut(verb, PUBSUB) else {
            return;
        };
        target.append_child(item.build());
        self.out.push(
            Iq::Set {
                from: None,
                to: None,
                id: new_id(),
                payload: pubsub,
            }
            .into(),
        );
    }

    /// The answer to [`Self::request_bookmarks`]: every `<item id=room><conference/></item>`.
    pub(crate) async fn on_bookmarks_result(&mut self, payload: Option<Element>) {
        let Some(pubsub) = payload else { return };
        let Some(items) = pubsub.get_child("items", PUBSUB) else {
            return;
        };
        for item in items.children().filter(|c| c.is("item", PUBSUB)) {
            let room = item.attr("id").unwrap_or_default().to_owned();
            let conference = item
                .children()
                .find(|c| c.is("conference", NODE))
                .and_then(|c| Conference::try_from(c.clone()).ok());
            match conference {
                Some(c) => self.apply_bookmark(&room, Some(c)).await,
                None => tracing::debug!(account = self.account_id, "unusable bookmark {room}"),
            }
        }
    }

    /// A PEP notification (XEP-0163 §4.3) for our bookmarks node. Returns true when the
    /// message was one (handled or refused), false for other messages.
    pub(crate) async fn on_bookmarks_event(&mut self, from: Option<&Jid>, event: Event) -> bool {
        let Payload::Items {
            node,
            published,
            retracted,
        } = event.payload
        else {
            return false;
        };
        if node.0 != NODE {
            return false;
        }
        if from.is_some_and(|f| !self.is_own_bare(f)) {
            tracing::warn!(account = self.account_id, "bookmarks from {from:?} ignored");
            return true;
        }
        for item in published {
            let room = item.id.map(|i| i.0).unwrap_or_default();
            let conference = item.payload.and_then(|p| Conference::try_from(p).ok());
            self.apply_bookmark(&room, conference).await;
        }
        for id in retracted {
            self.apply_bookmark(&id.0, None).await;
        }
        true
    }

    /// Joins an autojoin bookmark; leaves the room for a retracted or non-autojoin one.
    async fn apply_bookmark(&mut self, room: &str, conference: Option<Conference>) {
        let Ok(room) = BareJid::new(room) else {
            tracing::debug!(
                account = self.account_id,
                "bookmark for a bad room address {room}"
            );
            return;
        };
        let stored = self
            .store
            .room(self.account_id, room.as_str())
            .await
            .ok()
            .flatten();
        match conference {
            Some(c) if c.autojoin => {
                let nick = c
                    .nick
                    .map(|n| n.to_string())
                    .or_else(|| self.jid.node().map(|n| n.to_string()))
                    .unwrap_or_else(|| "linnet".into());
                if stored.as_ref().is_some_and(|r| r.nick == nick)
                    && !self
                        .muc
                        .state(self.account_id, room.as_str())
                        .nick
                        .is_empty()
                {
                    return; // already in (or joining) with that nickname
                }
                if let Err(e) = self
                    .store
                    .upsert_room(self.account_id, room.as_str(), &nick)
                    .await
                {
                    tracing::warn!(account = self.account_id, "storing a bookmark: {e}");
                    return;
                }
                self.join_room(&room, &nick);
                self.emit(EngineEvent::ConversationsChanged);
            }
            _ => {
                if stored.is_some() {
                    self.leave_room(&room);
                    let _ = self.store.remove_room(self.account_id, room.as_str()).await;
                }
            }
        }
    }
}

/// Announced on the account (disco#info of our bare JID) when the server keeps XEP-0402 and
/// XEP-0048 bookmarks in sync (XEP-0402 §3); without it we use XEP-0048 in private XML
/// storage (XEP-0049), as the ModernXMPP client guidance says.
pub const COMPAT: &str = "urn:xmpp:bookmarks:1#compat";

/// Where this session keeps bookmarks, and bookmark changes waiting until that is known (or,
/// for private storage, until the whole list has been read: it is written back whole, so
/// writing before reading would lose the user's other bookmarks).
#[derive(Debug, Default)]
pub(crate) struct BookmarkSync {
    /// `None` until the account's features are known; `Some(true)` for XEP-0048.
    legacy: Option<bool>,
    /// The XEP-0048 list as last read or written.
    storage: Option<Storage>,
    /// Joins (`Some(nick)`) and leaves (`None`) made before we could record them.
    pending: Vec<(BareJid, Option<String>)>,
}

impl Session {
    /// Asks our server which bookmarks it keeps (disco#info of our bare JID, XEP-0030), then
    /// fetches them from there. Called at session start.
    pub(crate) fn discover_bookmarks(&mut self) {
        self.bookmark_sync = BookmarkSync::default();
        let id = new_id();
        self.pending_iq.insert(id.clone(), IqPurpose::AccountInfo);
        self.out.push(
            Iq::from_get(
                id,
                tokio_xmpp::parsers::disco::DiscoInfoQuery { node: None },
            )
            .with_to(Jid::from(self.jid.clone()))
            .into(),
        );
    }

    /// The account's disco#info answer (`None` after an error): XEP-0402 when the server
    /// syncs it with XEP-0048, else XEP-0048 in private XML storage.
    pub(crate) fn on_account_info(&mut self, payload: Option<Element>) {
        let compat = payload
            .and_then(|p| tokio_xmpp::parsers::disco::DiscoInfoResult::try_from(p).ok())
            .is_some_and(|info| info.features.iter().any(|f| f == COMPAT));
        self.bookmark_sync.legacy = Some(!compat);
        if compat {
            self.request_bookmarks();
            for (room, nick) in std::mem::take(&mut self.bookmark_sync.pending) {
                match nick {
                    Some(nick) => self.publish_bookmark(&room, &nick),
                    None => self.retract_bookmark(&room),
                }
            }
        } else {
            tracing::info!(
                account = self.account_id,
                "no XEP-0402 compat on the server: bookmarks in private XML storage (XEP-0048)"
            );
            let id = new_id();
            self.pending_iq
                .insert(id.clone(), IqPurpose::PrivateBookmarks);
            self.out.push(
                Iq::from_get(
                    id,
                    PrivateQuery {
                        storage: Storage::new(),
                    },
                )
                .into(),
            );
        }
    }

    /// Our XEP-0048 bookmarks from private XML storage (an empty answer is an empty list):
    /// autojoin rooms are joined; then changes made meanwhile are written back.
    pub(crate) async fn on_private_bookmarks(&mut self, payload: Option<Element>) {
        let storage = payload
            .and_then(|p| PrivateQuery::try_from(p).ok())
            .map(|q| q.storage)
            .unwrap_or_default();
        for conference in storage.conferences.clone() {
            let (room, conference) = conference.into_bookmarks2();
            self.apply_bookmark(room.as_str(), Some(conference)).await;
        }
        self.bookmark_sync.storage = Some(storage);
        let pending = std::mem::take(&mut self.bookmark_sync.pending);
        if !pending.is_empty() {
            for (room, nick) in pending {
                self.change_private_bookmark(&room, nick.as_deref());
            }
            self.write_private_bookmarks();
        }
    }

    /// Records a join (`Some(nick)`) or leave (`None`) here, in whichever bookmarks the
    /// server keeps. Returns true when it was handled by XEP-0048 or queued.
    fn legacy_bookmark(&mut self, room: &BareJid, nick: Option<&str>) -> bool {
        match (
            self.bookmark_sync.legacy,
            self.bookmark_sync.storage.is_some(),
        ) {
            (Some(false), _) => false,
            (Some(true), true) => {
                self.change_private_bookmark(room, nick);
                self.write_private_bookmarks();
                true
            }
            _ => {
                self.bookmark_sync
                    .pending
                    .push((room.clone(), nick.map(str::to_owned)));
                true
            }
        }
    }

    fn change_private_bookmark(&mut self, room: &BareJid, nick: Option<&str>) {
        let Some(storage) = self.bookmark_sync.storage.as_mut() else {
            return;
        };
        let old = storage.conferences.iter().position(|c| &c.jid == room);
        match nick {
            Some(nick) => {
                let nick = room
                    .with_resource_str(nick)
                    .ok()
                    .map(|occupant| occupant.resource().to_owned());
                match old {
                    Some(i) => {
                        storage.conferences[i].autojoin = true;
                        storage.conferences[i].nick = nick;
                    }
                    None => storage.conferences.push(LegacyConference {
                        autojoin: true,
                        jid: room.clone(),
                        name: None,
                        nick,
                        password: None,
                    }),
                }
            }
            None => {
                if let Some(i) = old {
                    storage.conferences.remove(i);
                }
            }
        }
    }

    fn write_private_bookmarks(&mut self) {
        let Some(storage) = self.bookmark_sync.storage.clone() else {
            return;
        };
        self.out
            .push(Iq::from_set(new_id(), PrivateQuery { storage }).into());
    }
}
