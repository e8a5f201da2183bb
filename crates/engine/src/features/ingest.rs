//! One ingest path for every message we store: live one-to-one messages, carbons (XEP-0280),
//! archive results (XEP-0313, ours and rooms'), and live group messages (XEP-0045). Each is
//! turned into one [`ChatMessage`] here, from the parsed [`Content`], and stored through
//! [`store_live`] (one row, may notify) or [`store_page`] (many rows in one transaction,
//! never notifies); either way deduplicated by stanza-id / origin-id (XEP-0359) and announced
//! as `MessagesChanged`.

use std::collections::BTreeMap;

use tokio::sync::broadcast;
use tokio_xmpp::parsers::delay::Delay;
use tokio_xmpp::parsers::jid::BareJid;

use super::inbound::{Content, Envelope};
use super::Context;
use crate::error::EngineError;
use crate::event::EngineEvent;
use crate::store::{now_ms, MessageRow, MessageState, NewMessage};

/// A message taken apart for storing.
#[derive(Debug, Clone)]
pub(crate) struct ChatMessage {
    /// Conversation: a contact's bare JID, a room's bare JID, or room/nick for a private
    /// message with an occupant.
    pub peer: String,
    /// Sent by us (from this or another of our clients).
    pub outgoing: bool,
    pub body: String,
    /// XEP-0359 stanza-id from the archive that holds it (ours, or the room's).
    pub stanza_id: Option<String>,
    pub origin_id: Option<String>,
    pub message_id: Option<String>,
    /// Unix ms.
    pub at: i64,
    pub markable: bool,
    /// A group message (XEP-0045): `peer` is the room, `sender` the nick.
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
            state: if self.outgoing {
                MessageState::Sent
            } else {
                MessageState::Received
            },
            read: self.outgoing,
            markable: self.markable,
            groupchat: self.groupchat,
            sender: self.sender.as_deref(),
        }
    }
}

/// The time a message was sent: the forwarding delay (archive, carbon), else the message's
/// own XEP-0203 delay, else now. Unix ms.
fn sent_at(forward_delay: Option<&Delay>, content: &Content) -> i64 {
    forward_delay
        .map(|d| d.stamp.0.timestamp_millis())
        .or_else(|| content.delay_ms())
        .unwrap_or_else(now_ms)
}

/// A one-to-one `chat`/`normal` message with a body (live, a carbon, or from our archive, in
/// which case `archive_id` is its id there). `None` for messages without a body (chat states,
/// markers), invitations (their body is a fallback) and messages without the address we need.
pub(crate) fn direct(
    ctx: &Context,
    envelope: &Envelope,
    content: &Content,
    archive_id: Option<String>,
    forward_delay: Option<&Delay>,
) -> Option<ChatMessage> {
    use tokio_xmpp::parsers::message::MessageType;
    if !matches!(envelope.type_, MessageType::Chat | MessageType::Normal) {
        return None; // groupchat and headline belong to other modules
    }
    if content.invitation.is_some() {
        return None;
    }
    let body = content.body.clone()?;
    let from_us = envelope
        .from
        .as_ref()
        .is_none_or(|f| f.to_bare() == ctx.jid);
    let (peer, outgoing) = if from_us {
        // Sent by one of our clients: the conversation is with the recipient.
        (ctx.conversation_peer(envelope.to.as_ref()?), true)
    } else {
        (ctx.conversation_peer(envelope.from.as_ref()?), false)
    };
    // A stanza-id counts only when our own server put it there (XEP-0359 §5).
    let stanza_id = archive_id.or_else(|| content.stanza_id_by(&ctx.jid).map(str::to_owned));
    let message_id = envelope.id.clone();
    Some(ChatMessage {
        peer,
        outgoing,
        body,
        // Our other clients' messages without an origin-id still deduplicate by stanza id.
        origin_id: content
            .origin_id
            .clone()
            .or_else(|| message_id.clone().filter(|_| outgoing)),
        stanza_id,
        message_id,
        at: sent_at(forward_delay, content),
        markable: content.markable,
        groupchat: false,
        sender: None,
    })
}

/// A group message with a body from occupant `nick` of `room` (live, or from the room's
/// archive); `own_nick` is ours there, `stanza_id` the room's id for it (XEP-0359 §5, `by` the
/// room, or the room archive's result id).
pub(crate) fn group(
    room: &BareJid,
    nick: &str,
    own_nick: &str,
    envelope: &Envelope,
    content: &Content,
    stanza_id: Option<String>,
    forward_delay: Option<&Delay>,
) -> Option<ChatMessage> {
    Some(ChatMessage {
        peer: room.to_string(),
        outgoing: nick == own_nick,
        body: content.body.clone()?,
        stanza_id,
        origin_id: content.origin_id.clone(),
        message_id: envelope.id.clone(),
        at: sent_at(forward_delay, content),
        markable: false,
        groupchat: true,
        sender: Some(nick.to_owned()),
    })
}

/// Stores one live message and announces it; `notify` says whether it may notify (see
/// [`super::notify`]). Returns the new row, `None` for a duplicate or a store failure (logged).
pub(crate) async fn store_live(
    ctx: &Context,
    message: &ChatMessage,
    notify: bool,
) -> Option<MessageRow> {
    match ctx
        .store
        .insert_message(&message.as_new(ctx.account_id))
        .await
    {
        Ok(Some(row)) => {
            ctx.emit(EngineEvent::MessagesChanged {
                account_id: ctx.account_id,
                peer: message.peer.clone(),
                ids: vec![row.id],
                live: notify,
            });
            Some(row)
        }
        Ok(None) => {
            tracing::debug!(account = ctx.account_id, "duplicate message skipped");
            None
        }
        Err(e) => {
            tracing::error!(account = ctx.account_id, "storing a message failed: {e}");
            None
        }
    }
}

/// Stores messages that never notify (carbons, archive pages) in one transaction; `position`
/// is `(archive, last id)` to save with them, `older` a page of older history (see
/// [`crate::store::Store::store_page`]). Announces what changed; returns how many rows did.
///
/// Errors: store errors (nothing of the page is stored then).
pub(crate) async fn store_page(
    store: &crate::store::Store,
    events: &broadcast::Sender<EngineEvent>,
    account_id: i64,
    messages: &[ChatMessage],
    position: Option<(&str, &str)>,
    older: bool,
) -> Result<usize, EngineError> {
    let page: Vec<_> = messages.iter().map(|m| m.as_new(account_id)).collect();
    let changed = store.store_page(account_id, &page, position, older).await?;
    let count = changed.len();
    announce_stored(events, account_id, changed);
    Ok(count)
}

/// Announces stored rows as one `MessagesChanged` per conversation, never `live`.
pub(crate) fn announce_stored(
    events: &broadcast::Sender<EngineEvent>,
    account_id: i64,
    changed: Vec<(String, i64)>,
) {
    let mut by_peer: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (peer, id) in changed {
        by_peer.entry(peer).or_default().push(id);
    }
    for (peer, ids) in by_peer {
        let _ = events.send(EngineEvent::MessagesChanged {
            account_id,
            peer,
            ids,
            live: false,
        });
    }
}
