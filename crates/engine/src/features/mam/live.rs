//! Where the catch-up meets the live stream (XEP-0313 §4.1, XEP-0359).
//!
//! Once a session is online, the server delivers what reaches our account live (and to our
//! other clients as carbons, XEP-0280), and archives it too. A catch-up that keeps paging
//! after the first message it also received live would fetch, again, everything that arrives
//! while it runs: during a burst, most of the burst (seen at 1.5-1.6x the server's work).
//!
//! [`LiveEdge`] keeps the archive ids (stanza-ids by our bare JID) of messages received live
//! in this session:
//! - while the catch-up runs, a page holding one of them is its last page: what follows in
//!   the archive came in live;
//! - after a catch-up that ended at that point or at the end of the archive, the newest live
//!   id becomes the stored position (every [`POSITION_EVERY`] live messages, and when the
//!   session ends), so the next session's catch-up starts after what this one received live
//!   instead of fetching it again. A catch-up that stopped early (a failure, or
//!   [`super::MAX_PER_SESSION`]) never moves the position past what it has not fetched.

use std::collections::HashSet;

/// Live messages between two saves of the position.
pub(crate) const POSITION_EVERY: usize = 500;

/// Where this session's catch-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum CatchUp {
    /// No catch-up started yet in this session (or the outbox reconciliation runs first).
    #[default]
    NotStarted,
    /// Pages are being fetched.
    Running,
    /// Everything up to the live stream is fetched: live ids may become the position.
    Reached,
    /// Stopped before the live stream (an error, or the per-session cap): the position stays
    /// at the last stored page.
    Stopped,
}

/// The live archive ids of one session (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct LiveEdge {
    pub state: CatchUp,
    /// Archive ids received live while the catch-up runs.
    seen: HashSet<String>,
    /// The newest live archive id not yet saved as the position.
    unsaved: Option<String>,
    /// Live messages since the position was last saved.
    since_save: usize,
}

impl LiveEdge {
    /// A new session: nothing seen live yet.
    pub(crate) fn reset(&mut self) {
        *self = Self::default();
    }

    /// A message with archive id `id` arrived live. Returns the id to save as the position
    /// now, when [`POSITION_EVERY`] live messages came in since the last save.
    pub(crate) fn on_live(&mut self, id: &str) -> Option<String> {
        match self.state {
            CatchUp::NotStarted | CatchUp::Running => {
                self.seen.insert(id.to_owned());
                self.unsaved = Some(id.to_owned());
                None
            }
            CatchUp::Reached => {
                self.unsaved = Some(id.to_owned());
                self.since_save += 1;
                if self.since_save >= POSITION_EVERY {
                    self.take_unsaved()
                } else {
                    None
                }
            }
            CatchUp::Stopped => None,
        }
    }

    /// Whether the archive id of a catch-up result was received live in this session.
    pub(crate) fn seen_live(&self, id: &str) -> bool {
        self.seen.contains(id)
    }

    /// The catch-up ended; `reached` when it fetched everything up to the live stream (the
    /// archive said `complete`, or a page held a live message). Returns the newest live id to
    /// save as the position after the last page.
    pub(crate) fn catch_up_ended(&mut self, reached: bool) -> Option<String> {
        self.seen.clear();
        if reached {
            self.state = CatchUp::Reached;
            self.take_unsaved()
        } else {
            self.state = CatchUp::Stopped;
            self.unsaved = None;
            None
        }
    }

    /// The session ends: the newest live id not saved yet, when it may be.
    pub(crate) fn session_ended(&mut self) -> Option<String> {
        let out = match self.state {
            CatchUp::Reached => self.take_unsaved(),
            _ => None,
        };
        self.reset();
        out
    }

    fn take_unsaved(&mut self) -> Option<String> {
        self.since_save = 0;
        self.unsaved.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_holding_a_live_message_ends_the_catch_up_and_the_newest_live_id_is_saved() {
        let mut edge = LiveEdge {
            state: CatchUp::Running,
            ..LiveEdge::default()
        };
        assert_eq!(edge.on_live("a"), None);
        assert_eq!(edge.on_live("b"), None);
        assert!(edge.seen_live("a"));
        assert!(!edge.seen_live("old"));
        assert_eq!(edge.catch_up_ended(true), Some("b".to_owned()));
        assert!(!edge.seen_live("a"), "forgotten once the catch-up ended");
        // After it, saved every POSITION_EVERY live messages and at the end of the session.
        for i in 1..POSITION_EVERY {
            assert_eq!(edge.on_live(&format!("c{i}")), None);
        }
        assert_eq!(edge.on_live("last"), Some("last".to_owned()));
        assert_eq!(edge.on_live("after"), None);
        assert_eq!(edge.session_ended(), Some("after".to_owned()));
        assert_eq!(edge.state, CatchUp::NotStarted);
        assert_eq!(edge.session_ended(), None);
    }

    #[test]
    fn a_catch_up_that_stopped_early_never_moves_the_position() {
        let mut edge = LiveEdge {
            state: CatchUp::Running,
            ..LiveEdge::default()
        };
        edge.on_live("a");
        assert_eq!(edge.catch_up_ended(false), None);
        for i in 0..POSITION_EVERY * 2 {
            assert_eq!(edge.on_live(&format!("x{i}")), None);
        }
        assert_eq!(edge.session_ended(), None);
    }

    #[test]
    fn live_messages_before_the_catch_up_starts_count_as_seen() {
        // The outbox reconciliation runs before the catch-up: live messages meanwhile still
        // bound it.
        let mut edge = LiveEdge::default();
        edge.on_live("early");
        edge.state = CatchUp::Running;
        assert!(edge.seen_live("early"));
        assert_eq!(edge.catch_up_ended(true), Some("early".to_owned()));
    }
}
