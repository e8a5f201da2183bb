//! SQLite store (sqlx): accounts, roster, subscription requests, messages.
//!
//! One pool per engine, WAL journal, embedded forward-only migrations from `migrations/`.
//! Every table carries `account_id`. Encryption-ready: message rows record how their payload
//! was encrypted, and [`StoreOptions::key`] opens the database through SQLCipher's `PRAGMA key`
//! when the SQLite library linked in supports it.

mod accounts;
mod amend;
mod avatars;
mod conversations;
mod files;
mod login;
mod messages;
mod nicks;
mod omemo;
mod reports;
mod rooms;
mod roster;
mod row_ids;
mod rows;
mod search;
mod transfers;

pub use accounts::AccountRow;
pub use omemo::Trust;
pub use rooms::RoomRow;
pub use roster::{RosterRow, SubscriptionRequestRow};
pub use row_ids::RowIds;
pub use rows::{
    Amend, ConversationRow, ImageInfo, MessageRow, MessageState, NewMessage, ReactionRow, ReplyRef,
    SharedFile, Thumbnail, Transfer, TransferState,
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
    /// SQLCipher key: a passphrase, or a raw 256-bit key written `x'<64 hex digits>'` (no key
    /// derivation on open). A wrong key fails with "file is not a database". A plain SQLite
    /// file found at `path` is encrypted in place with this key first (no data lost).
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
        if let (Some(path), Some(key)) = (&options.path, &options.key) {
            if is_plain_sqlite(path) {
                encrypt_in_place(path, key).await?;
            }
        }
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
        if let Some(path) = &options.path {
            owner_only(path);
        }
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

/// Whether `path` is an unencrypted SQLite database (its file header, SQLite §1.3.1).
pub fn is_plain_sqlite(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|()| &header == b"SQLite format 3\0")
}

/// Encrypts a plain database in place with SQLCipher's `sqlcipher_export` into a new file,
/// which then replaces the old one (and its WAL); the old file stays untouched until then.
async fn encrypt_in_place(path: &std::path::Path, key: &str) -> Result<(), EngineError> {
    use sqlx::{ConnectOptions, Connection};
    let io = |e: std::io::Error| EngineError::Corrupt(format!("encrypting the database: {e}"));
    let mut fresh = path.as_os_str().to_owned();
    fresh.push(".encrypting");
    let fresh = PathBuf::from(fresh);
    if fresh.exists() {
        std::fs::remove_file(&fresh).map_err(io)?;
    }
    // ATTACH inherits the open flags: CREATE lets it make the new file.
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    sqlx::query("ATTACH DATABASE ? AS encrypted KEY ?")
        .bind(fresh.to_string_lossy().into_owned())
        .bind(key)
        .execute(&mut conn)
        .await?;
    sqlx::query("SELECT sqlcipher_export('encrypted')")
        .execute(&mut conn)
        .await?;
    sqlx::query("DETACH DATABASE encrypted")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    std::fs::rename(&fresh, path).map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    tracing::info!("database encrypted at rest: {}", path.display());
    Ok(())
}

/// Only the owner may read or write the database (0600; SQLite gives its WAL the same).
fn owner_only(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!("cannot restrict {}: {e}", path.display());
        }
    }
}
