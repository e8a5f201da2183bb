//! What the engine asks of an account actor, and how a fatal connection error is told to the
//! user.

use tokio::sync::oneshot;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::Stanza;

use super::connector::ConnectError;
use crate::error::{EngineError, ErrorCode};
use crate::event::ConnectionState;
use crate::features::presence::Show;

/// Requests from the engine to an account actor.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send the stored pending message with this row id (when online).
    SendMessage(i64),
    /// Send a stanza as is.
    Send(Box<Stanza>),
    /// Send a roster set and report the server's answer.
    RosterSet(
        tokio_xmpp::parsers::roster::Roster,
        oneshot::Sender<Result<(), EngineError>>,
    ),
    /// Fetch older history of one conversation from our archive (XEP-0313).
    FetchHistory(
        Jid,
        oneshot::Sender<Result<crate::features::mam::HistoryPage, EngineError>>,
    ),
    /// Enter a room (XEP-0045 §7.2) with this nickname (and password, §7.2.6).
    JoinRoom {
        room: BareJid,
        nick: String,
        password: Option<crate::features::muc::RoomPassword>,
        /// Should we create the room, keep it locked until configured (§10.1.3).
        configure_first: bool,
    },
    /// Leave a room (§7.14).
    LeaveRoom(BareJid),
    /// Invite someone to a room (§7.8.2).
    Invite {
        room: BareJid,
        to: BareJid,
        reason: Option<String>,
        /// XEP-0249 direct invitation instead of a mediated one.
        direct: bool,
        done: oneshot::Sender<Result<(), EngineError>>,
    },
    /// Send an IQ (get or set, with a fresh id) and report the answer's payload or error.
    Request(
        Box<tokio_xmpp::parsers::iq::Iq>,
        oneshot::Sender<Result<Option<tokio_xmpp::minidom::Element>, EngineError>>,
    ),
    /// Change our own presence.
    SetPresence { show: Show, status: Option<String> },
    /// Close the stream and stop.
    Stop(oneshot::Sender<()>),
}

/// The state for a connection error that retrying cannot fix, in words the user can act on.
pub(super) fn error_state(error: ConnectError) -> ConnectionState {
    let (code, message, cert) = match error {
        ConnectError::Auth(_) => (ErrorCode::AuthFailed, "The server rejected the password for this account. Check the password and try again.".to_owned(), None),
        ConnectError::Certificate(info) => (ErrorCode::CertificateUntrusted, format!("The server presented a certificate that is not trusted ({}). Check its fingerprint with your server's administrator before trusting it.", info.reason), Some(info)),
        ConnectError::Stream(condition) if condition == "conflict" => (ErrorCode::Conflict, "Another client signed in with the same resource and took over this session. Reconnect when it has gone, or use another resource.".to_owned(), None),
        ConnectError::Stream(condition) => (ErrorCode::StreamError, format!("The server ended the session ({condition})."), None),
        ConnectError::Policy(reason) => (ErrorCode::Network, reason, None),
        ConnectError::Tampered(reason) => (ErrorCode::LoginTampered, reason, None),
        ConnectError::PlainNotAllowed => (ErrorCode::PlainNotAllowed, "This server accepts the password only in plain form (PLAIN), which it then sees as typed. It travels inside the verified, encrypted connection. Allow it in the account's connection settings if you trust this server.".to_owned(), None),
        ConnectError::TokenRefused(_) => (ErrorCode::PasswordMissing, "The server no longer accepts this device's sign-in, and no password is stored for this account. Enter the password again.".to_owned(), None),
        ConnectError::NoCredentials => (ErrorCode::PasswordMissing, "No password is stored for this account, and this device has no sign-in the server accepts on this connection. Enter the password again.".to_owned(), None),
        ConnectError::Network(reason) => (ErrorCode::Network, format!("Can't reach the server: {reason}"), None),
    };
    ConnectionState::Error {
        code,
        message,
        cert,
    }
}
