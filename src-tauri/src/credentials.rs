//! Passwords in the OS keyring (`keyring`: Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows), or, when the user chose so because no keyring is usable,
//! in this process's memory until it exits. Nothing else in Linnet holds a password.

use std::collections::HashMap;
use std::sync::Mutex;

use linnet_engine::{CredentialProvider, EngineError, FastToken};

const SERVICE: &str = "im.linnet.desktop";

/// Where passwords persist across runs. [`Keyring`] in the app; tests substitute their own.
pub trait SecretStore: Send + Sync + 'static {
    /// Stores (or replaces) the password for `jid`.
    fn set(&self, jid: &str, password: &str) -> Result<(), EngineError>;
    /// The password for `jid`, `None` when there is no entry.
    fn get(&self, jid: &str) -> Result<Option<String>, EngineError>;
    /// Deletes the entry for `jid`; a missing entry is not an error.
    fn delete(&self, jid: &str) -> Result<(), EngineError>;
}

/// The OS keyring, one entry per bare JID under the service `im.linnet.desktop`.
#[derive(Debug, Default)]
pub struct Keyring;

fn entry(jid: &str) -> Result<keyring::Entry, EngineError> {
    keyring::Entry::new(SERVICE, jid).map_err(unavailable)
}

fn unavailable(e: keyring::Error) -> EngineError {
    EngineError::Credentials(format!(
        "No usable system keyring ({e}). Start or unlock one (for example GNOME Keyring or KWallet) and try again, or keep the password for this session only."
    ))
}

impl SecretStore for Keyring {
    fn set(&self, jid: &str, password: &str) -> Result<(), EngineError> {
        entry(jid)?.set_password(password).map_err(unavailable)
    }

