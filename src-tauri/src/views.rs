//! View types sent to the UI (mirrored in ui/src/lib/ipc/bindings.ts).

use linnet_engine::{ConversationRow, MessageRow, SubscriptionRequestRow};
use serde::{Deserialize, Serialize};

/// The add-account form.
#[derive(Debug, Deserialize)]
pub struct AddAccountRequest {
    /// JID as typed.
    pub jid: String,
    /// Password; goes straight to the keyring.
    pub password: String,
    /// Host override.
    pub host: Option<String>,
    /// Port override.
    pub port: Option<u16>,
    /// XEP-0368 direct TLS.
    #[serde(default)]
    pub direct_tls: bool,
}

/// One message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Row id.
    pub id: i64,
    /// Account id.
    pub account_id: i64,
    /// Partner bare JID.
    pub peer: String,
    /// Sent by us.
    pub outgoing: bool,
    /// Plain text.
    pub body: String,
    /// Unix ms.
    pub at: i64,
    /// Send state.
    pub state: String,
    /// Failure reason.
    pub error: Option<String>,
}

impl From<MessageRow> for MessageView {
    fn from(r: MessageRow) -> Self {
        Self {
            id: r.id,
            account_id: r.account_id,
            peer: r.peer,
            outgoing: r.outgoing,
            body: r.body,
            at: r.at,
            state: r.state,
            error: r.error,
        }
    }
}

/// One conversation summary.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationView {
    /// Account id.
    pub account_id: i64,
    /// Partner bare JID.
    pub peer: String,
    /// Newest body.
    pub last_body: Option<String>,
    /// Unix ms of the newest message.
    pub last_at: i64,
    /// Unread count.
    pub unread: i64,
}

impl From<ConversationRow> for ConversationView {
    fn from(r: ConversationRow) -> Self {
        Self {
            account_id: r.account_id,
            peer: r.peer,
            last_body: r.last_body,
            last_at: r.last_at,
            unread: r.unread,
        }
    }
}

/// An inbound subscription request (RFC 6121 §3.1.3).
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionRequestView {
    /// Account id.
    pub account_id: i64,
    /// Who asks, bare JID.
    pub jid: String,
    /// Text sent with the request.
    pub status: Option<String>,
    /// Unix ms.
    pub received_at: i64,
}

impl From<SubscriptionRequestRow> for SubscriptionRequestView {
    fn from(r: SubscriptionRequestRow) -> Self {
        Self {
            account_id: r.account_id,
            jid: r.jid,
            status: r.status,
            received_at: r.received_at,
        }
    }
}
