//! View types and event payloads that cross IPC. Their TypeScript twins in
//! `ui/src/lib/ipc/generated.ts` are generated from these (see `bindings.rs`).

use linnet_engine::{
    ChatStateName, ConnectionState, ConversationRow, MessageRow, ReactionRow, SearchHit,
    SubscriptionRequestRow,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The add-account form.
#[derive(Debug, Deserialize, TS)]
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
    /// Keep the password in memory for this run only (when no OS keyring is usable).
    #[serde(default)]
    pub session_only: bool,
}

pub use linnet_engine::MessageState;

/// What `fetch_history` found in the server's archive (XEP-0313).
#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct HistoryPageView {
    /// Older messages newly stored (they also arrive as a `linnet://messages` event).
    pub stored: u32,
    /// The archive holds nothing older: stop asking.
    pub complete: bool,
}

impl From<linnet_engine::HistoryPage> for HistoryPageView {
    fn from(p: linnet_engine::HistoryPage) -> Self {
        Self {
            stored: u32::try_from(p.stored).unwrap_or(u32::MAX),
            complete: p.complete,
        }
    }
}

/// One message.
#[derive(Debug, Clone, Serialize, TS)]
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
    pub state: MessageState,
    /// Failure reason.
    pub error: Option<String>,
    /// A group message (XEP-0045): `peer` is the room.
    pub groupchat: bool,
    /// For group messages from others: the occupant's nickname.
    pub sender: Option<String>,
    /// Corrected at least once (XEP-0308); `body` is the newest text.
    pub edited: bool,
    /// Deleted by its sender (XEP-0424) or a moderator (XEP-0425); `body` is then empty.
    pub retracted: bool,
    /// For a moderated message: the moderator's nick, when the room said.
    pub moderated_by: Option<String>,
    /// The moderator's reason, if given.
    pub retract_reason: Option<String>,
    /// The message this one answers (XEP-0461).
    pub reply_to: Option<ReplyView>,
    /// Reactions (XEP-0444), grouped by emoji in first-reacted order.
    pub reactions: Vec<ReactionView>,
    /// End-to-end encryption of this message (XEP-0384).
    pub encryption: MessageEncryption,
    /// Our trust now in the OMEMO device the message came from (`None` when it did not come
    /// from a recorded device); the window marks messages from distrusted and undecided ones.
    pub sender_trust: Option<linnet_engine::Trust>,
    /// The file it shares (XEP-0363 / XEP-0066 / XEP-0454), if any.
    pub file: Option<FileView>,
}

/// A file a message shares. Its link is the message's `body`; the window downloads it only
/// when asked (`save_file`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct FileView {
    /// Name to show.
    pub name: String,
    /// Bytes, when known.
    pub size: Option<i64>,
    /// Media type (`image/png`), when known: the sender's, or for audio and video one guessed
    /// from the name.
    pub media_type: Option<String>,
    /// Encrypted end to end (an `aesgcm://` link, XEP-0454).
    pub encrypted: bool,
    /// Ours and still uploading (no link yet).
    pub uploading: bool,
    /// Where a received file was saved (for "Show in folder"); `None` for ours and for files
    /// not downloaded yet.
    pub saved_path: Option<String>,
    /// Ours, sent from this computer (the file is here: nothing to download).
    pub sent_from_here: bool,
    /// Set when the file goes peer to peer (Jingle, XEP-0234) rather than by upload.
    pub transfer: Option<TransferView>,
}

/// A peer-to-peer file transfer (Jingle, XEP-0234): where it stands, and why it ended when
/// it did not succeed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransferView {
    /// Offered, active, done, declined, cancelled or failed.
    pub state: linnet_engine::TransferState,
    /// In words, for one that did not succeed.
    pub reason: Option<String>,
}

impl FileView {
    fn new(file: linnet_engine::SharedFile, outgoing: bool) -> Self {
        // Audio and video get a media type even when the sender gave none (guessed from the
        // name), so the player knows what it plays.
        let media_type = file
            .media_type
            .clone()
            .or_else(|| linnet_engine::playable(&file).map(|(_, t)| t));
        Self {
            encrypted: file
                .url
                .as_deref()
                .is_some_and(|u| u.starts_with("aesgcm://")),
            uploading: file.url.is_none() && file.transfer.is_none(),
            transfer: file.transfer.map(|t| TransferView {
                state: t.state,
                reason: t.reason,
            }),
            sent_from_here: outgoing && file.path.is_some(),
            saved_path: file.path.filter(|_| !outgoing),
            name: file.name,
            size: file.size,
            media_type,
        }
    }
}

