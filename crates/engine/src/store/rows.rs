//! The row types of the `messages` table and the one mapping of send states to stored words.

use serde::Serialize;
use sqlx::Row;

/// Where a message stands (XEP-0198 ack, XEP-0184 receipt, XEP-0333 marker). Stored as its
/// snake_case name; this is the only place that maps the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Stored, not yet acknowledged by our server.
    Pending,
    /// Acknowledged by our server (XEP-0198).
    Sent,
    /// The recipient's client confirmed receipt (XEP-0184).
    Delivered,
    /// The recipient displayed it (XEP-0333).
    Displayed,
    /// Could not be sent; see `error`.
    Failed,
    /// An incoming message.
    Received,
    /// A line from the room itself: a nickname change, someone leaving, a kick, a ban, the
    /// room destroyed (XEP-0045). Shown centred, never notifies.
    System,
}

impl MessageState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Displayed => "displayed",
            Self::Failed => "failed",
            Self::Received => "received",
            Self::System => "system",
        }
    }

    /// From the stored word; an unknown one (a newer database) reads as the neutral state for
    /// its direction.
    pub fn parse(state: &str, outgoing: bool) -> Self {
        match state {
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "displayed" => Self::Displayed,
            "failed" => Self::Failed,
            "received" => Self::Received,
            "system" => Self::System,
            _ if outgoing => Self::Sent,
            _ => Self::Received,
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// Row id; also the paging cursor.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Conversation partner, bare JID.
    pub peer: String,
    /// Sent by us.
    pub outgoing: bool,
    /// Plain-text body.
    pub body: String,
    /// `none`, or the encryption the payload used.
    pub encryption: String,
    /// XEP-0359 stanza-id assigned by our server.
    pub stanza_id: Option<String>,
    /// XEP-0359 origin-id assigned by the sender.
    pub origin_id: Option<String>,
    /// The stanza's `id` attribute.
    pub message_id: Option<String>,
    /// Unix ms, in whole seconds (see `insert_message`).
    pub at: i64,
    /// Send state.
    pub state: MessageState,
    /// Why sending failed, for `failed`.
    pub error: Option<String>,
    /// The user has seen it.
    pub read: bool,
    /// The sender asked for chat markers (XEP-0333 `<markable/>`).
    pub markable: bool,
    /// A group message (XEP-0045); `peer` is the room.
    pub groupchat: bool,
    /// The occupant's nickname, for group messages.
    pub sender: Option<String>,
}

impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for MessageRow {
    fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
        let outgoing: bool = row.try_get("outgoing")?;
        let state: String = row.try_get("state")?;
        Ok(Self {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            peer: row.try_get("peer")?,
            outgoing,
            body: row.try_get("body")?,
            encryption: row.try_get("encryption")?,
            stanza_id: row.try_get("stanza_id")?,
            origin_id: row.try_get("origin_id")?,
            message_id: row.try_get("message_id")?,
            at: row.try_get("at")?,
            state: MessageState::parse(&state, outgoing),
            error: row.try_get("error")?,
            read: row.try_get("read")?,
            markable: row.try_get("markable")?,
            groupchat: row.try_get("groupchat")?,
            sender: row.try_get("sender")?,
        })
    }
}

/// A message to insert.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// Owning account.
    pub account_id: i64,
    /// Conversation partner, bare JID.
    pub peer: &'a str,
    /// Sent by us.
    pub outgoing: bool,
    /// Plain-text body.
    pub body: &'a str,
    /// XEP-0359 stanza-id.
    pub stanza_id: Option<&'a str>,
    /// XEP-0359 origin-id.
    pub origin_id: Option<&'a str>,
    /// The stanza's `id` attribute.
    pub message_id: Option<&'a str>,
    /// Unix ms.
    pub at: i64,
    /// Initial state.
    pub state: MessageState,
    /// Counts as already read (our own messages).
    pub read: bool,
    /// The sender asked for chat markers (XEP-0333 `<markable/>`).
    pub markable: bool,
    /// A group message (XEP-0045); `peer` is the room.
    pub groupchat: bool,
    /// The occupant's nickname, for group messages.
    pub sender: Option<&'a str>,
}

pub(super) const COLUMNS: &str =
    "id, account_id, peer, outgoing, body, encryption, stanza_id, origin_id, message_id, at, state, error, read, markable, groupchat, sender";

/// A conversation summary: partner, last message, unread count.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConversationRow {
    /// Owning account.
    pub account_id: i64,
    /// Partner, bare JID.
    pub peer: String,
    /// Body of the newest message.
    pub last_body: Option<String>,
    /// Unix ms of the newest message.
    pub last_at: i64,
    /// Messages from the partner not read yet.
    pub unread: i64,
    /// Of those, group messages mentioning our current nickname in the room (case-insensitive
    /// for ASCII letters); 0 outside rooms.
    pub mentions: i64,
    /// The user muted notifications for this conversation.
    pub muted: bool,
}
