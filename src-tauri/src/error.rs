//! The error shape that crosses IPC: `{code, message}`; the UI branches on `code`.

use linnet_engine::{EngineError, ErrorCode};
use serde::Serialize;
use ts_rs::TS;

/// An error returned by a command.
#[derive(Debug, Serialize, TS)]
pub struct IpcError {
    /// Stable code.
    pub code: ErrorCode,
    /// A sentence for the user.
    pub message: String,
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        let message = match &e {
            EngineError::InvalidJid { .. } => {
                format!("{e}. A Jabber ID looks like you@example.org.")
            }
            EngineError::Store(_) | EngineError::Migrate(_) => {
                format!("Linnet could not read or write its database: {e}")
            }
            _ => e.to_string(),
        };
        Self {
            code: e.code(),
            message,
        }
    }
}

impl IpcError {
    /// An error with a code and a sentence.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}
