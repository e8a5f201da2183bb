//! Group messages (XEP-0045 §7.4) and the room subject (§8.1): stored with the occupant's
//! nickname through the one ingest path; our reflected message only turns ours `delivered`.

use tokio_xmpp::parsers::chatstates::ChatState;
use tokio_xmpp::parsers::jid::BareJid;

use super::rooms::room_changed;
use crate::event::{ChatStateName, EngineEvent};
use crate::features::inbound::{Content, Envelope, Forward};
use crate::features::ingest::{self, ChatMessage};
use crate::features::{notify, Context};

/// A live `groupchat` message: the subject, or a group message.
pub(crate) async fn on_groupchat(ctx: &mut Context, envelope: Envelope, content: Content) {
    let Some(from) = envelope.from.clone() else {
        return;
    };
    let room_jid = from.to_bare();
    let room = room_jid.to_string();
    let own_nick = ctx.muc.nick(ctx.account_id, &room);
    if own_nick.is_empty() {
        tracing::debug!(
            account = ctx.account_id,
            "group message from a room we are not in"
        );
        return;
    }
    ctx.muc.heard(ctx.account_id, &room);
    let nick = from.resource().map(|r| r.to_string());
    if let (Some(state), Some(nick)) = (&content.facets.chat_state, &nick) {
        if *nick != own_nick && content.delay.is_none() {
            chat_state(ctx, &room, Some(nick.clone()), state);
        }
    }
    if content.body.is_none() && !content.facets.amends_without_body() {
        if let Some(subject) = &content.subject {
            let subject = Some(subject.clone()).filter(|s| !s.is_empty());
            ctx.muc
                .with(ctx.account_id, &room, |l| l.subject = subject.clone());
            let _ = ctx
                .store
                .set_room_subject(ctx.account_id, &room, subject.as_deref())
                .await;
            room_changed(ctx, &room);
        }
        return;
    }
    // The room's stanza-id (XEP-0359 §5: `by` the room) identifies the message in it.
    let stanza_id = content.stanza_id_by(&room_jid).map(str::to_owned);
    // From the room itself (no nick), only a moderator's retraction (XEP-0425) counts.
    let Some(message) = ingest::group(
        &room_jid,
        nick.as_deref(),
        &own_nick,
        &envelope,
        &content,
        stanza_id,
        None,
    ) else {
        return;
    };
    if message.amend.is_none() && reflected(ctx, &message).await {
        return;
    }
    // Room history (join history has a delay) never notifies; live messages by the room's
    // setting (default: only mentions of our nickname).
    let settings = ctx.notify.get(&ctx.store, ctx.account_id, &room).await;
    let fresh = content.delay.is_none();
    let notify = notify::decide(&message, fresh, settings, &own_nick);
    ingest::store_live(ctx, &message, notify).await;
}

/// Tells the UI an occupant's chat state (XEP-0085 §5.5 in rooms).
pub(crate) fn chat_state(ctx: &Context, peer: &str, sender: Option<String>, state: &ChatState) {
    ctx.emit(EngineEvent::ChatState {
        account_id: ctx.account_id,
        peer: peer.to_owned(),
        sender,
        state: ChatStateName::from(state),
    });
}

/// Our own message coming back from the room (§7.4) with our origin-id: the stored one
/// becomes `delivered` (with the room's stanza-id) and nothing new is stored.
async fn reflected(ctx: &Context, message: &ChatMessage) -> bool {
    let (true, Some(origin)) = (message.outgoing, message.origin_id.as_deref()) else {
        return false;
    };
    let marked = ctx
        .store
        .mark_reflected(
            ctx.account_id,
            &message.peer,
            origin,
            message.stanza_id.as_deref(),
        )
        .await;
    match marked {
        Ok(Some(id)) => {
            ctx.emit(EngineEvent::MessagesChanged {
                account_id: ctx.account_id,
                peer: message.peer.clone(),
                ids: vec![id],
                live: false,
            });
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(account = ctx.account_id, "reflection: {e}");
            false
        }
    }
}

/// A group message from a room's archive (XEP-0313 §5), for older room history.
pub(crate) fn archived(
    ctx: &Context,
    room: &BareJid,
    forward: &Forward,
    archive_id: String,
) -> Option<ChatMessage> {
    let nick = forward
        .envelope
        .from
        .as_ref()?
        .resource()
        .map(|r| r.to_string());
    let own_nick = ctx.muc.nick(ctx.account_id, room.as_str());
    ingest::group(
        room,
        nick.as_deref(),
        &own_nick,
        &forward.envelope,
        &forward.content,
        Some(archive_id),
        forward.delay.as_ref(),
    )
}
