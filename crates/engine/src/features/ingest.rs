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
use crate::store::{now_ms, Amend, MessageRow, MessageState, NewMessage, RowIds};

/// The longest body we store, in bytes (UTF-8); the rest is cut with a marker saying so.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// What a message does to an earlier one (see [`crate::store::Amend`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Amendment {
    /// XEP-0308: the body replaces the message with this id.
    Correct(String),
    /// XEP-0424 by its sender, or XEP-0425 by a moderator (`moderated`, only from the room).
    Retract {
        id: String,
        moderated: bool,
        by: Option<String>,
        reason: Option<String>,
    },
    /// XEP-0444: the sender's whole set of reactions on the message with this id.
    React { id: String, emojis: Vec<String> },
}

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
    /// The room's occupant-id for the author (XEP-0421).
    pub occupant_id: Option<String>,
    /// XEP-0461: `(answered id, its author as named, quoted fallback)`.
    pub reply: Option<(String, Option<String>, Option<String>)>,
    /// Not a new message: a change to an earlier one.
    pub amend: Option<Amendment>,
    /// How the payload was encrypted (`none`, `omemo`, `omemo2`, `undecryptable`).
    pub encryption: &'static str,
    /// The OMEMO device it came from: (owner's bare JID, device id).
    pub omemo_device: Option<(String, u32)>,
    /// The file it shares (XEP-0066 / XEP-0454).
    pub file: Option<crate::store::SharedFile>,
    /// For a shared image: its size and thumbnail as the sender described them (XEP-0446).
    pub image: Option<crate::store::ImageInfo>,
}

impl ChatMessage {
    pub(crate) fn as_new(&self, account_id: i64) -> NewMessage<'_> {
        NewMessage {
            account_id,
            peer: &self.peer,
            outgoing: self.outgoing,
            body: &self.body,
            encryption: self.encryption,
            omemo_device: self
                .omemo_device
                .as_ref()
                .map(|(jid, id)| (jid.as_str(), *id)),
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
            occupant_id: self.occupant_id.as_deref(),
            reply: self
                .reply
                .as_ref()
                .map(|(id, jid, quote)| (id.as_str(), jid.as_deref(), quote.as_deref())),
            amend: self.amend.as_ref().map(|a| match a {
                Amendment::Correct(id) => Amend::Correct { id },
                Amendment::Retract {
                    id,
                    moderated,
                    by,
                    reason,
                } => Amend::Retract {
                    id,
                    moderated: *moderated,
                    by: by.as_deref(),
                    reason: reason.as_deref(),
                },
                Amendment::React { id, emojis } => Amend::React { id, emojis },
            }),
            file: self.file.as_ref(),
            image: self.image.as_ref(),
        }
    }
}

/// The time a message was sent, unix ms: the forwarding delay (archive, carbon: our own
/// server's word), else the message's own XEP-0203 delay when `trusted` stamped it (our
/// server's offline storage, a room's history), else now. Never later than now: a stamp
/// cannot pin a conversation to the top.
fn sent_at(forward_delay: Option<&Delay>, content: &Content, trusted: &[&str]) -> i64 {
    let own = content.delay.as_ref().filter(|d| {
        d.from
            .as_ref()
            .is_some_and(|from| trusted.contains(&from.to_string().as_str()))
    });
    let now = now_ms();
    forward_delay
        .or(own)
        .map(|d| d.stamp.0.timestamp_millis())
        .map_or(now, |at| at.min(now))
}

/// A body no longer than [`MAX_BODY_BYTES`], cut at a character boundary with a marker.
fn capped(body: String) -> String {
    if body.len() <= MAX_BODY_BYTES {
        return body;
    }
    let mut cut = MAX_BODY_BYTES;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let rest = body[cut..].chars().count();
    format!(
        "{}\n\n[… {rest} more characters were not kept]",
        &body[..cut]
    )
}

/// What the facets make of a message: an amendment of another one, or `None` for a message
/// of its own. `Err(())` for what must be dropped: a moderator's retraction anywhere but from
/// a room itself (`from_room`), or an archive's tombstone.
fn amendment(content: &Content, from_room: bool) -> Result<Option<Amendment>, ()> {
    let facets = &content.facets;
    if facets.tombstone {
        return Err(());
    }
    if let Some(r) = &facets.retract {
        if r.moderated != from_room {
            return Err(());
        }
        let by = r.moderated_by.as_deref().map(|by| {
            // `room/nick` (XEP-0425 §4.2): the nick is what people know.
            by.split_once('/').map_or(by, |(_, nick)| nick).to_owned()
        });
        return Ok(Some(Amendment::Retract {
            id: r.id.clone(),
            moderated: r.moderated,
            by,
            reason: r.reason.clone(),
        }));
    }
    if from_room {
        return Err(()); // the room itself corrects and reacts to nothing
    }
    if let Some(id) = &facets.replace {
        return Ok(content
            .body
            .is_some()
            .then(|| Amendment::Correct(id.clone())));
    }
    Ok(facets
        .reactions
        .as_ref()
        .map(|(id, emojis)| Amendment::React {
            id: id.clone(),
            emojis: emojis.clone(),
        }))
}

