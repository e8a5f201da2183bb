//! Jingle file transfers as the account actor sees them (XEP-0166/0234/0261): a file offered
//! to us becomes a message with an offer (`file.transfer`, state `offered`) until the user
//! takes or declines it; Jingle actions and IBB packets (XEP-0047) for a session under way go
//! to the task that runs it (`api::transfers`) through the [`TransferBook`]. Every such IQ is
//! answered here: a result, or `item-not-found` with `<unknown-session/>` (XEP-0166 §7.2) for
//! a session or stream we do not know or that someone else's JID claims.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::mpsc;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::jingle::Reason;
use tokio_xmpp::parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};

use super::jingle::{self, FileTransport, IbbPacket, Inbound, Offer, SessionAction};
use super::{new_id, Context};
use crate::event::EngineEvent;
use crate::store::{MessageState, NewMessage, SharedFile, Transfer, TransferState};

/// XEP-0166 §10's error namespace.
const JINGLE_ERRORS: &str = "urn:xmpp:jingle:errors:1";

/// What reaches a session's task.
#[derive(Debug)]
pub(crate) enum Signal {
    /// A Jingle action on the session.
    Session(SessionAction),
    /// A packet of its IBB stream.
    Ibb(IbbPacket),
    /// The user cancelled it here.
    Cancel,
}

/// Signals waiting for a session's task at most (4 MiB of IBB blocks); beyond, the sender is
/// asked to slow down (`resource-constraint`, RFC 6120 §8.3.3.18).
const INBOX: usize = 512;

/// Offers to us not yet answered, at most, per account; more are answered `busy`.
const MAX_WAITING: usize = 20;

/// Why a stanza could not go to its session.
#[derive(Debug, PartialEq, Eq)]
enum Undelivered {
    /// No such session of the sender's.
    Unknown,
    /// Its task is behind.
    Full,
}

/// One session, by account and Jingle sid.
struct Entry {
    /// The other party, full JID: only its stanzas count.
    peer: FullJid,
    /// The message showing the transfer.
    message_id: i64,
    /// The IBB stream id once known.
    ibb_sid: Option<String>,
    /// To the task running it.
    inbox: mpsc::Sender<Signal>,
    /// An offer to us the user has not answered yet, with its task's end of the inbox.
    waiting: Option<(Offer, mpsc::Receiver<Signal>)>,
}

/// Sessions under way in every account, and each account's bound full JID (the
/// `initiator`/`responder` of ours). Shared by the actors and the engine.
#[derive(Default)]
pub(crate) struct TransferBook {
    sessions: Mutex<HashMap<(i64, String), Entry>>,
    bound: Mutex<HashMap<i64, FullJid>>,
}

/// An offer the user took: what the task needs to run it.
pub(crate) struct Taken {
    pub offer: Offer,
    pub inbox: mpsc::Receiver<Signal>,
}

impl TransferBook {
    /// Records our full JID for `account_id` once bound (RFC 6120 §7).
    pub(crate) fn set_bound(&self, account_id: i64, jid: Option<FullJid>) {
        if let Ok(mut bound) = self.bound.lock() {
            match jid {
                Some(jid) => bound.insert(account_id, jid),
                None => bound.remove(&account_id),
            };
        }
    }

    /// Our full JID on `account_id`, when online.
    pub(crate) fn bound(&self, account_id: i64) -> Option<FullJid> {
        self.bound.lock().ok()?.get(&account_id).cloned()
    }

