//! The outbox: every message the user writes is stored as `pending` before anything is sent
//! ([`store_pending`]), then sent by the account actor when online, with XEP-0198 ack
//! tracking: the ack marks it `sent`. A message whose stream dies unacknowledged stays pending
//! and goes again, with the same origin-id (XEP-0359), after a resumption (what the stream
//! does not retransmit itself) or on the next session (after archive reconciliation, see
//! [`super::mam`]).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio_xmpp::parsers::displayed_markers::Markable;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::message::{Id, Lang, Message};
use tokio_xmpp::parsers::muc::user::MucUser;
use tokio_xmpp::parsers::receipts::Request;
use tokio_xmpp::parsers::stanza_id::OriginId;
use tokio_xmpp::stanzastream::{StanzaStage, StanzaState, StanzaStream};
use tokio_xmpp::Stanza;

use super::omemo::Omemo;
use super::Context;
use crate::error::EngineError;
use crate::event::EngineEvent;
use crate::store::{now_ms, ImageInfo, MessageRow, MessageState, NewMessage, SharedFile, Store};

/// Builds the stanza for one of our stored messages: body, origin-id (XEP-0359), a receipt
/// request (XEP-0184) and `<markable/>` (XEP-0333). The stanza id equals the origin-id.
///
/// A reply (XEP-0461) carries `<reply/>` and the answered text as a quoted fallback; a shared
/// file its URL as out-of-band data (XEP-0066 §4, the URL also being the body, which is how
/// Conversations, Dino and Gajim tell a file from a link) and Stateless File Sharing
/// metadata (XEP-0447: name, size, media type, SHA-256; for an image `image`, its size and a
/// thumbnail with its XEP-0231 data).
pub fn outgoing_stanza(row: &MessageRow, to: Jid, image: Option<&ImageInfo>) -> Message {
    let mut m = plain_stanza(row, to);
    if let Some(file) = &row.file {
        if let Some(url) = file.url.clone() {
            // XEP-0447 first, as Dino reads it; XEP-0066 for everyone else.
            if let Some((sharing, data)) =
                super::file_sharing::file_sharing_element(file, &url, image)
            {
                m.payloads.push(sharing);
                m.payloads.extend(data);
            }
            m.payloads
                .push(tokio_xmpp::parsers::oob::Oob { url, desc: None }.into());
        }
    }
    if let Some(reply) = &row.reply {
        let author = reply.jid.as_deref().and_then(|j| Jid::new(j).ok());
        super::facets::add_reply(&mut m, &reply.id, author.as_ref(), reply.quote.as_deref());
    }
    m
}

fn plain_stanza(row: &MessageRow, to: Jid) -> Message {
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
        let x = MucUser {
            status: vec![],
            items: vec![],
            invite: None,
            decline: None,
            affiliations: None,
        };
        m.payloads.push(x.into());
        return m.with_payload(OriginId { id });
    }
    m.with_payload(OriginId { id })
        .with_payload(Request)
        .with_payload(Markable)
}

/// What `encryption` says of a message to send with OMEMO (and of one received with it).
pub(crate) const ENCRYPT_OMEMO: &str = "omemo";

/// The fallback body of our encrypted messages, for clients without OMEMO (XEP-0380 names
/// the encryption too).
const OMEMO_FALLBACK: &str =
    "This message is encrypted with OMEMO, which your client does not support.";

/// An encrypted message: the `<encrypted/>` elements, the XEP-0380 marker, a store hint
/// (XEP-0334, so archives keep a body-less message), origin-id, receipt request and
/// `<markable/>` outside, and a fallback body.
fn encrypted_stanza(
    row: &MessageRow,
    to: Jid,
    elements: Vec<tokio_xmpp::minidom::Element>,
) -> Message {
    let mut fallback = row.clone();
    fallback.body = OMEMO_FALLBACK.to_owned();
    fallback.reply = None;
    let mut m = plain_stanza(&fallback, to);
    m.payloads.extend(elements);
    let eme = tokio_xmpp::minidom::Element::builder("encryption", "urn:xmpp:eme:0");
    let eme = super::facets::attr(eme, "namespace", "eu.siacs.conversations.axolotl");
    m.payloads
        .push(super::facets::attr(eme, "name", "OMEMO").build());
    m.payloads.push(super::facets::store_hint());
    m
}

async fn fail(ctx: &Context, row: MessageRow, reason: &str) {
    let failed = ctx
        .store
        .set_message_state(row.id, MessageState::Failed, Some(reason));
    if failed.await.is_ok() {
        ctx.emit(EngineEvent::MessagesChanged {
            account_id: ctx.account_id,
            peer: row.peer,
            ids: vec![row.id],
            live: false,
        });
    }
}