/// The reply facet as stored.
fn reply(content: &Content) -> Option<(String, Option<String>, Option<String>)> {
    let r = content.facets.reply.as_ref()?;
    Some((
        r.id.clone(),
        r.to.as_ref().map(|t| t.to_string()),
        r.quote.clone(),
    ))
}

/// The body to store with `amend`: a correction's new text, nothing for the others (their
/// body is a fallback), the message's own body when it amends nothing.
fn body_for(content: &Content, amend: &Option<Amendment>) -> Option<String> {
    match amend {
        Some(Amendment::Correct(_)) | None => content.body.clone().map(capped),
        Some(_) => Some(String::new()),
    }
}

/// A one-to-one `chat`/`normal` message with a body, or one that amends an earlier one (live,
/// a carbon, or from our archive, in which case `archive_id` is its id there). `None` for
/// messages without either (chat states, markers), invitations (their body is a fallback) and
/// messages without the address we need.
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
    let amend = amendment(content, false).ok()?;
    let body = body_for(content, &amend)?;
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
    let own = ctx.jid.to_string();
    let trusted = [ctx.jid.domain().as_str(), own.as_str()];
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
        at: sent_at(forward_delay, content, &trusted),
        markable: content.markable,
        groupchat: false,
        sender: None,
        occupant_id: None,
        reply: reply(content),
        amend,
        encryption: content.encryption.unwrap_or("none"),
        omemo_device: content.omemo_device.clone(),
        file: super::files::shared_file(content),
        image: super::files::shared_image(content),
    })
}

/// A group message with a body, or one that amends an earlier one, from occupant `nick` of
/// `room` (`None`: from the room itself, which only moderates) (live, or from the room's
/// archive); `own_nick` is ours there, `stanza_id` the room's id for it (XEP-0359 §5, `by` the
/// room, or the room archive's result id).
pub(crate) fn group(
    room: &BareJid,
    nick: Option<&str>,
    own_nick: &str,
    envelope: &Envelope,
    content: &Content,
    stanza_id: Option<String>,
    forward_delay: Option<&Delay>,
) -> Option<ChatMessage> {
    let amend = amendment(content, nick.is_none()).ok()?;
    let body = body_for(content, &amend)?;
    let trusted = [room.as_str()];
    Some(ChatMessage {
        peer: room.to_string(),
        outgoing: nick == Some(own_nick),
        body,
        stanza_id,
        origin_id: content.origin_id.clone(),
        message_id: envelope.id.clone(),
        at: sent_at(forward_delay, content, &trusted),
        markable: false,
        groupchat: true,
        sender: nick.map(str::to_owned),
        occupant_id: content.facets.occupant_id.clone(),
        reply: reply(content),
        amend,
        encryption: content.encryption.unwrap_or("none"),
        omemo_device: content.omemo_device.clone(),
        file: super::files::shared_file(content),
        image: super::files::shared_image(content),
    })
}

/// Stores one live message and announces it; `notify` says whether it may notify (see
/// [`super::notify`]). Returns the new row, `None` for a duplicate or a store failure (logged).
pub(crate) async fn store_live(
    ctx: &Context,
    message: &ChatMessage,
    notify: bool,
) -> Option<MessageRow> {
    if message.amend.is_some() {
        return amend_live(ctx, message).await;
    }
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

/// Applies a live amendment; it never notifies.
async fn amend_live(ctx: &Context, message: &ChatMessage) -> Option<MessageRow> {
    match ctx.store.amend(&message.as_new(ctx.account_id)).await {
        Ok(Some(row)) => {
            ctx.emit(EngineEvent::MessagesChanged {
                account_id: ctx.account_id,
                peer: message.peer.clone(),
                ids: vec![row.id],
                live: false,
            });
            Some(row)
        }
        Ok(None) => {
            tracing::debug!(
                account = ctx.account_id,
                "amendment of an unknown message, or not by its author: ignored"
            );
            None
        }
        Err(e) => {
            tracing::error!(account = ctx.account_id, "storing an amendment failed: {e}");
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
    ids: RowIds,
) -> Result<usize, EngineError> {
    let page: Vec<_> = messages.iter().map(|m| m.as_new(account_id)).collect();
    let changed = store.store_page(account_id, &page, position, ids).await?;
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
