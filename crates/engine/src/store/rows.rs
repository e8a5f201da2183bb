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
    /// Our trust now in the OMEMO device the message came from (`None`: not from a recorded
    /// device, e.g. plaintext or our own message from this device).
    pub sender_trust: Option<super::Trust>,
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
    /// The room's occupant-id for the author (XEP-0421).
    pub occupant_id: Option<String>,
    /// Corrected by its sender (XEP-0308); older texts via `Store::message_edits`.
    pub edited: bool,
    /// Retracted by its sender (XEP-0424) or a moderator (XEP-0425); `body` is then empty.
    pub retracted: bool,
    /// The moderator's nick, for a moderated message.
    pub moderated_by: Option<String>,
    /// The moderator's reason.
    pub retract_reason: Option<String>,
    /// The message this one answers (XEP-0461).
    pub reply: Option<ReplyRef>,
    /// Reactions (XEP-0444), filled by the queries that build views (empty elsewhere).
    pub reactions: Vec<ReactionRow>,
    /// The file this message shares (XEP-0363 / XEP-0066), if any.
    pub file: Option<SharedFile>,
}

/// A file shared by a message: ours on its way up (HTTP File Upload, XEP-0363), or one a
/// contact linked (XEP-0066 out-of-band data whose URL is the body).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SharedFile {
    /// The name shown: ours as picked, a received one's from the URL's last path segment.
    pub name: String,
    /// Bytes of the plain file, when known (always for ours).
    pub size: Option<i64>,
    /// Media type (`image/png`), when known.
    pub media_type: Option<String>,
    /// The `https://` link (an `aesgcm://` one, XEP-0454, when encrypted); `None` while ours
    /// is still uploading.
    pub url: Option<String>,
    /// The local file: ours to upload, or where a received one was saved.
    pub path: Option<String>,
    /// SHA-256 of the file as uploaded, base64 (XEP-0300): the sender's word (XEP-0447), or
    /// ours; downloads are checked against it.
    pub sha256: Option<String>,
    /// Set when the file goes peer to peer with Jingle (XEP-0234) instead of by upload.
    pub transfer: Option<Transfer>,
    /// Ours, and the user chose to send a photo with its metadata (location, camera, time);
    /// by default it is removed before the upload.
    pub keep_metadata: bool,
}

/// What an image a message shares looks like (XEP-0446 `<width/>`, `<height/>`, and a
/// XEP-0264 thumbnail): ours as we made it, theirs as the sender said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// The image's size in pixels, when known.
    pub width: Option<u32>,
    /// See `width`.
    pub height: Option<u32>,
    /// A small picture of it.
    pub thumbnail: Option<Thumbnail>,
}

/// A thumbnail (XEP-0264) carried in the message itself (XEP-0231 Bits of Binary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// `image/jpeg` for ours; the sender's type for theirs.
    pub media_type: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The encoded picture.
    pub data: Vec<u8>,
}

/// A Jingle file transfer's session (XEP-0166) as its message keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Where it stands.
    pub state: TransferState,
    /// The Jingle session id.
    pub sid: String,
    /// Why it ended, in words, when it did not succeed.
    pub reason: Option<String>,
}

/// Where a Jingle file transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Offered, not yet accepted or declined.
    Offered,
    /// Accepted; bytes are moving.
    Active,
    /// The whole file arrived (and matched its hash when one was given).
    Done,
    /// The recipient declined it.
    Declined,
    /// Either side stopped it.
    Cancelled,
    /// It broke off; see the reason.
    Failed,
}

impl TransferState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::Active => "active",
            Self::Done => "done",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    /// From the stored word; an unknown one reads as failed.
    pub fn parse(word: &str) -> Self {
        match word {
            "offered" => Self::Offered,
            "active" => Self::Active,
            "done" => Self::Done,
            "declined" => Self::Declined,
            "cancelled" => Self::Cancelled,
            _ => Self::Failed,
        }
    }

    /// Whether the session is over.
    pub fn ended(self) -> bool {
        !matches!(self, Self::Offered | Self::Active)
    }
}

/// What a reply (XEP-0461) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRef {
    /// The answered message's id as the reply gives it.
    pub id: String,
    /// Its author, as the reply names them.
    pub jid: Option<String>,
    /// The answered message's row, when it was stored first.
    pub row: Option<i64>,
    /// The quoted text (the original's body when stored, else the reply's fallback).
    pub quote: Option<String>,
}

