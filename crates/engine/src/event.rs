//! Events the engine emits on its broadcast channel. GUI-free: they carry ids and small views,
//! the shell maps them to UI events.

use serde::Serialize;

use crate::error::ErrorCode;

/// A certificate the engine refused, for the "trust this certificate" screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CertificateInfo {
    /// SHA-256 of the leaf certificate's DER, lowercase hex without separators.
    pub sha256: String,
    /// The certificate's subject, RFC 4514 string.
    pub subject: String,
    /// Why the verifier refused it.
    pub reason: String,
}

/// Connection state of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Not connected, not trying (disabled or not started).
    Offline,
    /// First connection attempt in progress.
    Connecting,
    /// Session established (resource bound or stream resumed).
    Online,
    /// Lost or failed; another attempt follows by itself.
    Reconnecting {
        /// Attempt number, from 1.
        attempt: u32,
        /// Seconds until the next attempt.
        retry_in_secs: u64,
    },
    /// Stopped on an error that retrying cannot fix; waits for the user.
    Error {
        /// Stable code.
        code: ErrorCode,
        /// A sentence the user can act on.
        message: String,
        /// The refused certificate, for `certificate_untrusted`.
        cert: Option<CertificateInfo>,
    },
}

/// A chat state (XEP-0085 §2): what someone is doing in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ChatStateName {
    /// Paying attention to the conversation.
    Active,
    /// Typing a message.
    Composing,
    /// Stopped typing for a while.
    Paused,
    /// Not paying attention.
    Inactive,
    /// Left the conversation.
    Gone,
}

impl From<&tokio_xmpp::parsers::chatstates::ChatState> for ChatStateName {
    fn from(state: &tokio_xmpp::parsers::chatstates::ChatState) -> Self {
        use tokio_xmpp::parsers::chatstates::ChatState as S;
        match state {
            S::Active => Self::Active,
            S::Composing => Self::Composing,
            S::Paused => Self::Paused,
            S::Inactive => Self::Inactive,
            S::Gone => Self::Gone,
        }
    }
}

impl From<ChatStateName> for tokio_xmpp::parsers::chatstates::ChatState {
    fn from(state: ChatStateName) -> Self {
        match state {
            ChatStateName::Active => Self::Active,
            ChatStateName::Composing => Self::Composing,
            ChatStateName::Paused => Self::Paused,
            ChatStateName::Inactive => Self::Inactive,
            ChatStateName::Gone => Self::Gone,
        }
    }
}

/// Something changed; the shell forwards these to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// An account's connection state changed.
    AccountState {
        /// Account id.
        account_id: i64,
        /// New state.
        state: ConnectionState,
    },
    /// Accounts were added, removed or changed.
    AccountsChanged,
    /// Messages were stored (new or with a changed send state) in one conversation.
    MessagesChanged {
        /// Account id.
        account_id: i64,
        /// Partner bare JID.
        peer: String,
        /// Row ids of the new or changed messages.
        ids: Vec<i64>,
        /// New messages that just arrived live from someone else (may notify); false for
        /// history (XEP-0313), carbons (XEP-0280), our own messages and state changes.
        live: bool,
    },
    /// A file transfer moved on: our upload (XEP-0363) or a download of a received file.
    /// Told every 256 KiB and at the end; the outcome comes as `MessagesChanged`.
    FileProgress {
        /// Account id.
        account_id: i64,
        /// The conversation, as in `MessagesChanged`.
        peer: String,
        /// The message sharing the file.
        message_id: i64,
        /// Ours going up (else a download).
        upload: bool,
        /// Bytes moved so far.
        done: u64,
        /// Bytes in all, when known.
        total: Option<u64>,
    },
    /// A contact or room occupant's chat state (XEP-0085): typing, paused, …; never ours.
    ChatState {
        /// Account id.
        account_id: i64,
        /// The contact's bare JID, or the room's.
        peer: String,
        /// The occupant's nick in a room; `None` one-to-one.
        sender: Option<String>,
        /// The state.
        state: ChatStateName,
    },
    /// A room's live state changed: joined or left, occupants, subject, an error
    /// (XEP-0045); read it with `Engine::room`.
    RoomChanged {
        /// Account id.
        account_id: i64,
        /// Room bare JID.
        room: String,
    },
    /// Someone invited us to a room: mediated through the room (XEP-0045 §7.8.2) or direct
    /// (XEP-0249). Accept with `Engine::join_room`.
    RoomInvite {
        /// Account id.
        account_id: i64,
        /// Room bare JID.
        room: String,
        /// Who invited us, bare JID, when known.
        from: Option<String>,
        /// Their reason, if any.
        reason: Option<String>,
    },
    /// Conversation settings changed (e.g. muted); reload the conversation list.
    ConversationsChanged,
    /// The roster of an account changed (reload it).
    RosterChanged {
        /// Account id.
        account_id: i64,
    },
    /// The account's blocklist changed (XEP-0191: by us, or pushed after another client of
    /// ours changed it); read it again with `Engine::blocklist`.
    BlocklistChanged {
        /// Account id.
        account_id: i64,
    },
    /// The picture a JID (a contact, or our own account) shows changed (XEP-0084/0153): the
    /// SHA-1 (hex) of its picture, kept by the engine (`Engine::avatar_png`); `None`: none.
    AvatarChanged {
        /// Account id.
        account_id: i64,
        /// Bare JID.
        jid: String,
        /// SHA-1, 40 hex digits.
        hash: Option<String>,
    },
    /// A contact's presence changed.
    PresenceChanged {
        /// Account id.
        account_id: i64,
        /// Contact bare JID.
        jid: String,
    },
    /// Someone asked to see our presence (RFC 6121 §3.1.3). Also emitted for requests that
    /// were stored while the app was closed, once per connect.
    SubscriptionRequest {
        /// Account id.
        account_id: i64,
        /// Who asked, bare JID.
        jid: String,
    },
}