/// Payload of `linnet://file-progress`: how far a transfer has come.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FileProgressEvent {
    /// Account id.
    pub account_id: i64,
    /// The conversation.
    pub peer: String,
    /// The message sharing the file.
    pub message_id: i64,
    /// Our upload (else a download).
    pub upload: bool,
    /// Bytes moved so far.
    pub done: u64,
    /// Bytes in all, when known.
    pub total: Option<u64>,
}

/// How a message was (or is to be) encrypted end to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageEncryption {
    /// Not encrypted.
    None,
    /// OMEMO, legacy generation (`eu.siacs.conversations.axolotl`); for our own messages:
    /// sent with OMEMO in whichever generation each device speaks.
    Omemo,
    /// OMEMO 2 (`urn:xmpp:omemo:2`).
    Omemo2,
    /// Arrived encrypted and could not be decrypted here; the body says why.
    Undecryptable,
}

impl MessageEncryption {
    fn from_store(value: &str) -> Self {
        match value {
            "omemo" => Self::Omemo,
            "omemo2" => Self::Omemo2,
            "undecryptable" => Self::Undecryptable,
            _ => Self::None,
        }
    }
}

/// What a reply answers (XEP-0461).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ReplyView {
    /// Row id of the original, when it is stored.
    pub id: Option<i64>,
    /// The original's author as the reply names them (nick in rooms, else a bare JID).
    pub sender: Option<String>,
    /// The original's text (from the store when known, else the reply's quoted fallback).
    pub quote: Option<String>,
}

/// One emoji's reactions on a message (XEP-0444).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ReactionView {
    /// The emoji.
    pub emoji: String,
    /// How many reacted with it.
    pub count: u32,
    /// Who: nicks in rooms, bare JIDs one-to-one; ours as "You".
    pub senders: Vec<String>,
    /// We reacted with it.
    pub ours: bool,
}

/// An older text of a corrected message (XEP-0308).
#[derive(Debug, Clone, Serialize, TS)]
pub struct MessageEditView {
    /// The text as it was.
    pub body: String,
    /// When it was replaced, unix ms.
    pub at: i64,
}

/// A search hit: the message and the text around the match.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "SearchHit")]
pub struct SearchHitView {
    /// The message.
    pub message: MessageView,
    /// Plain text around the match; each matched term between U+0002 and U+0003, cut text
    /// marked with "…". Text, never HTML.
    pub snippet: String,
}

impl From<SearchHit> for SearchHitView {
    fn from(hit: SearchHit) -> Self {
        Self {
            message: hit.message.into(),
            snippet: hit.snippet,
        }
    }
}

/// Payload of `linnet://chat-state`: what a contact or occupant is doing (XEP-0085).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ChatStateEvent {
    /// Account id.
    pub account_id: i64,
    /// The contact's bare JID, or the room's.
    pub peer: String,
    /// The occupant's nick in a room; `None` one-to-one.
    pub sender: Option<String>,
    /// The state.
    pub state: ChatStateName,
}

/// Reactions grouped by emoji, in the order first seen.
fn group_reactions(rows: Vec<ReactionRow>) -> Vec<ReactionView> {
    let mut out: Vec<ReactionView> = Vec::new();
    for r in rows {
        let who = if r.ours { "You".to_owned() } else { r.sender };
        for emoji in r.emojis {
            match out.iter_mut().find(|v| v.emoji == emoji) {
                Some(v) => {
                    v.count += 1;
                    v.ours |= r.ours;
                    v.senders.push(who.clone());
                }
                None => out.push(ReactionView {
                    emoji,
                    count: 1,
                    senders: vec![who.clone()],
                    ours: r.ours,
                }),
            }
        }
    }
    out
}

/// The author named in a reply: the nick of `room/nick`, else the bare JID.
fn reply_sender(jid: Option<String>, groupchat: bool) -> Option<String> {
    let jid = jid?;
    Some(match jid.split_once('/') {
        Some((_, nick)) if groupchat => nick.to_owned(),
        Some((bare, _)) => bare.to_owned(),
        None => jid,
    })
}

