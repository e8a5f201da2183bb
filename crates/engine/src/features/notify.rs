//! Whether a newly stored message may raise a desktop notification: the one place that
//! decides it (the shell only holds a notification back for the chat on screen in a focused
//! window). Never for our own messages, history (XEP-0313, a room's join history) or carbons
//! (XEP-0280, which take another path), nor for a muted conversation; a room's messages by its
//! setting (all, mentions of our nickname by default, none).
//!
//! The per-conversation settings are read from the store once and then kept in memory
//! ([`NotifySettings`]), so a burst of messages costs no settings query per message.

use std::collections::HashMap;
use std::sync::Mutex;

use super::ingest::ChatMessage;
use super::muc::RoomNotify;
use crate::store::Store;

/// A conversation's notification settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The user muted the conversation.
    pub muted: bool,
    /// When a room's messages notify (ignored outside rooms).
    pub room: RoomNotify,
}

/// Cached [`Settings`] by `(account id, conversation)`, shared by the engine and its actors.
#[derive(Debug, Default)]
pub struct NotifySettings(Mutex<HashMap<(i64, String), Settings>>);

impl NotifySettings {
    /// The settings of one conversation, read from the store on first use. A store error reads
    /// as the defaults (not muted, mentions), logged.
    pub(crate) async fn get(&self, store: &Store, account_id: i64, peer: &str) -> Settings {
        let key = (account_id, peer.to_owned());
        if let Some(s) = self.0.lock().ok().and_then(|m| m.get(&key).copied()) {
            return s;
        }
        let muted = store.is_muted(account_id, peer).await;
        let room = store.room_notify(account_id, peer).await;
        if let Err(e) = muted.as_ref().map(|_| ()).and(room.as_ref().map(|_| ())) {
            tracing::warn!(
                account = account_id,
                "notification settings unreadable: {e}"
            );
        }
        let settings = Settings {
            muted: muted.unwrap_or(false),
            room: room
                .map(|r| RoomNotify::parse(&r))
                .unwrap_or(RoomNotify::Mentions),
        };
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, settings);
        }
        settings
    }

    /// Forgets the cached settings of one conversation (after the user changed them).
    pub(crate) fn forget(&self, account_id: i64, peer: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&(account_id, peer.to_owned()));
        }
    }
}

/// The decision for one message just stored. `fresh`: it arrived live, not as history (a
/// group message with a delay is the room's join history, XEP-0045 §7.2.15). `own_nick`: our
/// nickname in the room, for mentions.
pub(crate) fn decide(
    message: &ChatMessage,
    fresh: bool,
    settings: Settings,
    own_nick: &str,
) -> bool {
    if message.outgoing || !fresh || settings.muted || message.amend.is_some() {
        return false;
    }
    if !message.groupchat {
        return true;
    }
    match settings.room {
        RoomNotify::All => true,
        RoomNotify::None => false,
        RoomNotify::Mentions => mentions(&message.body, own_nick),
    }
}

/// Whether `body` mentions `nick` (case-insensitive), as the conversation list counts them.
pub(crate) fn mentions(body: &str, nick: &str) -> bool {
    !nick.is_empty() && body.to_lowercase().contains(&nick.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(groupchat: bool, outgoing: bool, body: &str) -> ChatMessage {
        ChatMessage {
            peer: "room@muc.example.org".into(),
            outgoing,
            body: body.into(),
            stanza_id: None,
            origin_id: None,
            message_id: None,
            at: 0,
            markable: false,
            groupchat,
            sender: Some("bob".into()),
            occupant_id: None,
            reply: None,
            amend: None,
            encryption: "none",
            omemo_device: None,
            file: None,
            image: None,
        }
    }

    const DEFAULT: Settings = Settings {
        muted: false,
        room: RoomNotify::Mentions,
    };

    #[test]
    fn one_to_one_messages_notify_unless_muted_or_ours() {
        assert!(decide(&message(false, false, "hi"), true, DEFAULT, ""));
        assert!(!decide(&message(false, true, "hi"), true, DEFAULT, ""));
        let muted = Settings {
            muted: true,
            ..DEFAULT
        };
        assert!(!decide(&message(false, false, "hi"), true, muted, ""));
    }

    #[test]
    fn rooms_notify_by_their_setting_and_never_for_history() {
        let plain = message(true, false, "hello all");
        let mention = message(true, false, "Hello ALICE, look");
        assert!(!decide(&plain, true, DEFAULT, "alice"));
        assert!(decide(&mention, true, DEFAULT, "alice"));
        assert!(!decide(&mention, false, DEFAULT, "alice"), "join history");
        let all = Settings {
            room: RoomNotify::All,
            ..DEFAULT
        };
        assert!(decide(&plain, true, all, "alice"));
        let none = Settings {
            room: RoomNotify::None,
            ..DEFAULT
        };
        assert!(!decide(&mention, true, none, "alice"));
    }
}
