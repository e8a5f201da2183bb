//! SQLite store (sqlx): accounts, roster, subscription requests, messages.
//!
//! One pool per engine, WAL journal, embedded forward-only migrations from `migrations/`.
//! Every table carries `account_id`. Encryption-ready: message rows record how their payload
//! was encrypted, and [`StoreOptions::key`] opens the database through SQLCipher's `PRAGMA key`
//! when the SQLite library linked in supports it.

mod accounts;
mod amend;
mod conversations;
mod messages;
mod omemo;
mod rooms;
mod roster;
mod rows;
mod search;

pub use accounts::AccountRow;
pub use omemo::Trust;
pub use rooms::RoomRow;
pub use roster::{RosterRow, SubscriptionRequestRow};
pub use rows::{
    Amend, ConversationRow, MessageRow, MessageState, NewMessage, ReactionRow, ReplyRef,
};
pub use search::{fts_query, SearchHit, MATCH_END, MATCH_START};

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::error::EngineError;

/// Where and how to open the store.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// Database file; `None` opens a private in-memory database (tests).
    pub path: Option<PathBuf>,
    /// SQLCipher key. Only honoured when SQLite was built with SQLCipher; a wrong key fails with
    /// "file is not a database" on the first query.
    pub key: Option<String>,
}

/// Handle to the SQLite store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating when missing) the database and runs pending migrations.
    ///
    /// Errors: [`EngineError::Store`] when the file cannot be opened or a migration fails.
    pub async fn open(options: &StoreOptions) -> Result<Self, EngineError> {
        let mut connect = match &options.path {
            Some(path) => SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true),
            None => SqliteConnectOptions::from_str("sqlite::memory:")?,
        };
        if let Some(key) = &options.key {
            // SQLCipher expects the key before anything else touches the file.
            connect = connect.pragma("key", format!("'{}'", key.replace('\'', "''")));
        }
        connect = connect
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // An in-memory database lives as long as its one connection.
        let max = if options.path.is_some() { 4 } else { 1 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .min_connections(if options.path.is_some() { 0 } else { 1 })
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The underlying pool, for modules of this crate. Transactions that write begin with
    /// `BEGIN IMMEDIATE`: a deferred one that read first and then writes fails at once
    /// (`SQLITE_BUSY_SNAPSHOT`, no busy timeout applies) when another connection wrote
    /// meanwhile, as live messages do while a catch-up page is stored.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Current time in unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
