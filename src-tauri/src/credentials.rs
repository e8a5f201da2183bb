//! Passwords in the OS keyring (`keyring`: Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows). Nothing else in Linnet holds a password.

use linnet_engine::{CredentialProvider, EngineError};

const SERVICE: &str = "im.linnet.desktop";

/// Reads and writes account passwords in the OS keyring, one entry per bare JID.
#[derive(Debug, Default)]
pub struct Keyring;

fn entry(jid: &str) -> Result<keyring::Entry, EngineError> {
    keyring::Entry::new(SERVICE, jid).map_err(unavailable)
}

fn unavailable(e: keyring::Error) -> EngineError {
    EngineError::Credentials(format!(
        "No usable system keyring ({e}). Linnet keeps passwords only in the system keyring; start or unlock it (for example GNOME Keyring or KWallet) and try again."
    ))
}

impl Keyring {
    /// Stores (or replaces) the password for `jid`.
    pub fn store(&self, jid: &str, password: &str) -> Result<(), EngineError> {
        entry(jid)?.set_password(password).map_err(unavailable)
    }

    /// Deletes the password for `jid`; a missing entry is not an error.
    pub fn delete(&self, jid: &str) -> Result<(), EngineError> {
        match entry(jid)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

impl CredentialProvider for Keyring {
    fn password(&self, _account_id: i64, jid: &str) -> Result<Option<String>, EngineError> {
        match entry(jid)?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}
