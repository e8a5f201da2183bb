//! Our messages to a server that cannot be reached now, sent again when it can.
//!
//! Across servers (RFC 6120 §2.5), our server may bounce a message with
//! `remote-server-not-found` (§8.3.3.14: it could not connect to the recipient's server) or
//! `remote-server-timeout` (§8.3.3.15: the connection timed out) while the other server is
//! down or cut off. Both usually pass. Such a message is not marked failed: it stays
//! `pending` with the reason in words ([`waiting_words`]) and is sent again, with the same
//! id and origin-id (XEP-0359), when:
//! - a stanza other than an error arrives from that domain (it is reachable again);
//! - its retry time comes: 15 s after the first bounce, doubling to at most 10 min;
//! - the next session starts (every pending message goes out then).
//!
//! After [`MAX_ATTEMPTS`] bounces with no sign of the domain in between, it is marked failed.
//! Retry times live in memory only; after a restart the count starts again.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use tokio::time::Instant;
use tokio_xmpp::Stanza;

use super::omemo::Omemo;
use super::outbox::Outbox;
use super::Context;
use crate::event::EngineEvent;
use crate::store::MessageState;

/// Bounces of one domain's messages, with no stanza from it in between, before they fail.
pub(crate) const MAX_ATTEMPTS: u32 = 8;
/// The wait after the first bounce; doubled after each next one.
const FIRST_WAIT: Duration = Duration::from_secs(15);
/// The longest wait between two attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(600);

/// Whether an error condition (RFC 6120 §8.3.3, as in the stanza) says the recipient's server
/// is out of reach for now rather than that the message was refused.
pub(crate) fn is_transient(condition: &str) -> bool {
    matches!(
        condition,
        "remote-server-not-found" | "remote-server-timeout"
    )
}

/// The reason shown on a message that waits for `domain`.
pub(crate) fn waiting_words(domain: &str) -> String {
    format!("Waiting: the server {domain} cannot be reached now. Linnet will send it again.")
}

/// The reason shown on a message given up on.
pub(crate) fn given_up_words(domain: &str) -> String {
    format!("Not delivered: the server {domain} could not be reached after {MAX_ATTEMPTS} tries.")
}

/// What became of a bounced message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parked {
    /// It waits for its domain.
    Waiting,
    /// Too many bounces: it fails.
    GivenUp,
}

/// One domain's waiting messages.
#[derive(Debug, Default)]
struct Waiting {
    rows: BTreeSet<i64>,
    /// Bounces since the domain was last heard from.
    attempts: u32,
    /// When the rows go out again; `None` once they went.
    due: Option<Instant>,
}

/// Messages waiting for their recipients' servers, by domain.
#[derive(Debug, Default)]
pub(crate) struct Unreachable {
    by_domain: HashMap<String, Waiting>,
}

impl Unreachable {
    /// Message `row` to `domain` bounced at `now`.
    pub(crate) fn park(&mut self, row: i64, domain: &str, now: Instant) -> Parked {
        let waiting = self.by_domain.entry(domain.to_owned()).or_default();
        if waiting.due.is_none() {
            waiting.attempts += 1;
            let doubled =
                FIRST_WAIT.saturating_mul(1 << waiting.attempts.min(16).saturating_sub(1));
            waiting.due = Some(now + doubled.min(LONGEST_WAIT));
        }
        if waiting.attempts > MAX_ATTEMPTS {
            waiting.rows.remove(&row);
            return Parked::GivenUp;
        }
        waiting.rows.insert(row);
        Parked::Waiting
    }

    /// Whether no message waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_domain.is_empty()
    }

    /// Something other than an error came from `domain`: its messages go now, and the count
    /// of bounces starts again.
    pub(crate) fn heard_from(&mut self, domain: &str) -> Vec<i64> {
        self.by_domain
            .remove(domain)
            .map(|w| w.rows.into_iter().collect())
            .unwrap_or_default()
    }

    /// The messages whose retry time has come by `now`.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<i64> {
        let mut rows = Vec::new();
        for waiting in self.by_domain.values_mut() {
            if waiting.due.is_some_and(|due| due <= now) {
                waiting.due = None;
                rows.extend(std::mem::take(&mut waiting.rows));
            }
        }
        rows
    }

    /// The next retry time.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.by_domain.values().filter_map(|w| w.due).min()
    }
}

impl Outbox {
    /// Parks the messages the handlers found bounced (`Context::parked`): each waits,
    /// `pending` with the reason in words, or fails after too many bounces.
    pub(crate) async fn park_bounced(&mut self, ctx: &mut Context) {
        for (row, domain, peer) in std::mem::take(&mut ctx.parked) {
            let (state, words) = match self.unreachable.park(row, &domain, Instant::now()) {
                Parked::Waiting => (MessageState::Pending, waiting_words(&domain)),
                Parked::GivenUp => (MessageState::Failed, given_up_words(&domain)),
            };
            tracing::info!(account = ctx.account_id, row, %domain, ?state, "message bounced");
            match ctx.store.set_message_state(row, state, Some(&words)).await {
                Ok(()) => announce(ctx, row, peer),
                Err(e) => tracing::warn!(account = ctx.account_id, "storing a bounce failed: {e}"),
            }
        }
    }

