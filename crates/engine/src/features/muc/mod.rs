//! Group chat (XEP-0045): the live room state ([`MucBook`]) and the types the UI sees here;
//! joining and leaving in [`rooms`], room presence (occupants with roles and affiliations,
//! nickname changes, kicks and bans, errors) in [`presence`], group messages and the subject
//! in [`messages`], invitations in [`invite`]. Our own messages come back from the room
//! (reflection, §7.4) with our origin-id (XEP-0359) and then count as `delivered` instead of
//! being stored twice. Joined rooms are kept in the store and rejoined on every connect.

pub(crate) mod invite;
pub(crate) mod messages;
pub(crate) mod presence;
pub(crate) mod rooms;

pub(crate) use rooms::Rooms;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use tokio_xmpp::parsers::jid::{BareJid, Jid};

use super::presence::Show;

/// How long a join without an answer keeps a second join request from being sent.
const JOIN_PATIENCE: Duration = Duration::from_secs(30);

/// When a room's messages notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RoomNotify {
    /// Every new message from someone else.
    All,
    /// Only messages that mention our nickname (the default).
    Mentions,
    /// Never.
    None,
}

impl RoomNotify {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mentions => "mentions",
            Self::None => "none",
        }
    }

    /// From the stored word; anything unknown is the default.
    pub fn parse(s: &str) -> Self {
        match s {
            "all" => Self::All,
            "none" => Self::None,
            _ => Self::Mentions,
        }
    }
}

/// A room's password (XEP-0045 §7.2.6). Its `Debug` output hides it, so it never reaches a
/// log.
#[derive(Clone, PartialEq, Eq)]
pub struct RoomPassword(pub String);

impl std::fmt::Debug for RoomPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoomPassword(…)")
    }
}

/// An occupant's role in a room (XEP-0045 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May kick participants and grant voice.
    Moderator,
    /// May speak.
    Participant,
    /// May only read (a moderated room).
    Visitor,
    /// No role (not in the room).
    None,
}

impl From<&tokio_xmpp::parsers::muc::user::Role> for Role {
    fn from(role: &tokio_xmpp::parsers::muc::user::Role) -> Self {
        use tokio_xmpp::parsers::muc::user::Role as R;
        match role {
            R::Moderator => Self::Moderator,
            R::Participant => Self::Participant,
            R::Visitor => Self::Visitor,
            R::None => Self::None,
        }
    }
}

/// An occupant's affiliation with a room (XEP-0045 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Affiliation {
    /// Owns the room: may configure and destroy it.
    Owner,
    /// Administers the room.
    Admin,
    /// A member.
    Member,
    /// Banned.
    Outcast,
    /// No affiliation.
    None,
}

impl From<&tokio_xmpp::parsers::muc::user::Affiliation> for Affiliation {
    fn from(affiliation: &tokio_xmpp::parsers::muc::user::Affiliation) -> Self {
        use tokio_xmpp::parsers::muc::user::Affiliation as A;
        match affiliation {
            A::Owner => Self::Owner,
            A::Admin => Self::Admin,
            A::Member => Self::Member,
            A::Outcast => Self::Outcast,
            A::None => Self::None,
        }
    }
}

/// Why we are not in a room, as a stable code (the words are in [`RoomState::error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RoomErrorCode {
    /// Our nickname is taken (§7.2.9, `conflict`).
    NicknameTaken,
    /// The room needs a password (§7.2.6, `not-authorized`).
    PasswordRequired,
    /// Members only (§7.2.7, `registration-required`).
    MembersOnly,
    /// We are banned (§7.2.8, `forbidden`).
    Banned,
    /// Another refusal of our join.
    JoinRefused,
    /// We were kicked (§8.2).
    Kicked,
    /// We were banned while in the room (§9.1).
    BannedNow,
    /// The room was destroyed (§10.9).
    Destroyed,
    /// We left.
    Left,
}

/// One occupant of a room (XEP-0045 §7.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Occupant {
    /// Nickname (the resource of the occupant JID).
    pub nick: String,
    /// Role in the room (§5.1).
    pub role: Role,
    /// Affiliation with the room (§5.2).
    pub affiliation: Affiliation,
    /// Real JID when the room shows it (non-anonymous rooms, or to moderators).
    pub jid: Option<String>,
    /// Availability.
    pub show: Show,
}

/// What we know live about one room.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RoomState {
    /// Our self-presence arrived (§7.2.3, status 110).
    pub joined: bool,
    /// Our nickname.
    pub nick: String,
    /// Room subject (§8.1).
    pub subject: Option<String>,
    /// Occupants by nickname.
    pub occupants: Vec<Occupant>,
    /// Why we are not in the room (nickname taken, kicked, banned, room destroyed…), in words.
    pub error: Option<String>,
    /// The same as a stable code the UI branches on.
    pub error_code: Option<RoomErrorCode>,
    /// We created the room and asked to configure it first (§10.1.3): it stays locked, nobody
    /// else can enter, until its configuration form is submitted.
    pub awaiting_configuration: bool,
}

/// Live room state of every account (occupants are not stored: they come with presence).
#[derive(Debug, Default)]
pub struct MucBook(Mutex<HashMap<(i64, String), Live>>);

#[derive(Debug, Default, Clone)]
pub(crate) struct Live {
    joined: bool,
    nick: String,
    subject: Option<String>,
    occupants: BTreeMap<String, Occupant>,
    error: Option<(RoomErrorCode, String)>,
    /// When the room last sent us anything (or we asked to join), for XEP-0410 self-ping.
    last_heard: Option<Instant>,
    /// When our self-ping in flight was sent (XEP-0410).
    pinging_since: Option<Instant>,
    /// A reserved room of ours waiting for its configuration (§10.1.3).
    awaiting_configuration: bool,
}

