//! Our own message archive (XEP-0313): outbox reconciliation and catch-up on every new
//! session, and older history on demand.
//!
//! - **Reconciliation** (only when the outbox is not empty): the archive since shortly before
//!   the oldest pending message is read first. A pending message the server already archived
//!   (the app died between sending and the server's XEP-0198 ack) is recognised by its
//!   origin-id (XEP-0359) and marked `sent`; then [`Archive::catch_up_done`] lets the account
//!   actor send the rest of the outbox. Nothing is sent twice and nothing waits for a long
//!   catch-up.
//! - **Catch-up**: from the newest archive id we hold (`archive_sync`), pages of [`PAGE`]
//!   results (RSM, XEP-0059) are requested one after another; each page is stored in one
//!   transaction together with the new position, deduplicated against live and offline copies
//!   by stanza-id / origin-id, and announced as one event per conversation. The first catch-up
//!   of an account fetches only the newest page. A catch-up stops after [`MAX_PER_SESSION`]
//!   messages and continues from there at the next session, so a huge archive never stalls.
//! - **History**: [`Archive::fetch_history`] asks for the page before the oldest archived
//!   message of one conversation (`with` filter), for scrolling back past what is stored.
//!
//! - **The live edge** ([`live`]): the catch-up stops at the first page holding a message
//!   that also arrived live, and after it the position follows the live stream, so nothing
//!   received live is fetched again, in this session or the next.
//!
//! Results are accepted only from our own archive (no `from`, or our bare JID, §4.2) and only
//! for a query we sent (`queryid`).

mod answers;
mod live;

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};
use tokio_xmpp::parsers::data_forms::{DataForm, DataFormType, Field};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::mam::{Query, QueryId};
use tokio_xmpp::parsers::ns;
use tokio_xmpp::parsers::rsm::SetQuery;

use super::ingest::ChatMessage;
use super::{new_id, Context, IqPurpose};
use crate::error::EngineError;
use crate::store::RowIds;

/// Results asked for per catch-up page. Servers may send fewer (Prosody's default cap is 50).
pub const PAGE: usize = 250;
/// Results asked for per history page (scrolling back in one conversation).
pub const HISTORY_PAGE: usize = 50;
/// Most messages fetched in one session's catch-up; the rest follows next session.
pub const MAX_PER_SESSION: usize = 100_000;
/// How far before the oldest pending message reconciliation looks (clock skew margin), ms.
const RECONCILE_MARGIN_MS: i64 = 5 * 60 * 1000;
/// `archive_sync.archive` of the account's own archive.
const OWN_ARCHIVE: &str = "";

/// What one older-history request found, for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPage {
    /// Messages newly stored.
    pub stored: usize,
    /// The archive holds nothing older (XEP-0313 `complete`).
    pub complete: bool,
}

/// Why a query was sent.
#[derive(Debug)]
pub(crate) enum QueryKind {
    /// Outbox reconciliation after a restart or a new stream.
    Reconcile { start_ms: i64 },
    /// Catch-up from our stored position; `latest_only` on an account's first catch-up;
    /// `since_ms` (a `start` filter) when the stored position is no longer in the archive.
    CatchUp {
        latest_only: bool,
        since_ms: Option<i64>,
    },
    /// Older history of one conversation, answered to the caller.
    History {
        reply: oneshot::Sender<Result<HistoryPage, EngineError>>,
        /// The conversation (a contact, or a room whose own archive is asked).
        peer: Jid,
        room: bool,
    },
}

/// An archive query in flight.
#[derive(Debug)]
pub(crate) struct ArchiveQuery {
    kind: QueryKind,
    /// Results of the current page, in archive order.
    results: Vec<ChatMessage>,
    /// Messages received in earlier pages of this run.
    received: usize,
    /// The room whose archive is queried; `None` for our own.
    room: Option<BareJid>,
    /// The query named an archive id (RSM `after` or `before`), which the archive may no
    /// longer have (expiry, a reset archive).
    anchored: bool,
    /// A result of this page also arrived live in this session (see [`live`]).
    reached_live: bool,
    /// How many results came before the first one also received live: those are older than
    /// everything received live in this session.
    before_live: Option<usize>,
}

fn form(fields: Vec<Field>) -> DataForm {
    DataForm::new(DataFormType::Submit, ns::MAM, fields)
}

