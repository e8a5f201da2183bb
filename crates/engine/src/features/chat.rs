//! One-to-one chat (RFC 6121 §5): inbound `chat`/`normal` messages with a body are stored
//! (deduplicated by XEP-0359 stanza-id / origin-id) and announced; message errors mark our
//! message failed; XEP-0184 receipts are answered and, for our messages, turn them
//! `delivered`; XEP-0333 `<displayed/>` markers turn them `displayed`; XEP-0280 carbons (only
//! from our own bare JID) store what our other clients sent and received. Outgoing stanzas are
//! built here too.

use tokio_xmpp::parsers::carbons;
use tokio_xmpp::parsers::delay::Delay;
use tokio_xmpp::parsers::displayed_markers::{Displayed, Markable};
use tokio_xmpp::parsers::forwarding::Forwarded;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::mam;
use tokio_xmpp::parsers::message::{Id, Lang, Message, MessageType};
use tokio_xmpp::parsers::receipts::{Received, Request};
use tokio_xmpp::parsers::stanza_id::{OriginId, StanzaId};

use super::Session;
use crate::event::EngineEvent;
use crate::store::{now_ms, MessageRow, NewMessage};

/// Builds the `chat` stanza for one of our stored messages: body, origin-id (XEP-0359), a
/// receipt request (XEP-0184) and `<markable/>` (XEP-0333). The stanza id equals the origin-id.
pub fn outgoing_stanza(row: &MessageRow, to: Jid) -> Message {
    let id = row.origin_id.clone().unwrap_or_default();
    if row.groupchat {
        // XEP-0045 §7.4: to the room's bare JID; the room reflects it back with our origin-id.
        let mut m = Message::groupchat(Some(to)).with_body(Lang::default(), row.body.clone());
        m.id = Some(Id(id.clone()));
        return m.with_payload(OriginId { id });
    }
    let private = to.resource().is_some();
    let mut m = Message::chat(Some(to)).with_body(Lang::default(), row.body.clone());
    m.id = Some(Id(id.clone()));
    if private {
        // A private message to a room occupant (XEP-0045 §7.5) says so with <x/>; receipts
        // and markers are not asked of an occupant we may not know.
        if let Ok(x) = format!("<x xmlns='{}'/>", tokio_xmpp::parsers::ns::MUC_USER)
            .parse::<tokio_xmpp::minidom::Element>()
        {
            m.payloads.push(x);
        }
        return m.with_payload(OriginId { id });
    }
    m.with_payload(OriginId { id })
        .with_payload(Request)
        .with_payload(Markable)
}

/// A `<displayed/>` chat marker (XEP-0333 §3) for the message with stanza id `id`.
pub fn displayed_marker(to: Jid, id: String) -> Message {
    let mut m = Message::chat(Some(to));
    m.id = Some(Id(crate::features::new_id()));
    m.with_payload(Displayed { id: Id(id) })
}

/// A chat message taken apart for storing, from a live stanza, a carbon (XEP-0280) or an
/// archive result (XEP-0313).
#[derive(Debug, Clone)]
pub(crate) struct ChatMessage {
    /// Conversation partner, bare JID.
    pub peer: String,
    /// Sent by us (from this or another of our clients).
    pub outgoing: bool,
    pub body: String,
    /// XEP-0359 stanza-id from our own server (or the archive id).
    pub stanza_id: Option<String>,
    pub origin_id: Option<String>,
    pub message_id: Option<String>,
    /// Unix ms.
    pub at: i64,
    pub markable: bool,
    /// From a room's archive (XEP-0045 + XEP-0313): `peer` is the room, `sender` the nick.
    pub groupchat: bool,
    pub sender: Option<String>,
}

impl ChatMessage {
    pub(crate) fn as_new(&self, account_id: i64) -> NewMessage<'_> {
        NewMessage {
            account_id,
            peer: &self.peer,
            outgoing: self.outgoing,
            body: &self.body,
            stanza_id: self.stanza_id.as_deref(),
            origin_id: self.origin_id.as_deref(),
            message_id: self.message_id.as_deref(),
            at: self.at,
            state: if self.outgoing { "sent" } else { "received" },
            read: self.outgoing,
            markable: self.markable,
            groupchat: self.groupchat,
            sender: self.sender.as_deref(),
        }
    }
}

