//! Catch-up from our own message archive (XEP-0313) on every new session.
//!
//! From the newest archive id we hold (`archive_sync`), pages of [`PAGE`] results (RSM,
//! XEP-0059) are requested one after another; each page is stored in one transaction together
//! with the new position, deduplicated against live and offline copies by stanza-id / origin-id
//! (XEP-0359), and announced as one event per conversation. The first catch-up of an account
//! fetches only the newest page. A catch-up stops after [`MAX_PER_SESSION`] messages and
//! continues from there at the next session, so a huge archive never stalls a connection.
//! Results are accepted only from our own archive (no `from`, or our bare JID). When the
//! catch-up ends (or the server has no archive), [`Session::catch_up_done`] asks the account
//! actor to send the outbox: an outbox message the archive already holds has been marked
//! `sent` by then and is not sent twice.

use std::collections::BTreeMap;

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::forwarding::Forwarded;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::mam::{Fin, Query, QueryId, Result_};
use tokio_xmpp::parsers::rsm::SetQuery;

use super::chat::ChatMessage;
use super::{new_id, IqPurpose, Session};
use crate::event::EngineEvent;

/// Results asked for per page. Servers may send fewer (Prosody's default cap is 50).
pub const PAGE: usize = 250;
/// Most messages fetched in one session's catch-up; the rest follows next session.
pub const MAX_PER_SESSION: usize = 100_000;
/// `archive_sync.archive` of the account's own archive.
const OWN_ARCHIVE: &str = "";

/// The archive query in flight.
#[derive(Debug)]
pub(crate) struct ArchiveQuery {
    /// Our `queryid`, echoed in every result (XEP-0313 §4.2).
    query_id: String,
    /// Results of the current page, in archive order.
    results: Vec<ChatMessage>,
    /// Messages received in earlier pages of this catch-up.
    received: usize,
    /// Only the newest page is wanted (first catch-up of an account).
    latest_only: bool,
}

impl Session {
    /// Starts the catch-up from the position stored for our own archive.
    pub(crate) async fn start_catch_up(&mut self) {
        self.catch_up_done = false;
        match self
            .store
            .archive_last_id(self.account_id, OWN_ARCHIVE)
            .await
        {
            Ok(after) => self.query_archive(after, 0),
            Err(e) => {
                tracing::warn!(
                    account = self.account_id,
                    "archive position unreadable: {e}"
                );
                self.finish_catch_up();
            }
        }
    }

    /// Asks for the page after `after`; from the start of the archive when `after` is `""`
    /// (it was empty when we last looked); the newest page when `None` (first catch-up).
    fn query_archive(&mut self, after: Option<String>, received: usize) {
        let latest_only = after.is_none();
        let set = SetQuery {
            max: Some(PAGE),
            before: latest_only.then(String::new),
            after: after.filter(|a| !a.is_empty()),
            index: None,
        };
        let query_id = new_id();
        let query = Query {
            queryid: Some(QueryId(query_id.clone())),
            node: None,
            form: None,
            set: Some(set),
            flip_page: false,
        };
        self.archive = Some(ArchiveQuery {
            query_id,
            results: Vec::new(),
            received,
            latest_only,
        });
        let iq_id = new_id();
        self.pending_iq
            .insert(iq_id.clone(), IqPurpose::ArchivePage);
        self.out.push(Iq::from_set(iq_id, query).into());
    }

    /// One `<result/>` of our query (XEP-0313 §4.2).
    pub(crate) fn on_archive_result(&mut self, from: Option<&Jid>, result: Result_) {
        if from.is_some_and(|f| !self.is_own_bare(f)) {
            tracing::warn!(
                account = self.account_id,
                "archive result from {from:?} ignored: not our own archive"
            );
            return;
        }
        let Some(query_id) = self.archive.as_ref().map(|q| q.query_id.clone()) else {
            tracing::debug!(account = self.account_id, "archive result without a query");
            return;
        };
        if result.queryid.as_ref().map(|q| &q.0) != Some(&query_id) {
            tracing::debug!(
                account = self.account_id,
                "archive result for another query"
            );
            return;
        }
        let Forwarded { delay, mut message } = result.forwarded;
        let parsed = self.parse_chat(&mut message, Some(result.id), delay);
        if let (Some(chat), Some(query)) = (parsed, self.archive.as_mut()) {
            query.results.push(chat);
        }
    }

    /// The `<fin/>` that ends a page (XEP-0313 §4.3): store the page, then ask for the next.
    pub(crate) async fn on_archive_fin(&mut self, payload: Option<Element>) {
        let Some(query) = self.archive.take() else {
            return;
        };
        let fin = match payload.map(Fin::try_from) {
            Some(Ok(fin)) => fin,
            other => {
                tracing::warn!(
                    account = self.account_id,
                    "archive page without a usable <fin/>: {:?}",
                    other.map(|r| r.err())
                );
                self.finish_catch_up();
                return;
            }
        };
        let last = fin.set.last.clone();
        let page: Vec<_> = query
            .results
            .iter()
            .map(|m| m.as_new(self.account_id))
            .collect();
        // An empty archive at the first catch-up: next time, everything in it is new.
        let position = match (&last, query.latest_only) {
            (Some(l), _) => Some((OWN_ARCHIVE, l.as_str())),
            (None, true) => Some((OWN_ARCHIVE, "")),
            (None, false) => None,
        };
        match self
            .store
            .store_page(self.account_id, &page, position)
            .await
        {
            Ok(changed) => {
                let mut by_peer: BTreeMap<String, Vec<i64>> = BTreeMap::new();
                for (peer, id) in changed {
                    by_peer.entry(peer).or_default().push(id);
                }
                for (peer, ids) in by_peer {
                    self.emit(EngineEvent::MessagesChanged {
                        account_id: self.account_id,
                        peer,
                        ids,
                        live: false,
                    });
                }
            }
            Err(e) => {
                tracing::error!(
                    account = self.account_id,
                    "storing an archive page failed: {e}"
                );
                self.finish_catch_up();
                return;
            }
        }
        let received = query.received + query.results.len();
        tracing::debug!(
            account = self.account_id,
            received,
            complete = fin.complete,
            "archive page stored"
        );
        if fin.complete || query.latest_only || last.is_none() || received >= MAX_PER_SESSION {
            self.finish_catch_up();
        } else {
            self.query_archive(last, received);
        }
    }

    /// The archive query failed (no archive, or an error): the outbox goes out anyway.
    pub(crate) fn on_archive_error(&mut self, condition: &str) {
        tracing::info!(
            account = self.account_id,
            "archive query failed: {condition}"
        );
        self.archive = None;
        self.finish_catch_up();
    }

    /// A catch-up is running; the outbox waits for it.
    pub(crate) fn catching_up(&self) -> bool {
        self.archive.is_some()
    }

    fn finish_catch_up(&mut self) {
        self.catch_up_done = true;
    }
}