fn xep0082(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Our archive queries in flight, the catch-up writer, and whether the outbox may go.
#[derive(Debug, Default)]
pub(crate) struct Archive {
    /// Queries in flight by `queryid`.
    queries: HashMap<String, ArchiveQuery>,
    /// Stores catch-up pages (and live positions) in order off the actor; one per session.
    page_writer: Option<mpsc::UnboundedSender<WriterPage>>,
    /// The writer's task, awaited when the session ends.
    writer_task: Option<tokio::task::JoinHandle<()>>,
    /// Live archive ids of this session, against the catch-up.
    live: live::LiveEdge,
    /// Set when outbox reconciliation has ended; the account actor then sends the outbox and
    /// clears it.
    pub catch_up_done: bool,
    /// Row ids set aside at the start of this session for what the archive holds from
    /// before the live stream (`store::RowIds`): `(next, end)`, end exclusive.
    reserved: Option<(i64, i64)>,
}

/// One catch-up page for the writer task: its messages, the position to save with them,
/// and their row ids.
type WriterPage = (Vec<ChatMessage>, Option<String>, RowIds);

impl Archive {
    /// The session ends (before a new one, or when the account stops): the live position is
    /// saved after the pages still being written, and the writer is waited for, so that the
    /// next catch-up starts from what is stored. Queries of this session are forgotten; the
    /// next one gets a fresh writer (one that stopped on a store error must not block it).
    pub(crate) async fn end_session(&mut self, ctx: &Context) {
        if let Some(id) = self.live.session_ended() {
            self.write_catch_up_page(ctx, Vec::new(), Some(id), RowIds::Next);
        }
        self.queries.clear();
        self.page_writer = None;
        if let Some(task) = self.writer_task.take() {
            if tokio::time::timeout(std::time::Duration::from_secs(10), task)
                .await
                .is_err()
            {
                tracing::warn!(account = ctx.account_id, "archive writer still busy");
            }
        }
    }

    /// Row ids for a page of our own archive whose first `before_live` results are older
    /// than everything received live in this session: taken from the reserved block while
    /// it lasts.
    fn ids_for(&mut self, before_live: usize) -> RowIds {
        let Some((next, end)) = self.reserved else {
            return RowIds::Next;
        };
        let count = i64::try_from(before_live).unwrap_or(i64::MAX);
        if count == 0 || next.saturating_add(count) > end {
            return RowIds::Next;
        }
        self.reserved = Some((next + count, end));
        RowIds::Reserved {
            first: next,
            count: before_live,
        }
    }

    /// A message with archive id `id` (a stanza-id by our bare JID) arrived live.
    pub(crate) fn on_live(&mut self, ctx: &Context, id: &str) {
        if let Some(position) = self.live.on_live(id) {
            self.write_catch_up_page(ctx, Vec::new(), Some(position), RowIds::Next);
        }
    }

    /// Starts a new session's archive work: reconciliation when the outbox holds messages,
    /// else the catch-up straight away (and the outbox is free to go).
    pub(crate) async fn start(&mut self, ctx: &mut Context) {
        self.catch_up_done = false;
        // Before anything live of this session is stored (see `store::RowIds`).
        let block = i64::try_from(MAX_PER_SESSION).unwrap_or(i64::MAX / 4) * 2;
        self.reserved = match ctx.store.reserve_message_ids(block).await {
            Ok(first) => Some((first, first.saturating_add(block))),
            Err(e) => {
                tracing::warn!(account = ctx.account_id, "row ids not reserved: {e}");
                None
            }
        };
        let oldest_pending = match ctx.store.pending_messages(ctx.account_id).await {
            Ok(rows) => rows.iter().map(|r| r.at).min(),
            Err(e) => {
                tracing::warn!(account = ctx.account_id, "outbox unreadable: {e}");
                None
            }
        };
        match oldest_pending {
            Some(at) => {
                let start_ms = at - RECONCILE_MARGIN_MS;
                self.query(ctx, QueryKind::Reconcile { start_ms }, None, 0);
            }
            None => {
                self.catch_up_done = true;
                self.start_regular_catch_up(ctx).await;
            }
        }
    }

    async fn start_regular_catch_up(&mut self, ctx: &mut Context) {
        self.live.state = live::CatchUp::Running;
        match ctx.store.archive_last_id(ctx.account_id, OWN_ARCHIVE).await {
            // `""`: the archive was empty when we last looked; read it from the start.
            Ok(Some(after)) => self.query(
                ctx,
                QueryKind::CatchUp {
                    latest_only: false,
                    since_ms: None,
                },
                Some(after),
                0,
            ),
            Ok(None) => self.query(
                ctx,
                QueryKind::CatchUp {
                    latest_only: true,
                    since_ms: None,
                },
                None,
                0,
            ),
            Err(e) => {
                tracing::warn!(account = ctx.account_id, "archive position unreadable: {e}");
                self.live.catch_up_ended(false);
            }
        }
    }

    /// Asks for older messages of the conversation with `peer`, before the oldest archived
    /// one we hold. The answer comes through `reply` once the page is stored.
    pub(crate) async fn fetch_history(
        &mut self,
        ctx: &mut Context,
        peer: Jid,
        reply: oneshot::Sender<Result<HistoryPage, EngineError>>,
    ) {
        let peer_str = peer.to_string();
        let (before, room) = match (
            ctx.store.oldest_stanza_id(ctx.account_id, &peer_str).await,
            ctx.store.room(ctx.account_id, &peer_str).await,
        ) {
            (Ok(id), Ok(room)) => (id.unwrap_or_default(), room.is_some()),
            (Err(e), _) | (_, Err(e)) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        self.send_history(ctx, peer, room, before, None, reply);
    }

    /// Asks a page of older history of `peer`: before the archive id `before` (`""`: the
    /// newest page), up to `end_ms` when given (XEP-0313 §4.1.1 `end`).
    fn send_history(
        &mut self,
        ctx: &mut Context,
        peer: Jid,
        room: bool,
        before: String,
        end_ms: Option<i64>,
        reply: oneshot::Sender<Result<HistoryPage, EngineError>>,
    ) {
        let query_id = new_id();
        // A room's history comes from the room's own archive (XEP-0313 §5, MUC MAM), in the
        // room's stanza-id space; a contact's from ours, filtered `with` them.
        let mut form_fields = if room {
            vec![]
        } else {
            vec![Field::text_single("with", &peer.to_string())]
        };
        if let Some(end) = end_ms {
            form_fields.push(Field::text_single("end", &xep0082(end)));
        }
        let query = Query {
            queryid: Some(QueryId(query_id.clone())),
            node: None,
            form: (!form_fields.is_empty()).then(|| form(form_fields)),
            set: Some(SetQuery {
                max: Some(HISTORY_PAGE),
                before: Some(before),
                after: None,
                index: None,
            }),
            flip_page: false,
        };
        let to = room.then(|| peer.to_bare());
        let kind = QueryKind::History { reply, peer, room };
        self.send_query_to(ctx, to, query_id, query, kind, 0);
    }

    /// Sends a reconciliation or catch-up query for the page after `after`.
    fn query(
        &mut self,
        ctx: &mut Context,
        kind: QueryKind,
        after: Option<String>,
        received: usize,
    ) {
        let mut fields = Vec::new();
        match &kind {
            QueryKind::Reconcile { start_ms }
            | QueryKind::CatchUp {
                since_ms: Some(start_ms),
                ..
            } => fields.push(Field::text_single("start", &xep0082(*start_ms))),
            _ => {}
        }
        let latest_only = matches!(
            kind,
            QueryKind::CatchUp {
                latest_only: true,
                ..
            }
        );
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
            form: (!fields.is_empty()).then(|| form(fields)),
            set: Some(set),
            flip_page: false,
        };
        self.send_query_to(ctx, None, query_id, query, kind, received);
    }

    /// Sends a query to our own archive (`room` None) or a room's.
    fn send_query_to(
        &mut self,
        ctx: &mut Context,
        room: Option<BareJid>,
        query_id: String,
        query: Query,
        kind: QueryKind,
        received: usize,
    ) {
        let anchored = query.set.as_ref().is_some_and(|set| {
            set.after.as_ref().is_some_and(|a| !a.is_empty())
                || set.before.as_ref().is_some_and(|b| !b.is_empty())
        });
        self.queries.insert(
            query_id.clone(),
            ArchiveQuery {
                kind,
                results: Vec::new(),
                received,
                room: room.clone(),
                anchored,
                reached_live: false,
                before_live: None,
            },
        );
        let mut iq = Iq::from_set(new_id(), query);
        if let Some(room) = room {
            iq = iq.with_to(Jid::from(room));
        }
        ctx.request(iq, IqPurpose::ArchivePage(query_id));
    }

    /// Gives up waiting for the reconciliation (the server did not answer): its queries are
    /// forgotten (a late answer is ignored) and the outbox is released. The regular catch-up
    /// still runs.
    pub(crate) async fn abandon_reconciliation(&mut self, ctx: &mut Context) {
        self.queries
            .retain(|_, q| !matches!(q.kind, QueryKind::Reconcile { .. }));
        self.catch_up_done = true;
        self.start_regular_catch_up(ctx).await;
    }

    /// Outbox reconciliation is running; the outbox waits for it.
    pub(crate) fn catching_up(&self) -> bool {
        self.queries
            .values()
            .any(|q| matches!(q.kind, QueryKind::Reconcile { .. }))
    }
}