/// One sender's reactions on one message (XEP-0444).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionRow {
    /// Bare JID (one-to-one) or nick (rooms).
    pub sender: String,
    /// Sent by us.
    pub ours: bool,
    /// The emojis, in the sender's order.
    pub emojis: Vec<String>,
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
            sender_trust: row
                .try_get::<Option<String>, _>("sender_trust")?
                .map(|t| super::Trust::parse(&t)),
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
            occupant_id: row.try_get("occupant_id")?,
            edited: row.try_get("edited")?,
            retracted: row.try_get("retracted")?,
            moderated_by: row.try_get("moderated_by")?,
            retract_reason: row.try_get("retract_reason")?,
            reply: row
                .try_get::<Option<String>, _>("reply_to_id")?
                .map(|id| -> Result<ReplyRef, sqlx::Error> {
                    Ok(ReplyRef {
                        id,
                        jid: row.try_get("reply_to_jid")?,
                        row: row.try_get("reply_to_row")?,
                        quote: row.try_get("reply_quote")?,
                    })
                })
                .transpose()?,
            reactions: Vec::new(),
            file: row
                .try_get::<Option<String>, _>("file_name")?
                .map(|name| -> Result<SharedFile, sqlx::Error> {
                    Ok(SharedFile {
                        name,
                        size: row.try_get("file_size")?,
                        media_type: row.try_get("file_type")?,
                        url: row.try_get("file_url")?,
                        path: row.try_get("file_path")?,
                        sha256: row.try_get("file_sha256")?,
                        transfer: row
                            .try_get::<Option<String>, _>("file_transfer")?
                            .map(|state| -> Result<Transfer, sqlx::Error> {
                                Ok(Transfer {
                                    state: TransferState::parse(&state),
                                    sid: row
                                        .try_get::<Option<String>, _>("file_transfer_sid")?
                                        .unwrap_or_default(),
                                    reason: row.try_get("file_transfer_reason")?,
                                })
                            })
                            .transpose()?,
                        keep_metadata: row.try_get::<i64, _>("file_keep_metadata")? != 0,
                    })
                })
                .transpose()?,
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
    /// How the payload was encrypted: `none`, `omemo`, `omemo2`, `undecryptable`.
    pub encryption: &'a str,
    /// The OMEMO device a decrypted message came from: (owner's bare JID, device id).
    pub omemo_device: Option<(&'a str, u32)>,
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
    /// The room's occupant-id for the author (XEP-0421), when the room stamped one.
    pub occupant_id: Option<&'a str>,
    /// The message this one answers (XEP-0461): `(id, author as named, quoted fallback)`.
    pub reply: Option<(&'a str, Option<&'a str>, Option<&'a str>)>,
    /// Not a new message but a change to an earlier one by the same author.
    pub amend: Option<Amend<'a>>,
    /// The file it shares.
    pub file: Option<&'a SharedFile>,
    /// For a shared image: its size and thumbnail (kept in `file_images`).
    pub image: Option<&'a ImageInfo>,
}

/// A change one message makes to an earlier one, by the earlier one's id in the conversation
/// (its stanza-id, origin-id or stanza `id`). It applies only when the author matches: the
/// same direction in one-to-one chat (only the contact amends theirs, only we amend ours),
/// the same nick (and occupant-id, XEP-0421, when both carry one) in a room; a moderator's
/// retraction, which only the room itself can send, applies to anyone's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amend<'a> {
    /// XEP-0308: the new text is the message's `body`.
    Correct {
        /// The corrected message's id.
        id: &'a str,
    },
    /// XEP-0424 (sender) or XEP-0425 (moderator).
    Retract {
        /// The retracted message's id.
        id: &'a str,
        /// A moderator's retraction: no author check.
        moderated: bool,
        /// The moderator's nick.
        by: Option<&'a str>,
        /// The moderator's reason.
        reason: Option<&'a str>,
    },
    /// XEP-0444: the sender's whole set of reactions on the message.
    React {
        /// The message reacted to.
        id: &'a str,
        /// Every emoji, in order (empty: none any more).
        emojis: &'a [String],
    },
}

pub(super) const COLUMNS: &str =
    "id, account_id, peer, outgoing, body, encryption, stanza_id, origin_id, message_id, at, state, error, read, markable, groupchat, sender, \
     occupant_id, edited, retracted, moderated_by, retract_reason, reply_to_id, reply_to_jid, reply_to_row, reply_quote, \
     file_name, file_size, file_type, file_url, file_path, file_sha256, \
     file_transfer, file_transfer_sid, file_transfer_reason, file_keep_metadata, \
     (SELECT trust FROM omemo_identities i WHERE i.account_id = messages.account_id \
        AND i.jid = messages.omemo_jid AND i.device_id = messages.omemo_device) AS sender_trust";

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
    /// The partner's avatar, by SHA-1 (hex; schema 18), when one is known.
    pub avatar: Option<String>,
}
