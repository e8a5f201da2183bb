//! One-to-one chat (RFC 6121 §5): inbound `chat`/`normal` messages with a body are stored
//! (deduplicated by XEP-0359 stanza-id / origin-id) and announced; message errors mark our
//! message failed; XEP-0184 receipts are answered and, for our messages, turn them
//! `delivered`; XEP-0333 `<displayed/>` markers turn them `displayed`; XEP-0280 carbons (only
//! from our own bare JID, checked in [`super::inbound`]) store what our other clients sent and
//! received, without a notification.

use tokio_xmpp::parsers::displayed_markers::Displayed;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::message::{Id, Message};
use tokio_xmpp::parsers::receipts::Received;

use super::inbound::{Content, Envelope, Forward};
use super::{ingest, notify, Context};
use crate::event::EngineEvent;
use crate::store::MessageState;

/// A `<displayed/>` chat marker (XEP-0333 §3) for the message with stanza id `id`.
pub fn displayed_marker(to: Jid, id: String) -> Message {
    let mut m = Message::chat(Some(to));
    m.id = Some(Id(crate::features::new_id()));
    m.with_payload(Displayed { id: Id(id) })
}

/// A live `chat`/`normal` message: receipts and markers for our messages, then the message
/// itself stored (and its receipt request answered, XEP-0184 §5.2).
pub(crate) async fn on_chat(ctx: &mut Context, envelope: Envelope, content: Content) {
    let Some(from) = envelope.from.clone() else {
        tracing::debug!(account = ctx.account_id, "message without from, ignored");
        return;
    };
    let peer = ctx.conversation_peer(&from);
    if let Some(id) = &content.receipt {
        on_receipt(ctx, &peer, id).await;
    }
    if let Some(id) = &content.displayed {
        on_displayed(ctx, &peer, id).await;
    }
    if let Some(state) = &content.facets.chat_state {
        if from.to_bare() != ctx.jid && content.delay.is_none() {
            super::muc::messages::chat_state(ctx, &peer, None, state);
        }
    }
    let Some(chat) = ingest::direct(ctx, &envelope, &content, None, None) else {
        return;
    };
    let settings = ctx.notify.get(&ctx.store, ctx.account_id, &chat.peer).await;
    let notify = notify::decide(&chat, true, settings, "");
    ingest::store_live(ctx, &chat, notify).await;
    if content.receipt_request && !chat.outgoing {
        if let Some(id) = chat.message_id {
            let receipt = Message::new(Some(from)).with_payload(Received { id });
            ctx.send(receipt);
        }
    }
}

/// A carbon copy (XEP-0280 §6, §7) of a message one of our other clients sent or
/// received: stored like any other, without a notification.
pub(crate) async fn on_carbon(ctx: &mut Context, forward: Forward) {
    // A receipt our other client got for a message it sent (stored here via its carbon).
    if let (Some(receipt), Some(from)) = (&forward.content.receipt, &forward.envelope.from) {
        if from.to_bare() != ctx.jid {
            on_receipt(ctx, &from.to_bare().to_string(), receipt).await;
        }
    }
    let Some(chat) = ingest::direct(
        ctx,
        &forward.envelope,
        &forward.content,
        None,
        forward.delay.as_ref(),
    ) else {
        return;
    };
    if let Err(e) = ingest::store_page(
        &ctx.store,
        &ctx.events,
        ctx.account_id,
        &[chat],
        None,
        crate::store::RowIds::Next,
    )
    .await
    {
        tracing::error!(account = ctx.account_id, "storing a carbon failed: {e}");
    }
}

/// A receipt (XEP-0184 §4) from `peer` for our message `id`.
async fn on_receipt(ctx: &Context, peer: &str, id: &str) {
    match ctx.store.mark_delivered(ctx.account_id, peer, id).await {
        Ok(Some(row_id)) => ctx.emit(EngineEvent::MessagesChanged {
            account_id: ctx.account_id,
            peer: peer.to_owned(),
            ids: vec![row_id],
            live: false,
        }),
        Ok(None) => {}
        Err(e) => tracing::warn!(account = ctx.account_id, "storing a receipt failed: {e}"),
    }
}

/// A displayed marker (XEP-0333 §3) from `peer` for our message `id`.
async fn on_displayed(ctx: &Context, peer: &str, id: &str) {
    match ctx.store.mark_displayed(ctx.account_id, peer, id).await {
        Ok(ids) if !ids.is_empty() => ctx.emit(EngineEvent::MessagesChanged {
            account_id: ctx.account_id,
            peer: peer.to_owned(),
            ids,
            live: false,
        }),
        Ok(_) => {}
        Err(e) => tracing::warn!(account = ctx.account_id, "storing a marker failed: {e}"),
    }
}

/// A message error (RFC 6120 §8.3) for one of ours: it is marked failed with the condition in
/// words. It counts only from where the message went (the entity we sent it to, RFC 6120
/// §8.3.1) or from our own server: anyone else naming our message's id is ignored. A server
/// out of reach for now (`unreachable`) does not fail it: it is parked to be sent again.
pub(crate) async fn on_error(ctx: &mut Context, envelope: Envelope, condition: Option<String>) {
    let Some(id) = envelope.id.as_ref() else {
        return;
    };
    let transient = condition
        .as_deref()
        .is_some_and(super::unreachable::is_transient);
    let reason = condition
        .map(|c| c.replace('-', " "))
        .unwrap_or_else(|| "the server could not deliver it".into());
    let row = match ctx.store.outgoing_by_message_id(ctx.account_id, id).await {
        Ok(Some(row_id)) => match ctx.store.message(row_id).await {
            Ok(Some(row)) => row,
            _ => return,
        },
        Ok(None) => {
            tracing::debug!(
                account = ctx.account_id,
                "error for a message we do not know"
            );
            return;
        }
        Err(e) => {
            tracing::warn!(account = ctx.account_id, "looking up failed message: {e}");
            return;
        }
    };
    let from_recipient = match &envelope.from {
        None => true,
        Some(from) if from.node().is_none() && from.domain() == ctx.jid.domain() => true,
        Some(from) => {
            let peer = ctx.conversation_peer(from);
            peer == row.peer || from.to_bare().to_string() == row.peer
        }
    };
    if !from_recipient {
        tracing::warn!(
            account = ctx.account_id,
            "message error from {:?} ignored: our message went elsewhere",
            envelope.from
        );
        return;
    }
    if transient && !row.groupchat {
        if let Ok(to) = Jid::new(&row.peer) {
            ctx.parked.push((row.id, to.domain().to_string(), row.peer));
            return;
        }
    }
    if ctx
        .store
        .set_message_state(row.id, MessageState::Failed, Some(&reason))
        .await
        .is_ok()
    {
        ctx.emit(EngineEvent::MessagesChanged {
            account_id: ctx.account_id,
            peer: row.peer,
            ids: vec![row.id],
            live: false,
        });
    }
}
