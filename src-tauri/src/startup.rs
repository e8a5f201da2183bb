//! Opening Linnet's encrypted database at start (SQLCipher, its key in the OS keyring), and
//! what happens when it cannot be opened: the window shows the problem in words with what the
//! user can do (try again after unlocking the keyring, type the passphrase chosen for the
//! database, choose a passphrase when there is no keyring, go on unencrypted, or start afresh
//! with the old file moved aside). Never a crash, never a silent new empty database.
//!
//! Until the database is open no [`Engine`] is managed, so every other command fails; the UI
//! asks [`database_problem`] first and shows the app only when there is none.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use linnet_engine::{Engine, EngineConfig, ErrorCode, StoreOptions, TrustRoots};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;

use crate::credentials::{self, Credentials, KeyProblem, Keyring};
use crate::error::IpcError;
use crate::events;

/// What kind of problem stopped the database from opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseProblemKind {
    /// The database is encrypted and its key is not in the keyring (or the keyring is locked).
    KeyMissing,
    /// The key (or passphrase) given does not open the database.
    WrongKey,
    /// Nothing is encrypted yet and no keyring can keep a key.
    NoKeyring,
}

/// Why the database is not open, for the window.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DatabaseProblem {
    /// The kind, for the screen's choices.
    pub kind: DatabaseProblemKind,
    /// What happened and what to do, in words.
    pub message: String,
}

/// The database's place and, while it is not open, why.
pub struct Startup {
    db: PathBuf,
    trust: TrustRoots,
    credentials: Arc<Credentials>,
    problem: Mutex<Option<DatabaseProblem>>,
    /// One open attempt at a time.
    opening: tokio::sync::Mutex<()>,
}

impl Startup {
    /// The database file `db`, not opened yet.
    pub fn new(db: PathBuf, trust: TrustRoots, credentials: Arc<Credentials>) -> Self {
        Startup {
            db,
            trust,
            credentials,
            problem: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    fn set_problem(&self, problem: Option<DatabaseProblem>) {
        if let Ok(mut slot) = self.problem.lock() {
            *slot = problem;
        }
    }

    /// Opens the database with `key` and starts the engine; on failure the problem is kept
    /// for the window and returned.
    pub async fn open(&self, app: &AppHandle, key: Option<String>) -> Result<(), DatabaseProblem> {
        let _one = self.opening.lock().await;
        if app.try_state::<Engine>().is_some() {
            self.set_problem(None);
            return Ok(());
        }
        let config = EngineConfig {
            store: StoreOptions {
                path: Some(self.db.clone()),
                key,
            },
            trust: self.trust.clone(),
            muc_self_ping_idle: None,
            nameserver: None,
            proxy: system_proxy(),
        };
        match Engine::start(config, self.credentials.clone()).await {
            Ok(engine) => {
                app.manage(engine.clone());
                tauri::async_runtime::spawn(events::forward(app.clone(), engine));
                self.set_problem(None);
                Ok(())
            }
            Err(e) => {
                let problem = DatabaseProblem {
                    kind: DatabaseProblemKind::WrongKey,
                    message: format!(
                        "Linnet's database ({}) could not be opened with that key ({e}). If you chose a passphrase for it, type it exactly; otherwise restore the system keyring's entry. Starting afresh moves that file aside, with its history.",
                        self.db.display()
                    ),
                };
                self.set_problem(Some(problem.clone()));
                Err(problem)
            }
        }
    }

    /// The key from the keyring (made for a new database), then [`Self::open`].
    pub async fn open_with_keyring(&self, app: &AppHandle) -> Result<(), DatabaseProblem> {
        match credentials::database_key(&Keyring, &self.db) {
            Ok(key) => self.open(app, Some(key)).await,
            Err(problem) => {
                let problem = match problem {
                    KeyProblem::Missing(message) => DatabaseProblem {
                        kind: DatabaseProblemKind::KeyMissing,
                        message,
                    },
                    KeyProblem::NoKeyring(message) => DatabaseProblem {
                        kind: DatabaseProblemKind::NoKeyring,
                        message,
                    },
                };
                self.set_problem(Some(problem.clone()));
                Err(problem)
            }
        }
    }
}

/// `db` moved aside as `linnet-unreadable-<unix seconds>.sqlite` (with its `-wal`/`-shm`
/// files), so a new database can take its place and nothing is deleted. Returns the new path.
fn move_aside(db: &Path) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let aside = db.with_file_name(format!("linnet-unreadable-{stamp}.sqlite"));
    std::fs::rename(db, &aside)?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            std::fs::rename(&side, format!("{}{suffix}", aside.display()))?;
        }
    }
    Ok(aside)
}

