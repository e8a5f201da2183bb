//! Bookmarks (XEP-0402, PEP native bookmarks): the rooms the user keeps on the server, shared
//! by all their clients. On connect the `urn:xmpp:bookmarks:1` node is fetched; live changes
//! arrive as PEP notifications (we announce `urn:xmpp:bookmarks:1+notify` in our caps). An
//! `autojoin` bookmark is joined (with its nickname, else the local part of our JID); one that
//! is retracted or no longer `autojoin` is left. Notifications are accepted only from our own
//! bare JID (or the server on its behalf).

use tokio_xmpp::minidom::rxml::NcName;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::bookmarks2::Conference;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
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
