//! Jingle file transfers on their messages (`messages.file_transfer*`, schema 15).

use super::rows::COLUMNS;
use super::{MessageRow, Store, TransferState};
use crate::error::EngineError;

impl Store {
    /// Sets the state (and the reason, for one that did not succeed) of the transfer on
    /// message `id`. A transfer that has ended stays as it ended. Returns the row, `None` when
    /// it has no transfer or it had ended.
    pub async fn set_transfer_state(
        &self,
        id: i64,
        state: TransferState,
        reason: Option<&str>,
    ) -> Result<Option<MessageRow>, EngineError> {
        let sql = format!(
            "UPDATE messages SET file_transfer = ?, file_transfer_reason = ?
             WHERE id = ? AND file_transfer IN ('offered', 'active')
             RETURNING {COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(state.as_str())
            .bind(reason)
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Marks every transfer a previous run left under way as failed (a Jingle session does
    /// not outlive the app); returns how many.
    pub async fn fail_interrupted_transfers(&self) -> Result<u64, EngineError> {
        Ok(sqlx::query(
            "UPDATE messages SET file_transfer = 'failed',
                    file_transfer_reason = 'Interrupted: Linnet was closed during the transfer.'
             WHERE file_transfer IN ('offered', 'active')",
        )
        .execute(self.pool())
        .await?
        .rows_affected())
    }
}