    fn get(&self, jid: &str) -> Result<Option<String>, EngineError> {
        match entry(jid)?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn delete(&self, jid: &str) -> Result<(), EngineError> {
        match entry(jid)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// The keyring entry (user name under [`SERVICE`]) holding the database key; not a JID.
const DATABASE_KEY: &str = "linnet:database-key";

/// Why no key for the database could be had (see [`database_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// The database is encrypted and its key is not in the keyring (or the keyring cannot be
    /// read): restore or unlock the keyring, or enter the passphrase chosen for it.
    Missing(String),
    /// The database is not encrypted yet and no keyring can keep a new key: the user chooses a
    /// passphrase, or to go on unencrypted.
    NoKeyring(String),
}

/// The SQLCipher key to open the database at `db` with: the one in the keyring, or a new
/// random 256-bit key (stored there first) for a new database or a plain one to encrypt.
///
/// Errors (in words for the user): [`KeyProblem::Missing`] when the database is encrypted but
/// its key is not in the keyring or the keyring cannot be read; [`KeyProblem::NoKeyring`]
/// when nothing is encrypted yet and no keyring is usable. Never a new empty database in the
/// place of an encrypted one.
pub fn database_key(keyring: &dyn SecretStore, db: &std::path::Path) -> Result<String, KeyProblem> {
    let encrypted =
        db.metadata().is_ok_and(|m| m.len() > 0) && !linnet_engine::store::is_plain_sqlite(db);
    let missing = |why: &str| {
        KeyProblem::Missing(format!(
            "Linnet's database ({}) is encrypted, and its key {why}. Unlock or restore the system keyring (entry \"{DATABASE_KEY}\" of \"{SERVICE}\") and try again, or enter the passphrase you chose for it. Starting afresh moves that file aside, with its history.",
            db.display()
        ))
    };
    let no_keyring = |e: &EngineError| {
        KeyProblem::NoKeyring(format!(
            "Linnet encrypts its database with a key kept in the system keyring, and no keyring is usable ({e}). Start or unlock one (for example GNOME Keyring or KWallet) and try again, or choose a passphrase to type at each start."
        ))
    };
    match keyring.get(DATABASE_KEY) {
        Ok(Some(key)) => Ok(key),
        Ok(None) if encrypted => Err(missing("is no longer in the system keyring")),
        Err(e) if encrypted => Err(missing(&format!(
            "cannot be read from the system keyring ({e})"
        ))),
        Ok(None) => {
            let key = format!("x'{}'", hex::encode(rand::random::<[u8; 32]>()));
            keyring
                .set(DATABASE_KEY, &key)
                .map(|()| key)
                .map_err(|e| no_keyring(&e))
        }
        Err(e) => Err(no_keyring(&e)),
    }
}

/// Forgets the database key (after its database was moved aside), so that the next
/// [`database_key`] makes a new one. A missing entry is not an error.
pub fn forget_database_key(keyring: &dyn SecretStore) -> Result<(), EngineError> {
    keyring.delete(DATABASE_KEY)
}

/// The keyring entry (user name under [`SERVICE`]) holding `jid`'s XEP-0484 FAST token, as
/// JSON; beside the password's entry, which is the bare JID itself.
fn token_entry(jid: &str) -> String {
    format!("fast-token:{jid}")
}

/// The app's credential provider: session-only passwords first, then the persistent store.
/// FAST tokens follow their password: in memory for a session-only account, else in the
/// persistent store.
pub struct Credentials {
    persistent: Box<dyn SecretStore>,
    session: Mutex<HashMap<String, String>>,
    session_tokens: Mutex<HashMap<String, FastToken>>,
}

impl Credentials {
    /// Credentials backed by `persistent` (the OS keyring in the app).
    pub fn new(persistent: impl SecretStore) -> Self {
        Self {
            persistent: Box::new(persistent),
            session: Mutex::new(HashMap::new()),
            session_tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Stores the password for `jid`: in the persistent store, or with `session_only` in memory
    /// until the app exits (the user is asked again next time).
    ///
    /// Errors: [`EngineError::Credentials`] (code `keyring_unavailable`) when the keyring
    /// cannot be used; nothing is stored then.
    pub fn store(&self, jid: &str, password: &str, session_only: bool) -> Result<(), EngineError> {
        if session_only {
            self.session_map()?
                .insert(jid.to_owned(), password.to_owned());
            return Ok(());
        }
        self.persistent.set(jid, password)?;
        self.session_map()?.remove(jid);
        Ok(())
    }

    /// Whether `jid`'s password is kept in memory for this run only (the user chose so).
    pub fn is_session_only(&self, jid: &str) -> bool {
        self.session
            .lock()
            .map(|map| map.contains_key(jid))
            .unwrap_or(false)
    }

    /// Forgets the password for `jid` everywhere. A keyring that cannot be reached is logged,
    /// not an error: removing an account must not fail because of it.
    pub fn delete(&self, jid: &str) {
        if let Ok(mut map) = self.session.lock() {
            map.remove(jid);
        }
        if let Ok(mut map) = self.session_tokens.lock() {
            map.remove(jid);
        }
        for entry in [jid.to_owned(), token_entry(jid)] {
            if let Err(e) = self.persistent.delete(&entry) {
                tracing::warn!("keyring entry {entry} not removed: {e}");
            }
        }
    }

    fn session_map(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, HashMap<String, String>>, EngineError> {
        self.session
            .lock()
            .map_err(|_| EngineError::Credentials("session password store poisoned".into()))
    }
}

impl CredentialProvider for Credentials {
    fn password(&self, _account_id: i64, jid: &str) -> Result<Option<String>, EngineError> {
        if let Some(p) = self.session_map()?.get(jid) {
            return Ok(Some(p.clone()));
        }
        self.persistent.get(jid)
    }

    fn fast_token(&self, _account_id: i64, jid: &str) -> Result<Option<FastToken>, EngineError> {
        if self.is_session_only(jid) {
            return Ok(self
                .session_tokens
                .lock()
                .ok()
                .and_then(|map| map.get(jid).cloned()));
        }
        // An entry that does not parse is as good as none: the password logs in.
        Ok(self
            .persistent
            .get(&token_entry(jid))?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    fn set_fast_token(
        &self,
        _account_id: i64,
        jid: &str,
        token: Option<&FastToken>,
    ) -> Result<(), EngineError> {
        if self.is_session_only(jid) {
            if let Ok(mut map) = self.session_tokens.lock() {
                match token {
                    Some(t) => map.insert(jid.to_owned(), t.clone()),
                    None => map.remove(jid),
                };
            }
            return Ok(());
        }
        match token {
            Some(t) => {
                let json = serde_json::to_string(t)
                    .map_err(|e| EngineError::Credentials(e.to_string()))?;
                self.persistent.set(&token_entry(jid), &json)
            }
            None => self.persistent.delete(&token_entry(jid)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use linnet_engine::ErrorCode;

    /// A keyring that is not there (no Secret Service on the bus).
    struct NoKeyring;

    impl SecretStore for NoKeyring {
        fn set(&self, _: &str, _: &str) -> Result<(), EngineError> {
            Err(EngineError::Credentials("no keyring".into()))
        }
        fn get(&self, _: &str) -> Result<Option<String>, EngineError> {
            Err(EngineError::Credentials("no keyring".into()))
        }
        fn delete(&self, _: &str) -> Result<(), EngineError> {
            Err(EngineError::Credentials("no keyring".into()))
        }
    }

    /// A keyring held in memory.
    #[derive(Default)]
    struct MemoryKeyring(Mutex<HashMap<String, String>>);

    impl SecretStore for MemoryKeyring {
        fn set(&self, jid: &str, password: &str) -> Result<(), EngineError> {
            self.0.lock().unwrap().insert(jid.into(), password.into());
            Ok(())
        }
        fn get(&self, jid: &str) -> Result<Option<String>, EngineError> {
            Ok(self.0.lock().unwrap().get(jid).cloned())
        }
        fn delete(&self, jid: &str) -> Result<(), EngineError> {
            self.0.lock().unwrap().remove(jid);
            Ok(())
        }
    }

    #[test]
    fn a_fast_token_sits_beside_the_password_and_goes_with_the_account() {
        let creds = Credentials::new(MemoryKeyring::default());
        creds.store("a@example.org", "pw", false).unwrap();
        let token = FastToken {
            mechanism: "HT-SHA-256-NONE".into(),
            token: "secret-token:fast-1".into(),
            expiry: "2030-01-01T00:00:00+00:00".into(),
        };
        assert_eq!(creds.fast_token(1, "a@example.org").unwrap(), None);
        creds
            .set_fast_token(1, "a@example.org", Some(&token))
            .unwrap();
        assert_eq!(
            creds.fast_token(1, "a@example.org").unwrap(),
            Some(token.clone())
        );
        assert_eq!(
            creds.password(1, "a@example.org").unwrap().as_deref(),
            Some("pw")
        );
        creds.delete("a@example.org");
        assert_eq!(creds.fast_token(1, "a@example.org").unwrap(), None);
        // A session-only account keeps its token in memory too.
        creds.store("b@example.org", "pw", true).unwrap();
        creds
            .set_fast_token(2, "b@example.org", Some(&token))
            .unwrap();
        assert_eq!(creds.fast_token(2, "b@example.org").unwrap(), Some(token));
        assert_eq!(
            creds.persistent.get("fast-token:b@example.org").unwrap(),
            None
        );
    }

    #[test]
    fn the_database_key_is_made_once_kept_in_the_keyring_and_never_replaced() {
        let dir = std::env::temp_dir().join(format!("linnet-dbkey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("linnet.sqlite");
        let _ = std::fs::remove_file(&db);
        let keyring = MemoryKeyring::default();
        // New install: a raw 256-bit key, stored.
        let key = database_key(&keyring, &db).unwrap();
        assert!(key.starts_with("x'") && key.len() == 67, "{key}");
        assert_eq!(keyring.get(DATABASE_KEY).unwrap(), Some(key.clone()));
        assert_eq!(
            database_key(&keyring, &db).unwrap(),
            key,
            "the same next time"
        );
        // An encrypted database whose key is gone: a clear error, never a new key.
        std::fs::write(&db, [0x42u8; 64]).unwrap();
        keyring.delete(DATABASE_KEY).unwrap();
        let Err(KeyProblem::Missing(err)) = database_key(&keyring, &db) else {
            panic!("the key is missing")
        };
        assert!(err.contains("no longer in the system keyring"), "{err}");
        assert_eq!(keyring.get(DATABASE_KEY).unwrap(), None);
        let Err(KeyProblem::Missing(err)) = database_key(&NoKeyring, &db) else {
            panic!("the keyring is unreadable")
        };
        assert!(err.contains("cannot be read"), "{err}");
        // No keyring and nothing encrypted yet: the user is asked (passphrase or plain).
        std::fs::remove_file(&db).unwrap();
        let Err(KeyProblem::NoKeyring(err)) = database_key(&NoKeyring, &db) else {
            panic!("no keyring to keep a key")
        };
        assert!(err.contains("choose a passphrase"), "{err}");
    }

    #[test]
    fn without_keyring_the_error_says_so_and_session_only_works() {
        let c = Credentials::new(NoKeyring);
        let err = c.store("a@example.org", "pw", false).unwrap_err();
        assert_eq!(err.code(), ErrorCode::KeyringUnavailable);
        assert!(c.password(1, "a@example.org").is_err(), "nothing stored");

        c.store("a@example.org", "pw", true).unwrap();
        assert_eq!(
            c.password(1, "a@example.org").unwrap().as_deref(),
            Some("pw")
        );
        c.delete("a@example.org");
        assert!(
            c.password(1, "a@example.org").is_err(),
            "session entry gone"
        );
    }

    #[test]
    fn keyring_password_replaces_a_session_one() {
        let c = Credentials::new(MemoryKeyring::default());
        c.store("a@example.org", "session", true).unwrap();
        assert_eq!(
            c.password(1, "a@example.org").unwrap().as_deref(),
            Some("session")
        );
        c.store("a@example.org", "kept", false).unwrap();
        assert_eq!(
            c.password(1, "a@example.org").unwrap().as_deref(),
            Some("kept")
        );
        c.delete("a@example.org");
        assert_eq!(c.password(1, "a@example.org").unwrap(), None);
    }
}
