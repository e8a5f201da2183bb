//! Jingle file transfers as the account actor sees them (XEP-0166/0234/0261): a file offered
//! to us becomes a message with an offer (`file.transfer`, state `offered`) until the user
//! takes or declines it; Jingle actions and IBB packets (XEP-0047) for a session under way go
//! to the task that runs it (`api::transfers`) through the [`TransferBook`]. Every such IQ is
//! answered here: a result, or `item-not-found` with `<unknown-session/>` (XEP-0166 §7.2) for
//! a session or stream we do not know or that someone else's JID claims.

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::jingle::Reason;
use tokio_xmpp::parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};

use super::jingle::{self, IbbPacket, Inbound, Offer, SessionAction};
use super::{new_id, Context};
use crate::event::EngineEvent;
use crate::store::{MessageState, NewMessage, SharedFile, Transfer, TransferState};

/// XEP-0166 §10's error namespace.
const JINGLE_ERRORS: &str = "urn:xmpp:jingle:errors:1";

mod book;
use book::Undelivered;
pub(crate) use book::{Proxy, Signal, Taken, TransferBook};

/// A `<jingle/>` IQ set from `from`.
pub(crate) async fn on_jingle(ctx: &mut Context, from: Option<Jid>, id: String, payload: Element) {
    let Some(from) = from else {
        ctx.send(error(
            Jid::from(ctx.jid.clone()),
            id,
            DefinedCondition::BadRequest,
            false,
        ));
        return;
    };
    let inbound = match jingle::parse(&from, payload) {
        Ok(inbound) => inbound,
        Err(e) => {
            tracing::info!(
                account = ctx.account_id,
                "malformed jingle from {from} skipped: {e}"
            );
            ctx.send(error(from, id, DefinedCondition::BadRequest, false));
            return;
        }
    };
    match inbound {
        Inbound::Offer(offer) => {
            ctx.send(Iq::empty_result(from, id));
            let refusal = match ctx.transfers.room_for(ctx.account_id, &offer.sid) {
                Err(reason) => Some((reason, "Linnet has too many offers waiting.")),
                Ok(()) if offer.transport.is_none() => Some((
                    Reason::UnsupportedTransports,
                    "Linnet takes files over SOCKS5 or in-band bytestreams.",
                )),
                Ok(()) => None,
            };
            match refusal {
                Some((reason, text)) => {
                    let end =
                        jingle::terminate(new_id(), &offer.sid, &offer.from, reason, Some(text));
                    ctx.send(end);
                }
                None => on_offer(ctx, offer).await,
            }
        }
        Inbound::Unsupported { sid } => {
            ctx.send(Iq::empty_result(from.clone(), id));
            if let Ok(full) = from.try_into_full() {
                let text = "Linnet takes files sent to it, nothing else yet.";
                let end = jingle::terminate(
                    new_id(),
                    &sid,
                    &full,
                    Reason::UnsupportedApplications,
                    Some(text),
                );
                ctx.send(end);
            }
        }
        Inbound::Session { sid, action } => {
            let ended = matches!(action, SessionAction::Terminate { .. });
            let text = match &action {
                SessionAction::Terminate { reason, text } => Some(withdrawn_words(reason, text)),
                _ => None,
            };
            match ctx.transfers.clone().deliver(
                ctx.account_id,
                &from,
                &sid,
                Signal::Session(action),
            ) {
                Ok(withdrawn) => {
                    ctx.send(Iq::empty_result(from, id));
                    if let Some(message_id) = withdrawn {
                        let reason = text.unwrap_or_default();
                        set_state(ctx, message_id, TransferState::Cancelled, Some(&reason)).await;
                    }
                }
                // A terminate crossing ours is fine; anything else names a session we lack.
                Err(Undelivered::Unknown) if ended => ctx.send(Iq::empty_result(from, id)),
                Err(Undelivered::Unknown) => {
                    ctx.send(error(from, id, DefinedCondition::ItemNotFound, true))
                }
                Err(Undelivered::Full) => {
                    ctx.send(error(from, id, DefinedCondition::ResourceConstraint, false))
                }
            }
        }
    }
}

