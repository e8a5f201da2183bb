//! Engine errors, each with a stable code the UI branches on.

use serde::Serialize;

/// Stable, machine-readable error codes shared with the UI (never branch on English text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The server rejected the credentials (SASL failure).
    AuthFailed,
    /// The server's certificate is not trusted and not pinned.
    CertificateUntrusted,
    /// Another client took over our resource (stream error `<conflict/>`).
    Conflict,
    /// Another stream error ended the session.
    StreamError,
    /// The server could not be reached or the connection broke.
    Network,
    /// A JID did not parse (RFC 7622).
    InvalidJid,
    /// No OS keyring to hold the password.
    KeyringUnavailable,
    /// No password is known for the account.
    PasswordMissing,
    /// The server accepts the password only as PLAIN, and the user has not allowed that for
    /// the account (it can be allowed in the connection settings).
    PlainNotAllowed,
    /// The login looked tampered with (a downgrade to PLAIN, a wrong SCRAM server
    /// signature): nothing derived from the password was sent, or the session was dropped.
    LoginTampered,
    /// An account with this JID exists already.
    AccountExists,
    /// No account with this id.
    UnknownAccount,
    /// The account is not connected.
    NotConnected,
    /// The server answered a request with an error.
    ServerError,
    /// A link was not a URL Linnet opens (only http, https, mailto and xmpp).
    InvalidUrl,
    /// A proxy setting Linnet cannot use (not SOCKS5 or HTTP, or with a password to keep).
    InvalidProxy,
    /// The message (or other item) named does not exist or is not in the state asked for.
    NotFound,
    /// A file could not be read, uploaded, downloaded or saved; the message says why.
    File,
    /// A bug or a store failure.
    Internal,
}

/// Errors returned by engine calls.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A JID did not parse.
    #[error("'{input}' is not a valid Jabber ID: {reason}")]
    InvalidJid {
        /// What the user typed.
        input: String,
        /// Why it was rejected (RFC 7622).
        reason: String,
    },
    /// An account with this bare JID exists.
    #[error("an account for {0} already exists")]
    AccountExists(String),
    /// No account with this id.
    #[error("no account with id {0}")]
    UnknownAccount(i64),
    /// The credential provider has no password for this account.
    #[error("no password is stored for {0}")]
    PasswordMissing(String),
    /// The account is not online.
    #[error("the account is not connected")]
    NotConnected,
    /// The server answered with an error.
    #[error("the server refused: {0}")]
    Server(String),
    /// A connection of its own (account creation) failed; the text says why, in words.
    #[error("{0}")]
    Network(String),
    /// Database failure.
    #[error("store error: {0}")]
    Store(#[from] sqlx::Error),
    /// Stored data that does not read back (OMEMO state, for one).
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    /// Migration failure.
    #[error("store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The item named does not exist or is not in the state the call needs.
    #[error("not found: {0}")]
    NotFound(String),
    /// Credential storage failure (keyring).
    #[error("credential store: {0}")]
    Credentials(String),
    /// A file could not be downloaded, decrypted or saved; the text says why, in words.
    #[error("{0}")]
    File(String),
    /// A proxy setting that cannot be used; the text says why.
    #[error("{0}")]
    InvalidProxy(String),
}

impl EngineError {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidJid { .. } => ErrorCode::InvalidJid,
            Self::AccountExists(_) => ErrorCode::AccountExists,
            Self::UnknownAccount(_) => ErrorCode::UnknownAccount,
            Self::PasswordMissing(_) => ErrorCode::PasswordMissing,
            Self::NotConnected => ErrorCode::NotConnected,
            Self::Server(_) => ErrorCode::ServerError,
            Self::Network(_) => ErrorCode::Network,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Store(_) | Self::Migrate(_) | Self::Corrupt(_) => ErrorCode::Internal,
            Self::Credentials(_) => ErrorCode::KeyringUnavailable,
            Self::File(_) => ErrorCode::File,
            Self::InvalidProxy(_) => ErrorCode::InvalidProxy,
        }
    }
}
