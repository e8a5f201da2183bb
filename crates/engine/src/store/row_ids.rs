//! Row ids of stored messages, which order messages stamped in the same second.
//!
//! Messages sort by `(at, id)`, `at` in whole seconds (see `messages::whole_seconds`), so
//! within a second the row id is the order. Inserting in arrival order is right for most
//! pages, but not for two kinds:
//! - history older than everything stored (scrolling back): its rows take ids below every
//!   existing one ([`RowIds::Older`]);
//! - a session's catch-up (XEP-0313) of what the archive holds from before the live stream
//!   reached us: those messages are older than everything received live in the session,
//!   even when the live ones were stored first (a message sent to us in the moment between
//!   binding and our initial presence reaches only our other clients and the archive, while
//!   the next ones arrive live). At the start of each session a block of ids is set aside
//!   ([`Store::reserve_message_ids`]) before anything live is stored; catch-up rows take ids
//!   from it ([`RowIds::Reserved`]), so they sort before the session's live rows of the same
//!   second and after everything stored before the session.

use super::Store;
use crate::error::EngineError;

/// Which ids the rows of one stored page take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowIds {
    /// The next free ids, in page order (SQLite `AUTOINCREMENT`).
    Next,
    /// Ids below every existing row, in page order: history older than all we hold.
    Older,
    /// The first `count` rows of the page take `first`, `first + 1`, … (ids set aside by
    /// [`Store::reserve_message_ids`]); the rest take the next free ids.
    Reserved {
        /// The first reserved id to use.
        first: i64,
        /// How many of the page's first rows take reserved ids.
        count: usize,
    },
}

impl Store {
    /// Sets aside `count` message row ids above every id used so far and returns the first;
    /// rows inserted without an explicit id from now on take ids above the block. Errors:
    /// [`EngineError::Store`] when the database cannot be written.
    pub async fn reserve_message_ids(&self, count: i64) -> Result<i64, EngineError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        // `sqlite_sequence` holds the highest id AUTOINCREMENT handed out (no row before the
        // first insert); the next id is one above it or above the highest row, whichever is
        // higher.
        let used: i64 = sqlx::query_scalar(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),
                        COALESCE((SELECT MAX(id) FROM messages), 0))",
        )
        .fetch_one(&mut *tx)
        .await?;
        let end = used.saturating_add(count);
        let updated = sqlx::query("UPDATE sqlite_sequence SET seq = ? WHERE name = 'messages'")
            .bind(end)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', ?)")
                .bind(end)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(used + 1)
    }
}

/// Hands out the ids of one page's rows (see [`RowIds`]).
pub(super) struct IdSource {
    next: i64,
    /// Rows left that take an explicit id; the others take the next free one.
    left: usize,
}

impl IdSource {
    /// `older_than` is the lowest stored id (for [`RowIds::Older`]); `len` the page's length.
    pub(super) fn new(ids: RowIds, older_than: Option<i64>, len: usize) -> Self {
        match ids {
            RowIds::Next => Self { next: 0, left: 0 },
            RowIds::Older => {
                let rows = i64::try_from(len).unwrap_or(i64::MAX / 2);
                Self {
                    next: older_than.unwrap_or(1).min(1) - rows - 1,
                    left: len,
                }
            }
            RowIds::Reserved { first, count } => Self {
                next: first,
                left: count,
            },
        }
    }

    /// The id for the next row of the page; `None` for the next free one.
    pub(super) fn take(&mut self) -> Option<i64> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let id = self.next;
        self.next += 1;
        Some(id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ids_cover_only_the_first_rows() {
        let mut ids = IdSource::new(
            RowIds::Reserved {
                first: 10,
                count: 2,
            },
            None,
            4,
        );
        assert_eq!(
            [ids.take(), ids.take(), ids.take(), ids.take()],
            [Some(10), Some(11), None, None]
        );
    }

    #[test]
    fn older_rows_go_below_every_stored_id_in_page_order() {
        let mut ids = IdSource::new(RowIds::Older, Some(5), 3);
        assert_eq!(
            [ids.take(), ids.take(), ids.take()],
            [Some(-3), Some(-2), Some(-1)]
        );
        let mut ids = IdSource::new(RowIds::Older, Some(-3), 2);
        assert_eq!([ids.take(), ids.take()], [Some(-6), Some(-5)]);
        let mut ids = IdSource::new(RowIds::Next, Some(-3), 2);
        assert_eq!([ids.take(), ids.take()], [None, None]);
    }
}
