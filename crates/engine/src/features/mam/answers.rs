//! Answers to our archive queries (XEP-0313 §4.2-4.3, XEP-0059 §2.6): results gathered per
//! page, the `<fin/>` that stores a page and asks for the next, the writer task that stores
//! catch-up pages (and live positions) in order, and refusals (an archive id that is gone is
//! paged by time instead).

use tokio::sync::mpsc;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::mam::Fin;
use tokio_xmpp::parsers::stanza_error::StanzaError;

use super::{
    Archive, HistoryPage, QueryKind, WriterPage, MAX_PER_SESSION, OWN_ARCHIVE, RECONCILE_MARGIN_MS,
};
use crate::error::EngineError;
use crate::features::inbound::Forward;
use crate::features::ingest::{self, ChatMessage};
use crate::features::iq::condition_words;
use crate::features::{muc, Context};
use crate::store::RowIds;

impl Archive {
    /// One `<result/>` of one of our queries (XEP-0313 §4.2), from `from`.
    pub(crate) fn on_result(
        &mut self,
        ctx: &Context,
        from: Option<&Jid>,
        query_id: Option<String>,
        archive_id: String,
        forward: Forward,
    ) {
        let Some(query_id) = query_id else {
            tracing::debug!(account = ctx.account_id, "archive result without a queryid");
            return;
        };
        let seen_live = self.live.seen_live(&archive_id);
        let Some(query) = self.queries.get_mut(&query_id) else {
            tracing::debug!(
                account = ctx.account_id,
                "archive result for no query of ours"
            );
            return;
        };
        // Only the archive we asked: ours (no from, or our bare JID) or that room's.
        let trusted = match (&query.room, from) {
            (None, f) => f.is_none_or(|f| ctx.is_own_bare(f)),
            (Some(r), Some(f)) => f.resource().is_none() && f.to_bare() == *r,
            (Some(_), None) => false,
        };
        if !trusted {
            tracing::warn!(
                account = ctx.account_id,
                "archive result from {from:?} ignored: not the archive we asked"
            );
            return;
        }
        if query.room.is_none() && seen_live {
            query.reached_live = true;
            query.before_live.get_or_insert(query.results.len());
        }
        let parsed = match &query.room {
            Some(r) => muc::messages::archived(ctx, r, &forward, archive_id),
            None => ingest::direct(
                ctx,
                &forward.envelope,
                &forward.content,
                Some(archive_id),
                forward.delay.as_ref(),
            ),
        };
        if let Some(chat) = parsed {
            query.results.push(chat);
        }
    }

    /// The `<fin/>` that ends a page (XEP-0313 §4.3): store the page, then go on.
    pub(crate) async fn on_fin(
        &mut self,
        ctx: &mut Context,
        query_id: &str,
        payload: Option<Element>,
    ) {
        let Some(query) = self.queries.remove(query_id) else {
            return;
        };
        let fin = match payload.map(Fin::try_from) {
            Some(Ok(fin)) => fin,
            other => {
                let why = format!(
                    "archive page without a usable <fin/>: {:?}",
                    other.map(|r| r.err())
                );
                self.query_failed(ctx, query.kind, &why).await;
                return;
            }
        };
        let last = fin.set.last.clone();
        let received = query.received + query.results.len();
        let more = !fin.complete && last.is_some();
        if let QueryKind::CatchUp {
            latest_only,
            since_ms,
        } = query.kind
        {
            // Ask for the next page first and store this one on the writer task, so the
            // server prepares page n+1 while we store page n. A page holding a message that
            // also came live is the last: the rest came live too.
            let go_on = !latest_only && more && received < MAX_PER_SESSION && !query.reached_live;
            if go_on {
                let next = QueryKind::CatchUp {
                    latest_only: false,
                    since_ms,
                };
                self.query(ctx, next, last.clone(), received);
            }
            let position = match (&last, latest_only) {
                (Some(l), _) => Some(l.clone()),
                // An empty archive at the first catch-up: everything in it later is new.
                (None, true) => Some(String::new()),
                (None, false) => None,
            };
            let ids = self.ids_for(query.before_live.unwrap_or(query.results.len()));
            self.write_catch_up_page(ctx, query.results, position, ids);
            if !go_on {
                // The first catch-up of an account reads only the newest page on purpose.
                let reached = latest_only || !more || query.reached_live;
                tracing::debug!(
                    account = ctx.account_id,
                    received,
                    reached,
                    live_edge = query.reached_live,
                    "catch-up ended"
                );
                if let Some(id) = self.live.catch_up_ended(reached) {
                    self.write_catch_up_page(ctx, Vec::new(), Some(id), RowIds::Next);
                }
            }
            return;
        }
        let ids = match query.kind {
            QueryKind::History { .. } => RowIds::Older,
            _ => self.ids_for(query.before_live.unwrap_or(query.results.len())),
        };
        let stored = match ingest::store_page(
            &ctx.store,
            &ctx.events,
            ctx.account_id,
            &query.results,
            None,
            ids,
        )
        .await
        {
            Ok(stored) => stored,
            Err(e) => {
                let why = format!("storing an archive page failed: {e}");
                self.query_failed(ctx, query.kind, &why).await;
                return;
            }
        };
        tracing::debug!(
            account = ctx.account_id,
            received,
            stored,
            complete = fin.complete,
            "archive page stored"
        );
        match query.kind {
            QueryKind::Reconcile { start_ms } if more => {
                self.query(ctx, QueryKind::Reconcile { start_ms }, last, received);
            }
            QueryKind::Reconcile { .. } => {
                self.catch_up_done = true;
                self.start_regular_catch_up(ctx).await;
            }
            QueryKind::CatchUp { .. } => {}
            QueryKind::History { reply, .. } => {
                let _ = reply.send(Ok(HistoryPage {
                    stored,
                    complete: fin.complete,
                }));
            }
        }
    }