/// An IBB IQ set (XEP-0047) from `from`, for the session whose stream it is.
pub(crate) fn on_ibb(ctx: &mut Context, from: Option<Jid>, id: String, packet: IbbPacket) {
    let Some(from) = from else {
        ctx.send(error(
            Jid::from(ctx.jid.clone()),
            id,
            DefinedCondition::BadRequest,
            false,
        ));
        return;
    };
    let book = ctx.transfers.clone();
    let delivered = book
        .by_stream(ctx.account_id, &from, packet.sid())
        .ok_or(Undelivered::Unknown)
        .and_then(|sid| book.deliver(ctx.account_id, &from, &sid, Signal::Ibb(packet)));
    match delivered {
        Ok(_) => ctx.send(Iq::empty_result(from, id)),
        // XEP-0047 §2.2: data for a stream we do not have.
        Err(Undelivered::Unknown) => {
            ctx.send(error(from, id, DefinedCondition::ItemNotFound, false))
        }
        Err(Undelivered::Full) => {
            ctx.send(error(from, id, DefinedCondition::ResourceConstraint, false))
        }
    }
}

/// Stores an offer as a message and tells the UI (it may notify).
async fn on_offer(ctx: &mut Context, offer: Offer) {
    let peer = ctx.conversation_peer(&Jid::from(offer.from.clone()));
    let name = super::files::safe_name(offer.file.name.as_deref().unwrap_or("file"));
    let file = SharedFile {
        media_type: Some(
            offer
                .file
                .media_type
                .clone()
                .unwrap_or_else(|| super::files::media_type_of(&name)),
        ),
        size: offer.file.size.and_then(|s| i64::try_from(s).ok()),
        url: None,
        path: None,
        sha256: offer.file.sha256.clone(),
        transfer: Some(Transfer {
            state: TransferState::Offered,
            sid: offer.sid.clone(),
            reason: None,
        }),
        keep_metadata: false,
        name,
    };
    let stored = ctx
        .store
        .insert_message(&transfer_message(ctx.account_id, &peer, false, &file))
        .await;
    match stored {
        Ok(Some(row)) => {
            ctx.transfers.offered(ctx.account_id, offer, row.id);
            ctx.emit(EngineEvent::MessagesChanged {
                account_id: ctx.account_id,
                peer,
                ids: vec![row.id],
                live: true,
            });
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(account = ctx.account_id, "file offer not stored: {e}"),
    }
}

/// The message showing a Jingle transfer of `file` with `peer` (ours when `outgoing`): its
/// body the file's name, no stanza ids (no message stanza carries it), never encrypted.
pub(crate) fn transfer_message<'a>(
    account_id: i64,
    peer: &'a str,
    outgoing: bool,
    file: &'a SharedFile,
) -> NewMessage<'a> {
    NewMessage {
        account_id,
        peer,
        outgoing,
        body: &file.name,
        encryption: "none",
        omemo_device: None,
        stanza_id: None,
        origin_id: None,
        message_id: None,
        at: crate::store::now_ms(),
        state: if outgoing {
            MessageState::Sent
        } else {
            MessageState::Received
        },
        read: outgoing,
        markable: false,
        groupchat: false,
        sender: None,
        occupant_id: None,
        reply: None,
        amend: None,
        file: Some(file),
        image: None,
    }
}

/// Sets a transfer's state on its message and tells the UI.
async fn set_state(ctx: &Context, message_id: i64, state: TransferState, reason: Option<&str>) {
    match ctx
        .store
        .set_transfer_state(message_id, state, reason)
        .await
    {
        Ok(Some(row)) => ctx.emit(EngineEvent::MessagesChanged {
            account_id: row.account_id,
            peer: row.peer,
            ids: vec![row.id],
            live: false,
        }),
        Ok(None) => {}
        Err(e) => tracing::warn!("transfer state not stored: {e}"),
    }
}

/// What the other side's session-terminate means, in words (XEP-0166 §7.4 reasons).
pub(crate) fn withdrawn_words(reason: &str, text: &Option<String>) -> String {
    let words = match reason {
        "cancel" => "The sender cancelled it.",
        "decline" => "Declined.",
        "success" => "The transfer ended.",
        "timeout" => "The transfer timed out.",
        "connectivity-error" | "failed-transport" => "The connection for the file failed.",
        "media-error" => "The file arrived damaged.",
        _ => "The transfer failed.",
    };
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => format!("{words} ({text})"),
        None => words.to_owned(),
    }
}

fn error(to: Jid, id: String, condition: DefinedCondition, unknown_session: bool) -> Iq {
    let kind = match condition {
        DefinedCondition::BadRequest => ErrorType::Modify,
        _ => ErrorType::Cancel,
    };
    let mut error = StanzaError::new(kind, condition, "en", "");
    if unknown_session {
        error.other = Some(Element::builder("unknown-session", JINGLE_ERRORS).build());
    }
    Iq::from_error(id, error).with_to(to)
}