impl MucBook {
    /// The live state of a room; default (not joined) when unknown.
    pub fn state(&self, account_id: i64, room: &str) -> RoomState {
        let Ok(map) = self.0.lock() else {
            return RoomState::default();
        };
        map.get(&(account_id, room.to_owned()))
            .map(|l| RoomState {
                joined: l.joined,
                nick: l.nick.clone(),
                subject: l.subject.clone(),
                occupants: l.occupants.values().cloned().collect(),
                error: l.error.as_ref().map(|(_, m)| m.clone()),
                error_code: l.error.as_ref().map(|(c, _)| *c),
                awaiting_configuration: l.awaiting_configuration,
            })
            .unwrap_or_default()
    }

    /// The room's configuration was accepted (§10.1.3): it is unlocked. Returns whether it was
    /// waiting for one.
    pub(crate) fn configured(&self, account_id: i64, room: &str) -> bool {
        self.with(account_id, room, |l| {
            std::mem::take(&mut l.awaiting_configuration)
        })
        .unwrap_or(false)
    }

    /// Our nickname in a room we are in or joining; empty when we are not (cheaper than
    /// [`Self::state`], which copies every occupant).
    pub(crate) fn nick(&self, account_id: i64, room: &str) -> String {
        self.with(account_id, room, |l| l.nick.clone())
            .unwrap_or_default()
    }

    /// The real bare JID of occupant `nick`, when the room shows it (non-anonymous rooms,
    /// XEP-0045 §7.2.3).
    pub(crate) fn real_jid(&self, account_id: i64, room: &str, nick: &str) -> Option<BareJid> {
        self.with(account_id, room, |l| {
            l.occupants
                .get(nick)
                .and_then(|o| o.jid.as_deref())
                .and_then(|j| Jid::new(j).ok())
                .map(|j| j.to_bare())
        })
        .flatten()
    }

    /// The real bare JIDs of the other occupants (each once, ours left out), or the nicks of
    /// those whose real JID the room hides.
    pub(crate) fn real_jids(
        &self,
        account_id: i64,
        room: &str,
        own: &BareJid,
    ) -> Result<Vec<BareJid>, Vec<String>> {
        let occupants = self
            .with(account_id, room, |l| {
                l.occupants
                    .iter()
                    .filter(|(nick, _)| **nick != l.nick)
                    .map(|(nick, o)| (nick.clone(), o.jid.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let mut jids = Vec::new();
        let mut hidden = Vec::new();
        for (nick, jid) in occupants {
            match jid.as_deref().and_then(|j| Jid::new(j).ok()) {
                Some(jid) => {
                    let bare = jid.to_bare();
                    if bare != *own && !jids.contains(&bare) {
                        jids.push(bare);
                    }
                }
                None => hidden.push(nick),
            }
        }
        if hidden.is_empty() {
            Ok(jids)
        } else {
            Err(hidden)
        }
    }

    /// Whether our self-presence from the room arrived.
    pub(crate) fn joined(&self, account_id: i64, room: &str) -> bool {
        self.with(account_id, room, |l| l.joined).unwrap_or(false)
    }

    /// Forgets every room of an account (disconnected).
    pub(crate) fn clear_account(&self, account_id: i64) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|(a, _), _| *a != account_id);
        }
    }

    pub(crate) fn with<T>(
        &self,
        account_id: i64,
        room: &str,
        f: impl FnOnce(&mut Live) -> T,
    ) -> Option<T> {
        let mut map = self.0.lock().ok()?;
        map.get_mut(&(account_id, room.to_owned())).map(f)
    }

    pub(crate) fn start(&self, account_id: i64, room: &str, nick: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(
                (account_id, room.to_owned()),
                Live {
                    nick: nick.to_owned(),
                    last_heard: Some(Instant::now()),
                    ..Live::default()
                },
            );
        }
    }

    /// Whether we are in the room as `nick`, or asked to join it as `nick` in the last
    /// [`JOIN_PATIENCE`] without an answer yet.
    pub(crate) fn in_or_joining(&self, account_id: i64, room: &str, nick: &str) -> bool {
        self.with(account_id, room, |l| {
            l.nick == nick
                && l.error.is_none()
                && (l.joined || l.last_heard.is_some_and(|t| t.elapsed() < JOIN_PATIENCE))
        })
        .unwrap_or(false)
    }

    /// The room sent us something: we are evidently still in it.
    pub(crate) fn heard(&self, account_id: i64, room: &str) {
        self.with(account_id, room, |l| {
            l.last_heard = Some(Instant::now());
            l.pinging_since = None;
        });
    }

    /// Rooms of an account we believe we are in that have been silent for `idle`, as
    /// `(room, our nickname)`, marked as being pinged (XEP-0410 §3.2). A ping unanswered for
    /// `idle` counts as lost and is sent again.
    pub(crate) fn due_for_self_ping(
        &self,
        account_id: i64,
        idle: Duration,
    ) -> Vec<(String, String)> {
        let Ok(mut map) = self.0.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        let stale = |t: Option<Instant>| t.is_none_or(|t| now.duration_since(t) >= idle);
        map.iter_mut()
            .filter(|((a, _), l)| {
                *a == account_id && l.joined && stale(l.last_heard) && stale(l.pinging_since)
            })
            .map(|((_, room), l)| {
                l.pinging_since = Some(now);
                (room.clone(), l.nick.clone())
            })
            .collect()
    }

    pub(crate) fn remove(&self, account_id: i64, room: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&(account_id, room.to_owned()));
        }
    }
}