    /// Registers a session of ours with `peer`; returns the task's end of its inbox.
    pub(crate) fn open(
        &self,
        account_id: i64,
        sid: &str,
        peer: FullJid,
        message_id: i64,
    ) -> mpsc::Receiver<Signal> {
        let (inbox, rx) = mpsc::channel(INBOX);
        let ibb_sid = None;
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(
                (account_id, sid.to_owned()),
                Entry {
                    peer,
                    message_id,
                    ibb_sid,
                    inbox,
                    waiting: None,
                },
            );
        }
        rx
    }

    fn offered(&self, account_id: i64, offer: Offer, message_id: i64) {
        let (inbox, rx) = mpsc::channel(INBOX);
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(
                (account_id, offer.sid.clone()),
                Entry {
                    peer: offer.from.clone(),
                    message_id,
                    ibb_sid: match &offer.transport {
                        Some(FileTransport::Ibb(ibb)) => Some(ibb.sid.clone()),
                        _ => None,
                    },
                    inbox,
                    waiting: Some((offer, rx)),
                },
            );
        }
    }

    /// Whether we may take another offer on `account_id` as session `sid`: no session of
    /// that id yet, and fewer than [`MAX_WAITING`] unanswered.
    fn room_for(&self, account_id: i64, sid: &str) -> Result<(), Reason> {
        let sessions = self.sessions.lock().map_err(|_| Reason::GeneralError)?;
        if sessions.contains_key(&(account_id, sid.to_owned())) {
            return Err(Reason::GeneralError);
        }
        let waiting = sessions
            .iter()
            .filter(|((a, _), e)| *a == account_id && e.waiting.is_some())
            .count();
        if waiting >= MAX_WAITING {
            return Err(Reason::Busy);
        }
        Ok(())
    }

    /// The IBB stream of session `sid` is now `ibb_sid` (offered, or replacing SOCKS5).
    pub(crate) fn set_stream(&self, account_id: i64, sid: &str, ibb_sid: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            if let Some(entry) = sessions.get_mut(&(account_id, sid.to_owned())) {
                entry.ibb_sid = Some(ibb_sid.to_owned());
            }
        }
    }

    /// Asks the task of session `sid` to stop (it tells the other side and cleans up).
    /// Whether a task was there to ask.
    pub(crate) fn cancel(&self, account_id: i64, sid: &str) -> bool {
        let Ok(sessions) = self.sessions.lock() else {
            return false;
        };
        match sessions.get(&(account_id, sid.to_owned())) {
            Some(entry) if entry.waiting.is_none() => entry.inbox.try_send(Signal::Cancel).is_ok(),
            _ => false,
        }
    }

    /// Takes the offer of session `sid` to answer it; `None` when it is gone (cancelled by
    /// the sender, answered already).
    pub(crate) fn take_offer(&self, account_id: i64, sid: &str) -> Option<Taken> {
        let mut sessions = self.sessions.lock().ok()?;
        let entry = sessions.get_mut(&(account_id, sid.to_owned()))?;
        let (offer, inbox) = entry.waiting.take()?;
        Some(Taken { offer, inbox })
    }

    /// Forgets session `sid` (ended). Returns whether it was known.
    pub(crate) fn close(&self, account_id: i64, sid: &str) -> bool {
        self.sessions
            .lock()
            .ok()
            .and_then(|mut s| s.remove(&(account_id, sid.to_owned())))
            .is_some()
    }

    /// The session's other party, when it is under way.
    pub(crate) fn peer(&self, account_id: i64, sid: &str) -> Option<FullJid> {
        let sessions = self.sessions.lock().ok()?;
        sessions
            .get(&(account_id, sid.to_owned()))
            .map(|e| e.peer.clone())
    }

    /// Hands `signal` to session `sid` if `from` is its party. `Ok(Some(message_id))`: it
    /// was an unanswered offer, now withdrawn (the signal was a terminate), `Ok(None)`:
    /// delivered.
    fn deliver(
        &self,
        account_id: i64,
        from: &Jid,
        sid: &str,
        signal: Signal,
    ) -> Result<Option<i64>, Undelivered> {
        let mut sessions = self.sessions.lock().map_err(|_| Undelivered::Unknown)?;
        let key = (account_id, sid.to_owned());
        let entry = sessions.get(&key).ok_or(Undelivered::Unknown)?;
        if !is_party(&entry.peer, from) {
            return Err(Undelivered::Unknown);
        }
        if entry.waiting.is_some() {
            return match signal {
                Signal::Session(SessionAction::Terminate { .. }) => {
                    let id = entry.message_id;
                    sessions.remove(&key);
                    Ok(Some(id))
                }
                _ => Ok(None),
            };
        }
        entry.inbox.try_send(signal).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Undelivered::Full,
            mpsc::error::TrySendError::Closed(_) => Undelivered::Unknown,
        })?;
        Ok(None)
    }

    /// The Jingle sid of the IBB stream `ibb_sid` of `from`.
    fn by_stream(&self, account_id: i64, from: &Jid, ibb_sid: &str) -> Option<String> {
        let sessions = self.sessions.lock().ok()?;
        sessions.iter().find_map(|((account, sid), e)| {
            (*account == account_id
                && e.ibb_sid.as_deref() == Some(ibb_sid)
                && is_party(&e.peer, from))
            .then(|| sid.clone())
        })
    }
}

/// Whether `from` is exactly the session's party `peer`.
fn is_party(peer: &FullJid, from: &Jid) -> bool {
    from.try_as_full().is_ok_and(|f| f == peer)
}

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
        name,
    };
    let now = crate::store::now_ms();
    let stored = ctx
        .store
        .insert_message(&NewMessage {
            account_id: ctx.account_id,
            peer: &peer,
            outgoing: false,
            body: &file.name,
            encryption: "none",
            omemo_device: None,
            stanza_id: None,
            origin_id: None,
            message_id: None,
            at: now,
            state: MessageState::Received,
            read: false,
            markable: false,
            groupchat: false,
            sender: None,
            occupant_id: None,
            reply: None,
            amend: None,
            file: Some(&file),
        })
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