/// Stores a message the user wrote to `peer` (a contact, a room when `groupchat`, or an
/// occupant as room/nick) as `pending` with a fresh origin-id, which is also its stanza id;
/// `reply` is what it answers (XEP-0461): `(id, author, quoted text)`; `file` what it shares
/// (its `url` still `None`: the upload comes first, see `api::upload`). One-to-one messages
/// in a conversation with OMEMO on are marked to be sent encrypted ([`ENCRYPT_OMEMO`]).
///
/// Errors: store errors; [`EngineError::Server`] if the origin-id collided (never in practice).
pub(crate) async fn store_pending(
    store: &Store,
    account_id: i64,
    peer: &str,
    body: &str,
    groupchat: bool,
    reply: Option<(&str, Option<&str>, Option<&str>)>,
    file: Option<&SharedFile>,
) -> Result<MessageRow, EngineError> {
    let origin_id = super::new_id();
    // Private messages to occupants are not encrypted (their real JID may be unknown).
    let bare = Jid::new(peer).is_ok_and(|j| j.resource().is_none());
    let encrypt = bare && store.conversation_encryption(account_id, peer).await? == Some(true);
    let new = NewMessage {
        account_id,
        peer,
        outgoing: true,
        body,
        encryption: if encrypt { ENCRYPT_OMEMO } else { "none" },
        omemo_device: None,
        stanza_id: None,
        origin_id: Some(&origin_id),
        message_id: Some(&origin_id),
        at: now_ms(),
        state: MessageState::Pending,
        read: true,
        markable: false,
        groupchat,
        sender: None,
        occupant_id: None,
        reply,
        amend: None,
        file,
        image: None,
    };
    store
        .insert_message(&new)
        .await?
        .ok_or_else(|| EngineError::Server("duplicate origin-id".into()))
}

/// Outbox messages on their way out of one account's actor.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Queued to send with ack tracking: (stanza, row id, conversation).
    queued: Vec<(Stanza, i64, String)>,
    /// Row ids handed to the stream and not yet acknowledged or dropped by it; the stream
    /// retransmits those itself after a resumption (XEP-0198 §5).
    in_flight: Arc<Mutex<HashSet<i64>>>,
    /// Messages bounced by a server out of reach, to send again (`unreachable`).
    pub(super) unreachable: super::unreachable::Unreachable,
}

impl Outbox {
    /// Whether the stream carries this row already.
    pub(crate) fn in_flight(&self, row_id: i64) -> bool {
        self.in_flight.lock().is_ok_and(|s| s.contains(&row_id))
    }

    /// Queues every pending message the stream does not already carry.
    pub(crate) async fn queue_all(&mut self, ctx: &mut Context, omemo: &mut Omemo) {
        match ctx.store.pending_messages(ctx.account_id).await {
            Ok(rows) => {
                for row in rows {
                    if !self.in_flight(row.id) {
                        self.queue_row(ctx, omemo, row).await;
                    }
                }
            }
            Err(e) => tracing::warn!(account = ctx.account_id, "reading the outbox failed: {e}"),
        }
    }

    /// Queues one stored message when it is still pending.
    pub(crate) async fn queue(&mut self, ctx: &mut Context, omemo: &mut Omemo, row_id: i64) {
        if let Ok(Some(row)) = ctx.store.message(row_id).await {
            self.queue_row(ctx, omemo, row).await;
        }
    }

    async fn queue_row(&mut self, ctx: &mut Context, omemo: &mut Omemo, row: MessageRow) {
        // A file still uploading goes once its upload is done (`api::upload`).
        let uploading = row.file.as_ref().is_some_and(|f| f.url.is_none());
        if row.state != MessageState::Pending || uploading || row.retracted {
            return;
        }
        let Ok(to) = Jid::new(&row.peer) else {
            return fail(ctx, row, "invalid recipient address").await;
        };
        if row.encryption != ENCRYPT_OMEMO {
            // An image's size and thumbnail, as made when it was uploaded (`api::upload`).
            let image = match &row.file {
                Some(_) => ctx.store.file_image(row.id).await.ok().flatten(),
                None => None,
            };
            let stanza = outgoing_stanza(&row, to, image.as_ref());
            self.queued.push((stanza.into(), row.id, row.peer));
            return;
        }
        // Encrypted (XEP-0384): once the recipients' devices have sessions; never in plaintext.
        let peer = to.to_bare();
        // A room's features are checked first (below, once read): a refusal names them
        // rather than the occupants it hides.
        let recipients = if row.groupchat {
            omemo.room_recipients(ctx, &peer).unwrap_or_default()
        } else {
            vec![peer.clone()]
        };
        if !omemo.ready_to_encrypt(ctx, &peer, &recipients, row.groupchat, row.id) {
            return;
        }
        // The room's features are known now: it may have turned out not to allow OMEMO.
        let recipients = match (row.groupchat, omemo.room_recipients(ctx, &peer)) {
            (true, Ok(jids)) => jids,
            (true, Err(reason)) => {
                let reason = format!("Not sent: it could not be encrypted ({reason}).");
                return fail(ctx, row, &reason).await;
            }
            (false, _) => recipients,
        };
        match omemo.encrypt(ctx, &peer, &recipients, &row.body).await {
            Ok(elements) => {
                let stanza = encrypted_stanza(&row, to, elements);
                self.queued.push((stanza.into(), row.id, row.peer));
            }
            Err(reason) => {
                fail(
                    ctx,
                    row,
                    &format!("Not sent: it could not be encrypted ({reason})."),
                )
                .await
            }
        }
    }

    /// Hands the queued messages to the stream; a task per message waits for the server's
    /// ack (XEP-0198) and marks it `sent`.
    pub(crate) async fn flush(&mut self, ctx: &Context, stream: &StanzaStream) {
        for (stanza, row_id, peer) in std::mem::take(&mut self.queued) {
            if let Ok(mut in_flight) = self.in_flight.lock() {
                in_flight.insert(row_id);
            }
            let mut token = stream.send(Box::new(stanza)).await;
            let store = ctx.store.clone();
            let events = ctx.events.clone();
            let account_id = ctx.account_id;
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

    /// Drops what is queued (no stream to send it on); the rows stay pending.
    pub(crate) fn clear(&mut self) {
        self.queued.clear();
    }
}