impl Session {
    /// Takes a `chat`/`normal` message with a body apart. `archive_id` is the id under which
    /// our archive stored it (XEP-0313), `delay` the forwarding delay (XEP-0297/0203). Returns
    /// `None` for body-less messages (chat states, markers) and other types.
    pub(crate) fn parse_chat(
        &self,
        message: &mut Message,
        archive_id: Option<String>,
        delay: Option<Delay>,
    ) -> Option<ChatMessage> {
        if !matches!(message.type_, MessageType::Chat | MessageType::Normal) {
            return None; // groupchat and headline belong to other modules
        }
        // Room invitations carry a fallback body; they are not chat messages.
        if message.payloads.iter().any(|p| {
            p.is("x", "jabber:x:conference")
                || (p.is("x", tokio_xmpp::parsers::ns::MUC_USER)
                    && p.get_child("invite", tokio_xmpp::parsers::ns::MUC_USER)
                        .is_some())
        }) {
            return None;
        }
        let (_, body) = message.get_best_body_cloned(vec![])?;
        let from_us = message
            .from
            .as_ref()
            .is_none_or(|f| f.to_bare() == self.jid);
        let (peer, outgoing) = if from_us {
            // Sent by one of our clients: the conversation is with the recipient.
            (self.conversation_peer(message.to.as_ref()?), true)
        } else {
            (self.conversation_peer(message.from.as_ref()?), false)
        };
        let origin_id = message
            .extract_payload::<OriginId>()
            .ok()
            .flatten()
            .map(|o| o.id);
        // A stanza-id counts only when our own server put it there (XEP-0359 §5).
        let mut stanza_id = archive_id;
        while let Ok(Some(sid)) = message.extract_payload::<StanzaId>() {
            if stanza_id.is_none() && sid.by.to_bare() == self.jid {
                stanza_id = Some(sid.id);
            }
        }
        let delay = delay.or_else(|| message.extract_payload::<Delay>().ok().flatten());
        let at = delay
            .map(|d| d.stamp.0.timestamp_millis())
            .unwrap_or_else(now_ms);
        let markable = message
            .extract_payload::<Markable>()
            .ok()
            .flatten()
            .is_some();
        let message_id = message.id.as_ref().map(|i| i.0.clone());
        Some(ChatMessage {
            peer,
            outgoing,
            body,
            // Our other clients' messages without an origin-id still deduplicate by stanza id.
            origin_id: origin_id.or_else(|| message_id.clone().filter(|_| outgoing)),
            stanza_id,
            message_id,
            at,
            markable,
            groupchat: false,
            sender: None,
        })
    }

    /// The conversation a one-to-one message belongs to: the bare JID, except for a private
    /// message with an occupant of a room we are in (XEP-0045 §7.5), kept apart as room/nick.
    pub(crate) fn conversation_peer(&self, jid: &Jid) -> String {
        let bare = jid.to_bare().to_string();
        if jid.resource().is_some() && !self.muc.nick(self.account_id, &bare).is_empty() {
            jid.to_string()
        } else {
            bare
        }
    }

    pub(crate) async fn on_message(&mut self, mut message: Message) {
        if message.type_ == MessageType::Error {
            self.on_message_error(&message).await;
            return;
        }
        if message.type_ == MessageType::Groupchat {
            self.on_groupchat(message).await;
            return;
        }
        // Room invitations (XEP-0045 §7.8.2, XEP-0249).
        if self.on_invite(&message) {
            return;
        }
        // PEP notifications (XEP-0163), e.g. our bookmarks (XEP-0402).
        if let Ok(Some(event)) =
            message.extract_payload::<tokio_xmpp::parsers::pubsub::event::Event>()
        {
            if self.on_bookmarks_event(message.from.as_ref(), event).await {
                return;
            }
        }
        // XEP-0313 §4.2: a result of one of our archive queries.
        if let Ok(Some(result)) = message.extract_payload::<mam::Result_>() {
            self.on_archive_result(message.from.as_ref(), result);
            return;
        }
        // XEP-0280 §11: carbons are accepted only from our own bare JID.
        let sent = message.extract_payload::<carbons::Sent>().ok().flatten();
        let received = message
            .extract_payload::<carbons::Received>()
            .ok()
            .flatten();
        if let Some(forwarded) = sent.map(|s| s.forwarded).or(received.map(|r| r.forwarded)) {
            if !message.from.as_ref().is_some_and(|f| self.is_own_bare(f)) {
                tracing::warn!(
                    account = self.account_id,
                    "carbon from {:?} ignored: not our own account",
                    message.from
                );
                return;
            }
            self.on_carbon(forwarded).await;
            return;
        }
        let Some(from) = message.from.clone() else {
            tracing::debug!(account = self.account_id, "message without from, ignored");
            return;
        };
        let peer = self.conversation_peer(&from);
        if let Ok(Some(receipt)) = message.extract_payload::<Received>() {
            self.on_receipt(&peer, &receipt.id).await;
        }
        if let Ok(Some(displayed)) = message.extract_payload::<Displayed>() {
            self.on_displayed(&peer, &displayed.id.0).await;
        }
        let receipt_requested = message
            .extract_payload::<Request>()
            .ok()
            .flatten()
            .is_some();
        let Some(chat) = self.parse_chat(&mut message, None, None) else {
            return;
        };
        match self
            .store
            .insert_message(&chat.as_new(self.account_id))
            .await
        {
            Ok(Some(row)) => self.emit(EngineEvent::MessagesChanged {
                account_id: self.account_id,
                peer: chat.peer.clone(),
                ids: vec![row.id],
                live: !chat.outgoing,
            }),
            Ok(None) => tracing::debug!(account = self.account_id, "duplicate message skipped"),
            Err(e) => tracing::error!(account = self.account_id, "storing a message failed: {e}"),
        }
        if receipt_requested && !chat.outgoing {
            if let Some(id) = chat.message_id {
                let receipt = Message::new(Some(from)).with_payload(Received { id });
                self.out.push(receipt.into());
            }
        }
    }