    /// Hands one catch-up page to the writer task (started on first use), which stores pages
    /// in order, each in one transaction with the new position, and announces them. After a
    /// failed page it stores nothing more from this connection, so the position never skips
    /// a page; the next session continues from the last stored one.
    pub(super) fn write_catch_up_page(
        &mut self,
        ctx: &Context,
        results: Vec<ChatMessage>,
        position: Option<String>,
        ids: RowIds,
    ) {
        let task = &mut self.writer_task;
        let writer = self.page_writer.get_or_insert_with(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<WriterPage>();
            let store = ctx.store.clone();
            let events = ctx.events.clone();
            let account_id = ctx.account_id;
            *task = Some(tokio::spawn(async move {
                while let Some((results, position, ids)) = rx.recv().await {
                    let at = position.as_deref().map(|p| (OWN_ARCHIVE, p));
                    match ingest::store_page(&store, &events, account_id, &results, at, ids).await {
                        Ok(_) => {}
                        Err(e) => {
                            tracing::error!(
                                account = account_id,
                                "storing an archive page failed, catch-up stopped: {e}"
                            );
                            return;
                        }
                    }
                }
            }));
            tx
        });
        if writer.send((results, position, ids)).is_err() {
            tracing::warn!(
                account = ctx.account_id,
                "catch-up stopped after a store error"
            );
        }
    }

    /// The server refused a query (no archive, or an error).
    pub(crate) async fn on_refused(
        &mut self,
        ctx: &mut Context,
        query_id: &str,
        error: &StanzaError,
    ) {
        let Some(query) = self.queries.remove(query_id) else {
            return;
        };
        let condition = condition_words(&error.defined_condition);
        if condition == "item-not-found" && query.anchored {
            // XEP-0059 §2.6: the id we paged from is gone (archive expiry, a reset archive).
            // Page from the nearest end by time instead: nothing in between is skipped, and
            // what we already hold is deduplicated.
            tracing::info!(
                account = ctx.account_id,
                "archive id no longer known; paging by time instead"
            );
            match query.kind {
                QueryKind::CatchUp { .. } => {
                    let since = match ctx.store.newest_direct_at(ctx.account_id).await {
                        Ok(at) => at.map(|at| at - RECONCILE_MARGIN_MS),
                        Err(e) => {
                            tracing::warn!(account = ctx.account_id, "store unreadable: {e}");
                            return;
                        }
                    };
                    let kind = QueryKind::CatchUp {
                        latest_only: since.is_none(),
                        since_ms: since,
                    };
                    self.query(ctx, kind, None, query.received);
                }
                QueryKind::History { reply, peer, room } => {
                    let end = ctx.store.oldest_at(ctx.account_id, &peer.to_string()).await;
                    self.send_history(ctx, peer, room, String::new(), end.ok().flatten(), reply);
                }
                kind @ QueryKind::Reconcile { .. } => {
                    let why = format!("archive query refused: {condition}");
                    self.query_failed(ctx, kind, &why).await;
                }
            }
            return;
        }
        let why = format!("archive query refused: {condition}");
        self.query_failed(ctx, query.kind, &why).await;
    }

    /// A query ended without a usable page. The outbox never waits on a broken archive.
    pub(super) async fn query_failed(&mut self, ctx: &mut Context, kind: QueryKind, why: &str) {
        tracing::warn!(account = ctx.account_id, "{why}");
        match kind {
            QueryKind::Reconcile { .. } => {
                self.catch_up_done = true;
                self.start_regular_catch_up(ctx).await;
            }
            QueryKind::CatchUp { .. } => {
                self.live.catch_up_ended(false);
            }
            QueryKind::History { reply, .. } => {
                let _ = reply.send(Err(EngineError::Server(
                    "The server could not give older messages right now. Try again later."
                        .to_owned(),
                )));
            }
        }
    }
}