impl From<MessageRow> for MessageView {
    fn from(r: MessageRow) -> Self {
        let reply_to = r.reply.map(|reply| ReplyView {
            id: reply.row,
            sender: reply_sender(reply.jid, r.groupchat),
            quote: reply.quote,
        });
        Self {
            id: r.id,
            account_id: r.account_id,
            peer: r.peer,
            outgoing: r.outgoing,
            body: r.body,
            at: r.at,
            state: r.state,
            error: r.error,
            groupchat: r.groupchat,
            sender: r.sender,
            edited: r.edited,
            retracted: r.retracted,
            moderated_by: r.moderated_by,
            retract_reason: r.retract_reason,
            reply_to,
            reactions: group_reactions(r.reactions),
            encryption: MessageEncryption::from_store(&r.encryption),
            sender_trust: r.sender_trust,
            file: r.file.map(|f| FileView::new(f, r.outgoing)),
        }
    }
}

/// A room joined on an account (XEP-0045), with its live state.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RoomView {
    /// Account id.
    pub account_id: i64,
    /// Room bare JID.
    pub jid: String,
    /// Live state: joined, our nickname, subject, occupants, error.
    pub state: linnet_engine::RoomState,
    /// When its messages notify.
    pub notify: linnet_engine::RoomNotify,
    /// Joined on every connect; false after a kick, a ban, the room's destruction or a refused
    /// join, until the user joins again.
    pub autojoin: bool,
}

/// One conversation summary.
#[derive(Debug, Clone, Serialize, TS)]
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
    /// Unread group messages that mention our nickname (0 outside rooms).
    pub mentions: i64,
    /// No desktop notifications for this conversation.
    pub muted: bool,
    /// The partner's avatar by SHA-1 (hex), shown from `linnet-avatar://localhost/<hash>`.
    pub avatar: Option<String>,
}

impl From<ConversationRow> for ConversationView {
    fn from(r: ConversationRow) -> Self {
        Self {
            account_id: r.account_id,
            peer: r.peer,
            last_body: r.last_body,
            last_at: r.last_at,
            unread: r.unread,
            mentions: r.mentions,
            muted: r.muted,
            avatar: r.avatar,
        }
    }
}

/// An inbound subscription request (RFC 6121 §3.1.3).
#[derive(Debug, Clone, Serialize, TS)]
pub struct SubscriptionRequestView {
    /// Account id.
    pub account_id: i64,
    /// Who asks, bare JID.
    pub jid: String,
    /// Text sent with the request.
    pub status: Option<String>,
    /// The nickname the request carried (XEP-0172 §4.2): who they say they are.
    pub nick: Option<String>,
    /// Unix ms.
    pub received_at: i64,
}

impl From<SubscriptionRequestRow> for SubscriptionRequestView {
    fn from(r: SubscriptionRequestRow) -> Self {
        Self {
            account_id: r.account_id,
            jid: r.jid,
            status: r.status,
            nick: r.nick,
            received_at: r.received_at,
        }
    }
}

/// Payload of `linnet://account-state`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AccountStateEvent {
    /// Account id.
    pub account_id: i64,
    /// New state.
    pub state: ConnectionState,
}

/// Payload of `linnet://messages`: new or updated messages of one conversation, coalesced.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MessagesEvent {
    /// Account id.
    pub account_id: i64,
    /// Partner bare JID.
    pub peer: String,
    /// The messages, oldest first; an update carries an id the UI already has.
    pub messages: Vec<MessageView>,
}

/// Payload of `linnet://room`: reload one room's live state (`room_state`) and the room list.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RoomEvent {
    /// Account id.
    pub account_id: i64,
    /// Room bare JID.
    pub room: String,
}

/// Payload of `linnet://room-invite`: someone invited us to a room (XEP-0045 §7.8.2 or
/// XEP-0249). Accepting is `join_room`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RoomInviteEvent {
    /// Account id.
    pub account_id: i64,
    /// Room bare JID.
    pub room: String,
    /// Who invited us: a bare JID, or room/nick when the room hides real JIDs.
    pub from: Option<String>,
    /// Their reason, if any.
    pub reason: Option<String>,
}

/// Payload of `linnet://roster`: reload one account's contacts and subscription requests.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RosterEvent {
    /// Account id.
    pub account_id: i64,
}

/// Payload of `linnet://blocklist`: the account's blocklist changed (XEP-0191); read it again.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BlocklistEvent {
    /// Account id.
    pub account_id: i64,
}

/// Payload of `linnet://open-conversation`: the user clicked a notification for this chat.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenConversationEvent {
    /// Account id.
    pub account_id: i64,
    /// Partner bare JID.
    pub peer: String,
}

/// Payload of events that only say "reload" (`linnet://conversations`, `linnet://accounts`).
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct ReloadEvent {}