    /// A stanza arrived: when it is no error and comes from a domain our messages wait for,
    /// they go now.
    pub(crate) async fn on_stanza_from(
        &mut self,
        ctx: &mut Context,
        omemo: &mut Omemo,
        stanza: &Stanza,
    ) {
        if self.unreachable.is_empty() {
            return;
        }
        let from = match stanza {
            Stanza::Message(m) if m.type_ != tokio_xmpp::parsers::message::MessageType::Error => {
                m.from.as_ref()
            }
            Stanza::Presence(p) if p.type_ != tokio_xmpp::parsers::presence::Type::Error => {
                p.from.as_ref()
            }
            Stanza::Iq(tokio_xmpp::parsers::iq::Iq::Error { .. }) => None,
            Stanza::Iq(iq) => iq.from(),
            _ => None,
        };
        if let Some(from) = from {
            let rows = self.unreachable.heard_from(from.domain().as_str());
            self.send_again(ctx, omemo, rows).await;
        }
    }

    /// Sends the messages whose retry time has come.
    pub(crate) async fn retry_due(&mut self, ctx: &mut Context, omemo: &mut Omemo) {
        let rows = self.unreachable.due(Instant::now());
        self.send_again(ctx, omemo, rows).await;
    }

    /// When the next bounced message is due.
    pub(crate) fn next_retry(&self) -> Option<Instant> {
        self.unreachable.next_due()
    }

    /// A new session sends every pending message anyway: retry times start again.
    pub(crate) fn forget_bounces(&mut self) {
        self.unreachable = Unreachable::default();
    }

    async fn send_again(&mut self, ctx: &mut Context, omemo: &mut Omemo, rows: Vec<i64>) {
        for row in rows {
            // Still ours to send: not delivered meanwhile (a receipt), not retracted, not on
            // the stream already.
            let peer = match ctx.store.message(row).await {
                Ok(Some(m))
                    if matches!(m.state, MessageState::Pending | MessageState::Sent)
                        && !m.retracted =>
                {
                    m.peer
                }
                _ => continue,
            };
            if self.in_flight(row) {
                continue;
            }
            tracing::info!(
                account = ctx.account_id,
                row,
                "sending a bounced message again"
            );
            if ctx
                .store
                .set_message_state(row, MessageState::Pending, None)
                .await
                .is_ok()
            {
                announce(ctx, row, peer);
                self.queue(ctx, omemo, row).await;
            }
        }
    }
}

/// Tells the UI that row `row` of the conversation with `peer` changed.
fn announce(ctx: &Context, row: i64, peer: String) {
    ctx.emit(EngineEvent::MessagesChanged {
        account_id: ctx.account_id,
        peer,
        ids: vec![row],
        live: false,
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn only_unreachable_servers_are_transient() {
        assert!(is_transient("remote-server-not-found"));
        assert!(is_transient("remote-server-timeout"));
        for refusal in [
            "service-unavailable",
            "item-not-found",
            "forbidden",
            "not-acceptable",
        ] {
            assert!(!is_transient(refusal), "{refusal}");
        }
    }

    #[test]
    fn bounced_messages_go_again_when_due_with_doubling_waits() {
        let start = Instant::now();
        let mut u = Unreachable::default();
        assert_eq!(u.park(1, "b.test", start), Parked::Waiting);
        assert_eq!(u.park(2, "b.test", start), Parked::Waiting);
        assert_eq!(u.next_due(), Some(start + FIRST_WAIT));
        assert!(u.due(start + Duration::from_secs(14)).is_empty());
        assert_eq!(u.due(start + FIRST_WAIT), vec![1, 2]);
        assert_eq!(u.next_due(), None, "sent again: nothing scheduled");
        // They bounce again: the wait doubles.
        let later = start + FIRST_WAIT;
        u.park(1, "b.test", later);
        u.park(2, "b.test", later);
        assert_eq!(u.next_due(), Some(later + FIRST_WAIT * 2));
    }

    #[test]
    fn a_stanza_from_the_domain_sends_its_messages_at_once_and_resets_the_count() {
        let now = Instant::now();
        let mut u = Unreachable::default();
        u.park(1, "b.test", now);
        u.park(7, "c.test", now);
        assert_eq!(u.heard_from("b.test"), vec![1]);
        assert!(u.heard_from("b.test").is_empty());
        assert!(!u.is_empty(), "c.test still waits");
        assert_eq!(u.heard_from("c.test"), vec![7]);
        assert!(u.is_empty());
    }

    #[test]
    fn a_domain_that_never_answers_fails_its_message_after_the_last_attempt() {
        let mut now = Instant::now();
        let mut u = Unreachable::default();
        for _ in 0..MAX_ATTEMPTS {
            assert_eq!(u.park(1, "gone.test", now), Parked::Waiting);
            now = u.next_due().unwrap();
            assert_eq!(u.due(now), vec![1]);
        }
        assert_eq!(u.park(1, "gone.test", now), Parked::GivenUp);
    }
}