    /// A carbon copy (XEP-0280 §6, §7) of a message one of our other clients sent or
    /// received: stored like any other, without a notification.
    async fn on_carbon(&mut self, forwarded: Forwarded) {
        let Forwarded { delay, message } = forwarded;
        let mut message = message;
        // A receipt our other client got for a message it sent (stored here via its carbon).
        if let (Ok(Some(receipt)), Some(from)) =
            (message.extract_payload::<Received>(), message.from.clone())
        {
            if from.to_bare() != self.jid {
                self.on_receipt(&from.to_bare().to_string(), &receipt.id)
                    .await;
            }
        }
        let Some(chat) = self.parse_chat(&mut message, None, delay) else {
            return;
        };
        match self
            .store
            .store_page(
                self.account_id,
                &[chat.as_new(self.account_id)],
                None,
                false,
            )
            .await
        {
            Ok(changed) => super::mam::announce_stored(&self.events, self.account_id, changed),
            Err(e) => tracing::error!(account = self.account_id, "storing a carbon failed: {e}"),
        }
    }

    /// A receipt (XEP-0184 §4) from `peer` for our message `id`.
    async fn on_receipt(&mut self, peer: &str, id: &str) {
        match self.store.mark_delivered(self.account_id, peer, id).await {
            Ok(Some(row_id)) => self.emit(EngineEvent::MessagesChanged {
                account_id: self.account_id,
                peer: peer.to_owned(),
                ids: vec![row_id],
                live: false,
            }),
            Ok(None) => {}
            Err(e) => tracing::warn!(account = self.account_id, "storing a receipt failed: {e}"),
        }
    }

    /// A displayed marker (XEP-0333 §3) from `peer` for our message `id`.
    async fn on_displayed(&mut self, peer: &str, id: &str) {
        match self.store.mark_displayed(self.account_id, peer, id).await {
            Ok(ids) if !ids.is_empty() => self.emit(EngineEvent::MessagesChanged {
                account_id: self.account_id,
                peer: peer.to_owned(),
                ids,
                live: false,
            }),
            Ok(_) => {}
            Err(e) => tracing::warn!(account = self.account_id, "storing a marker failed: {e}"),
        }
    }

    async fn on_message_error(&mut self, message: &Message) {
        let Some(id) = message.id.as_ref() else {
            return;
        };
        let reason = message
            .payloads
            .iter()
            .find(|p| p.name() == "error")
            .and_then(|e| e.children().next().map(|c| c.name().replace('-', " ")))
            .unwrap_or_else(|| "the server could not deliver it".into());
        match self
            .store
            .outgoing_by_message_id(self.account_id, &id.0)
            .await
        {
            Ok(Some(row_id)) => {
                if self
                    .store
                    .set_message_state(row_id, "failed", Some(&reason))
                    .await
                    .is_ok()
                {
                    if let Ok(Some(row)) = self.store.message(row_id).await {
                        self.emit(EngineEvent::MessagesChanged {
                            account_id: self.account_id,
                            peer: row.peer,
                            ids: vec![row_id],
                            live: false,
                        });
                    }
                }
            }
            Ok(None) => tracing::debug!(
                account = self.account_id,
                "error for a message we do not know"
            ),
            Err(e) => tracing::warn!(account = self.account_id, "looking up failed message: {e}"),
        }
    }
}