fn refused(problem: DatabaseProblem) -> IpcError {
    IpcError::new(ErrorCode::Internal, problem.message)
}

/// Why Linnet's database is not open (`None`: it is, and the app can start).
#[tauri::command]
pub fn database_problem(startup: State<'_, Startup>) -> Option<DatabaseProblem> {
    startup.problem.lock().ok().and_then(|p| p.clone())
}

/// Tries to open the database again: with `passphrase` when given (the one chosen for it, or
/// a new one for a database not encrypted yet), else with the keyring's key; `unencrypted`
/// opens it without encryption (only offered when no keyring is usable).
///
/// Errors: the problem, in words, when it still cannot be opened.
#[tauri::command]
pub async fn unlock_database(
    app: AppHandle,
    startup: State<'_, Startup>,
    passphrase: Option<String>,
    unencrypted: bool,
) -> Result<(), IpcError> {
    let result = match (passphrase.filter(|p| !p.is_empty()), unencrypted) {
        (Some(passphrase), _) => startup.open(&app, Some(passphrase)).await,
        (None, true) => startup.open(&app, None).await,
        (None, false) => startup.open_with_keyring(&app).await,
    };
    result.map_err(refused)
}

/// Moves the unreadable database aside (kept, with its history, next to the new one), forgets
/// its key and starts with a new, empty database.
///
/// Errors: the file cannot be moved, or the new database cannot be made (the problem in words).
#[tauri::command]
pub async fn start_afresh(app: AppHandle, startup: State<'_, Startup>) -> Result<(), IpcError> {
    if app.try_state::<Engine>().is_some() {
        return Ok(());
    }
    if startup.db.exists() {
        let aside = move_aside(&startup.db).map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("Linnet could not move {} aside: {e}", startup.db.display()),
            )
        })?;
        tracing::warn!("unreadable database moved to {}", aside.display());
        if let Err(e) = credentials::forget_database_key(&Keyring) {
            tracing::warn!("the old database key stays in the keyring: {e}");
        }
    }
    startup.open_with_keyring(&app).await.map_err(refused)
}

/// The proxy (SOCKS5 or HTTP CONNECT) of the environment (`ALL_PROXY`, the variable curl and most desktop
/// programs read); one that cannot be read makes every connection fail with the reason, never
/// go out directly.
fn system_proxy() -> Option<linnet_engine::account::proxy::Proxy> {
    use linnet_engine::account::proxy::Proxy;
    match Proxy::from_env()? {
        Ok(proxy) => {
            tracing::info!(server = %proxy.server, kind = ?proxy.kind, "connecting through the proxy in ALL_PROXY");
            Some(proxy)
        }
        Err(reason) => {
            tracing::error!("ALL_PROXY: {reason}");
            Some(Proxy::unusable(format!("ALL_PROXY: {reason}")))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn moving_aside_keeps_the_file_and_its_journal() {
        let dir = std::env::temp_dir().join(format!("linnet-aside-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("linnet.sqlite");
        std::fs::write(&db, b"old history").unwrap();
        std::fs::write(dir.join("linnet.sqlite-wal"), b"journal").unwrap();
        let aside = move_aside(&db).unwrap();
        assert!(!db.exists());
        assert_eq!(std::fs::read(&aside).unwrap(), b"old history");
        assert_eq!(
            std::fs::read(format!("{}-wal", aside.display())).unwrap(),
            b"journal"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
