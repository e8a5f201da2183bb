//! The sessions under way, shared by the account actors (which deliver their stanzas) and
//! the engine (whose tasks run them), and each account's bound full JID.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::mpsc;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::jingle::Reason;

use super::super::jingle::{FileTransport, IbbPacket, Offer, SessionAction};

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
pub(super) enum Undelivered {
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
    /// Each account's SOCKS5 proxies (XEP-0065 §4) once found in this session.
    proxies: Mutex<HashMap<i64, Vec<Proxy>>>,
}

/// A SOCKS5 proxy of our server: its JID and address.
pub(crate) type Proxy = (Jid, std::net::IpAddr, u16);

/// An offer the user took: what the task needs to run it.
pub(crate) struct Taken {
    pub offer: Offer,
    pub inbox: mpsc::Receiver<Signal>,
}

impl TransferBook {
    /// Records our full JID for `account_id` once bound (RFC 6120 §7).
    pub(crate) fn set_bound(&self, account_id: i64, jid: Option<FullJid>) {
        // A new session may be on another server's proxies: found again when needed.
        if let Ok(mut proxies) = self.proxies.lock() {
            proxies.remove(&account_id);
        }
        if let Ok(mut bound) = self.bound.lock() {
            match jid {
                Some(jid) => bound.insert(account_id, jid),
                None => bound.remove(&account_id),
            };
        }
    }

    /// The proxies found for `account_id` in this session, if they were looked for.
    pub(crate) fn proxies(&self, account_id: i64) -> Option<Vec<Proxy>> {
        self.proxies.lock().ok()?.get(&account_id).cloned()
    }

    /// Remembers the proxies found for `account_id` until its next session.
    pub(crate) fn set_proxies(&self, account_id: i64, found: Vec<Proxy>) {
        if let Ok(mut proxies) = self.proxies.lock() {
            proxies.insert(account_id, found);
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
        self.insert(
            account_id,
            sid,
            Entry {
                peer,
                message_id,
                ibb_sid: None,
                inbox,
                waiting: None,
            },
        );
        rx
    }

    pub(super) fn offered(&self, account_id: i64, offer: Offer, message_id: i64) {
        let (inbox, rx) = mpsc::channel(INBOX);
        let sid = offer.sid.clone();
        let entry = Entry {
            peer: offer.from.clone(),
            message_id,
            ibb_sid: match &offer.transport {
                Some(FileTransport::Ibb(ibb)) => Some(ibb.sid.clone()),
                _ => None,
            },
            inbox,
            waiting: Some((offer, rx)),
        };
        self.insert(account_id, &sid, entry);
    }

    fn insert(&self, account_id: i64, sid: &str, entry: Entry) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert((account_id, sid.to_owned()), entry);
        }
    }

    /// Whether we may take another offer on `account_id` as session `sid`: no session of
    /// that id yet, and fewer than [`MAX_WAITING`] unanswered.
    pub(super) fn room_for(&self, account_id: i64, sid: &str) -> Result<(), Reason> {
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
    pub(super) fn deliver(
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
    pub(super) fn by_stream(&self, account_id: i64, from: &Jid, ibb_sid: &str) -> Option<String> {
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
pub(super) fn is_party(peer: &FullJid, from: &Jid) -> bool {
    from.try_as_full().is_ok_and(|f| f == peer)
}
