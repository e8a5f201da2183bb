//! Group chat (XEP-0045): joining and leaving rooms, the occupant list from room presence
//! (roles, affiliations, nickname changes, kicks and bans), the room subject, and group
//! messages stored with the occupant's nickname. Our own messages come back from the room
//! (reflection, §7.4) with our origin-id (XEP-0359) and then count as `delivered` instead of
//! being stored twice. Joined rooms are kept in the store and rejoined on every connect.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_xmpp::parsers::delay::Delay;
use tokio_xmpp::parsers::jid::{BareJid, FullJid, Jid};
use tokio_xmpp::parsers::message::Message;
use tokio_xmpp::parsers::muc::muc::{History, Muc};
use tokio_xmpp::parsers::muc::user::{MucUser, Status};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::parsers::stanza_id::{OriginId, StanzaId};

use super::presence::Show;
use super::Session;
use crate::event::EngineEvent;
use crate::store::{now_ms, NewMessage};

/// Messages of room history asked for when joining (XEP-0045 §7.2.14).
const JOIN_HISTORY: u32 = 20;

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

/// One occupant of a room (XEP-0045 §7.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Occupant {
    /// Nickname (the resource of the occupant JID).
    pub nick: String,
    /// `moderator`, `participant`, `visitor` or `none`.
    pub role: String,
    /// `owner`, `admin`, `member`, `outcast` or `none`.
    pub affiliation: String,
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
    /// We created the room and asked to configure it first (§10.1.3): it stays locked, nobody
    /// else can enter, until its configuration form is submitted.
    pub awaiting_configuration: bool,
}

/// Live room state of every account (occupants are not stored: they come with presence).
#[derive(Debug, Default)]
pub struct MucBook(Mutex<HashMap<(i64, String), Live>>);

#[derive(Debug, Default, Clone)]
struct Live {
    joined: bool,
    nick: String,
    subject: Option<String>,
    occupants: BTreeMap<String, Occupant>,
    error: Option<String>,
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
                error: l.error.clone(),
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

    fn with<T>(&self, account_id: i64, room: &str, f: impl FnOnce(&mut Live) -> T) -> Option<T> {
        let mut map = self.0.lock().ok()?;
        map.get_mut(&(account_id, room.to_owned())).map(f)
    }

    fn start(&self, account_id: i64, room: &str, nick: &str) {
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
    fn in_or_joining(&self, account_id: i64, room: &str, nick: &str) -> bool {
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

    fn remove(&self, account_id: i64, room: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&(account_id, room.to_owned()));
        }
    }
}

fn lower_debug(v: &impl std::fmt::Debug) -> String {
    format!("{v:?}").to_lowercase()
}

impl Session {
    /// Adds a system line (nickname change, leave, kick, ban, room destroyed) to a room.
    async fn system_line(&self, room: &str, text: &str) {
        match self
            .store
            .insert_system_line(self.account_id, room, text, now_ms())
            .await
        {
            Ok(id) => self.emit(EngineEvent::MessagesChanged {
                account_id: self.account_id,
                peer: room.to_owned(),
                ids: vec![id],
                live: false,
            }),
            Err(e) => tracing::warn!(account = self.account_id, "storing a system line: {e}"),
        }
    }

    fn room_changed(&self, room: &str) {
        self.emit(EngineEvent::RoomChanged {
            account_id: self.account_id,
            room: room.to_owned(),
        });
    }

    /// Enters a room as `nick` (XEP-0045 §7.2), asking for the last [`JOIN_HISTORY`] messages
    /// (deduplicated by the room's stanza-id). Returns false when `nick` is not a valid
    /// resource.
    ///
    /// Asking again while already in the room (or on the way in) with that nickname sends
    /// nothing: a second join presence would be broadcast to every occupant.
    pub(crate) fn join_room(&mut self, room: &BareJid, nick: &str) -> bool {
        let Ok(occupant) = room.with_resource_str(nick) else {
            return false;
        };
        if self.muc.in_or_joining(self.account_id, room.as_str(), nick) {
            return true;
        }
        self.send_join(room, occupant)
    }

    /// Sends the join presence (§7.2.1) whatever we believe, as after a failed self-ping
    /// (XEP-0410).
    pub(crate) fn send_join(&mut self, room: &BareJid, occupant: FullJid) -> bool {
        self.muc
            .start(self.account_id, room.as_str(), occupant.resource().as_str());
        let mut p = Presence::available().with_to(Jid::from(occupant));
        let mut muc = Muc::new().with_history(History::new().with_maxstanzas(JOIN_HISTORY));
        if let Some(password) = self.room_passwords.get(room.as_str()) {
            muc = muc.with_password(password.0.clone());
        }
        p.add_payload(muc);
        self.out.push(p.into());
        self.room_changed(room.as_str());
        true
    }

    /// Leaves a room (§7.14).
    pub(crate) fn leave_room(&mut self, room: &BareJid) {
        let nick = self.muc.nick(self.account_id, room.as_str());
        if let Ok(occupant) = room.with_resource_str(&nick) {
            let p = Presence::new(PresenceType::Unavailable).with_to(Jid::from(occupant));
            self.out.push(p.into());
        }
        self.muc.remove(self.account_id, room.as_str());
        self.room_changed(room.as_str());
    }

    /// Room presence (§7.2.3 occupants, §7.6 nickname change, §8.2 kick, §9.1 ban, errors
    /// such as a taken nickname, §7.2.9). Returns false for presence that is not from a room
    /// we are in or joining.
    pub(crate) async fn on_muc_presence(&mut self, presence: &Presence) -> bool {
        let Some(from) = presence.from.as_ref() else {
            return false;
        };
        let room = from.to_bare().to_string();
        let known = self.muc.with(self.account_id, &room, |_| ()).is_some();
        if known {
            self.muc.heard(self.account_id, &room);
        } else {
            // Room presence after we left (or for a room we never joined): not a contact's.
            return presence
                .payloads
                .iter()
                .any(|p| p.is("x", tokio_xmpp::parsers::ns::MUC_USER));
        }
        let nick = from.resource().map(|r| r.to_string());
        let user = presence
            .payloads
            .iter()
            .find(|p| p.is("x", tokio_xmpp::parsers::ns::MUC_USER))
            .and_then(|x| MucUser::try_from(x.clone()).ok());
        let statuses = user.as_ref().map(|u| u.status.clone()).unwrap_or_default();
        let item = user.as_ref().and_then(|u| u.items.first().cloned());
        let is_self = statuses.contains(&Status::SelfPresence);
        match presence.type_ {
            PresenceType::Error => {
                let condition = presence
                    .payloads
                    .iter()
                    .find(|p| p.name() == "error")
                    .and_then(|e| e.children().next().map(|c| c.name().to_owned()))
                    .unwrap_or_default();
                let message = if condition == "conflict" {
                    "That nickname is already taken in this room. Join with another one.".to_owned()
                } else if condition == "registration-required" {
                    "This room is for members only. Ask its owner for membership.".to_owned()
                } else if condition == "not-authorized" {
                    "This room needs a password.".to_owned()
                } else if condition == "forbidden" {
                    "You are banned from this room.".to_owned()
                } else {
                    format!("Could not join the room ({}).", condition.replace('-', " "))
                };
                self.muc.with(self.account_id, &room, |l| {
                    l.joined = false;
                    l.error = Some(message);
                });
                if matches!(
                    condition.as_str(),
                    "forbidden" | "registration-required" | "item-not-found" | "gone"
                ) {
                    // Refused for good (banned, members only, no such room): listed with the
                    // reason, but not retried on every connect.
                    if let Err(e) = self.store.stop_autojoin(self.account_id, &room).await {
                        tracing::warn!(account = self.account_id, "room autojoin off: {e}");
                    }
                }
            }
            PresenceType::Unavailable => {
                let Some(nick) = nick else { return true };
                let new_nick = item.as_ref().and_then(|i| i.nick.clone());
                let renamed = statuses.contains(&Status::NewNick);
                // §10.9: a destroyed room tells each occupant with <destroy/> in muc#user.
                let destroyed = presence
                    .payloads
                    .iter()
                    .find(|p| p.is("x", tokio_xmpp::parsers::ns::MUC_USER))
                    .is_some_and(|x| x.children().any(|c| c.name() == "destroy"));
                let who = if is_self {
                    "You".to_owned()
                } else {
                    nick.clone()
                };
                let line = if destroyed {
                    "The room was destroyed.".to_owned()
                } else if let (true, Some(new)) = (renamed, new_nick.as_ref()) {
                    if is_self {
                        format!("You are now known as {new}.")
                    } else {
                        format!("{nick} is now known as {new}.")
                    }
                } else if statuses.contains(&Status::Kicked) {
                    format!(
                        "{who} {} removed from the room.",
                        if is_self { "were" } else { "was" }
                    )
                } else if statuses.contains(&Status::Banned) {
                    format!(
                        "{who} {} banned from the room.",
                        if is_self { "were" } else { "was" }
                    )
                } else if is_self {
                    "You left the room.".to_owned()
                } else {
                    format!("{nick} left the room.")
                };
                self.system_line(&room, &line).await;
                self.muc.with(self.account_id, &room, |l| {
                    l.occupants.remove(&nick);
                    if is_self {
                        if let (true, Some(new)) = (renamed, new_nick.clone()) {
                            l.nick = new;
                        } else {
                            l.joined = false;
                            l.occupants.clear();
                            l.error = Some(if destroyed {
                                "The room was destroyed.".to_owned()
                            } else if statuses.contains(&Status::Kicked) {
                                "You were removed from the room.".to_owned()
                            } else if statuses.contains(&Status::Banned) {
                                "You were banned from the room.".to_owned()
                            } else {
                                "You left the room.".to_owned()
                            });
                        }
                    }
                });
                if is_self && !renamed {
                    // Kicked, banned, destroyed (or our own leave, already forgotten): listed
                    // with the reason, not rejoined on the next connect.
                    if let Err(e) = self.store.stop_autojoin(self.account_id, &room).await {
                        tracing::warn!(account = self.account_id, "room autojoin off: {e}");
                    }
                }
            }
            _ => {
                let Some(nick) = nick else { return true };
                let occupant = Occupant {
                    nick: nick.clone(),
                    role: item
                        .as_ref()
                        .map(|i| lower_debug(&i.role))
                        .unwrap_or_else(|| "none".into()),
                    affiliation: item
                        .as_ref()
                        .map(|i| lower_debug(&i.affiliation))
                        .unwrap_or_else(|| "none".into()),
                    jid: item
                        .as_ref()
                        .and_then(|i| i.jid.as_ref())
                        .map(|j| j.to_bare().to_string()),
                    show: Show::from_xmpp(presence.show.as_ref()),
                };
                let mut awaiting = false;
                if is_self && statuses.contains(&Status::RoomHasBeenCreated) {
                    if self.configure_first.remove(&room) {
                        // §10.1.3: a reserved room; it stays locked until the user submits
                        // its configuration form.
                        awaiting = true;
                    } else {
                        // §10.1.2: accept the default configuration (an instant room) so it
                        // is unlocked for others.
                        self.submit_instant_room(&room);
                    }
                }
                self.muc.with(self.account_id, &room, |l| {
                    if is_self {
                        l.joined = true;
                        l.error = None;
                        l.awaiting_configuration |= awaiting;
                        l.nick = nick.clone();
                    }
                    l.occupants.insert(nick, occupant);
                });
            }
        }
        self.room_changed(&room);
        true
    }

    /// An invitation, mediated (XEP-0045 §7.8.2: from the room, `<invite/>` in muc#user) or
    /// direct (XEP-0249: `<x xmlns='jabber:x:conference' jid=room/>`). Returns true when the
    /// message was one. Invitations to a room we are in are ignored.
    pub(crate) fn on_invite(&mut self, message: &Message) -> bool {
        let mediated = message
            .payloads
            .iter()
            .find(|p| p.is("x", tokio_xmpp::parsers::ns::MUC_USER))
            .and_then(|x| x.get_child("invite", tokio_xmpp::parsers::ns::MUC_USER));
        let (room, from, reason) = if let Some(invite) = mediated {
            let Some(room) = message.from.as_ref().map(|f| f.to_bare()) else {
                return true;
            };
            // The inviter's real JID, or their occupant JID (room/nick) when the room hides it.
            let from = invite.attr("from").and_then(|f| Jid::new(f).ok()).map(|j| {
                if j.to_bare() == room {
                    j.to_string()
                } else {
                    j.to_bare().to_string()
                }
            });
            let reason = invite
                .get_child("reason", tokio_xmpp::parsers::ns::MUC_USER)
                .map(|r| r.text())
                .filter(|r| !r.is_empty());
            (room, from, reason)
        } else if let Some(direct) = message
            .payloads
            .iter()
            .find(|p| p.is("x", "jabber:x:conference"))
        {
            let Some(room) = direct.attr("jid").and_then(|j| BareJid::new(j).ok()) else {
                tracing::debug!(account = self.account_id, "direct invite without a room");
                return true;
            };
            let from = message.from.as_ref().map(|f| f.to_bare().to_string());
            let reason = direct
                .attr("reason")
                .map(str::to_owned)
                .filter(|r| !r.is_empty());
            (room, from, reason)
        } else {
            return false;
        };
        if self.muc.joined(self.account_id, room.as_str()) {
            return true;
        }
        self.emit(EngineEvent::RoomInvite {
            account_id: self.account_id,
            room: room.to_string(),
            from,
            reason,
        });
        true
    }

    /// A mediated invitation (XEP-0045 §7.8.2) to `to`, sent through the room.
    pub(crate) fn invite(&mut self, room: &BareJid, to: &BareJid, reason: Option<&str>) {
        let x = MucUser {
            status: vec![],
            items: vec![],
            invite: Some(tokio_xmpp::parsers::muc::user::Invite {
                from: None,
                to: Some(Jid::from(to.clone())),
                reason: reason.map(str::to_owned),
            }),
            decline: None,
            affiliations: None,
        };
        let mut m = Message::new(Some(Jid::from(room.clone())));
        // §7.8.2: a plain (normal) message to the room, not a chat message.
        m.type_ = tokio_xmpp::parsers::message::MessageType::Normal;
        m.id = Some(tokio_xmpp::parsers::message::Id(super::new_id()));
        m.payloads.push(x.into());
        self.out.push(m.into());
    }

    /// A direct invitation (XEP-0249 §2): a normal message to the invitee carrying
    /// `<x xmlns='jabber:x:conference' jid=room reason password/>`, built with the XML library.
    pub(crate) fn invite_directly(&mut self, room: &BareJid, to: &BareJid, reason: Option<&str>) {
        let (Ok(jid), Ok(reason_attr), Ok(password_attr)) = (
            tokio_xmpp::minidom::rxml::NcName::try_from("jid"),
            tokio_xmpp::minidom::rxml::NcName::try_from("reason"),
            tokio_xmpp::minidom::rxml::NcName::try_from("password"),
        ) else {
            return;
        };
        let mut x = tokio_xmpp::minidom::Element::builder("x", "jabber:x:conference")
            .attr(jid, room.as_str());
        if let Some(reason) = reason {
            x = x.attr(reason_attr, reason);
        }
        if let Some(password) = self.room_passwords.get(room.as_str()) {
            x = x.attr(password_attr, password.0.as_str());
        }
        let mut m = Message::new(Some(Jid::from(to.clone())));
        m.type_ = tokio_xmpp::parsers::message::MessageType::Normal;
        m.id = Some(tokio_xmpp::parsers::message::Id(super::new_id()));
        m.payloads.push(x.build());
        self.out.push(m.into());
    }

    /// Sends the empty configuration form that makes a new room an instant room (§10.1.2).
    fn submit_instant_room(&mut self, room: &str) {
        let xml = format!(
            "<query xmlns='{}#owner'><x xmlns='jabber:x:data' type='submit'/></query>",
            tokio_xmpp::parsers::ns::MUC
        );
        let (Ok(payload), Ok(to)) = (xml.parse::<tokio_xmpp::minidom::Element>(), Jid::new(room))
        else {
            return;
        };
        self.out.push(
            tokio_xmpp::parsers::iq::Iq::Set {
                from: None,
                to: Some(to),
                id: super::new_id(),
                payload,
            }
            .into(),
        );
    }

    /// A group message from a room's archive (XEP-0313 §5), for older room history.
    pub(crate) fn parse_room_archived(
        &self,
        room: &BareJid,
        message: &mut Message,
        archive_id: String,
        delay: Option<Delay>,
    ) -> Option<super::chat::ChatMessage> {
        let (_, body) = message.get_best_body_cloned(vec![])?;
        let nick = message.from.as_ref()?.resource()?.to_string();
        let origin_id = message
            .extract_payload::<OriginId>()
            .ok()
            .flatten()
            .map(|o| o.id);
        let delay = delay.or_else(|| message.extract_payload::<Delay>().ok().flatten());
        let outgoing = nick == self.muc.nick(self.account_id, room.as_str());
        Some(super::chat::ChatMessage {
            peer: room.to_string(),
            outgoing,
            body,
            stanza_id: Some(archive_id),
            origin_id,
            message_id: message.id.as_ref().map(|i| i.0.clone()),
            at: delay
                .map(|d| d.stamp.0.timestamp_millis())
                .unwrap_or_else(now_ms),
            markable: false,
            groupchat: true,
            sender: Some(nick),
        })
    }

    /// A `groupchat` message (§7.4): the subject (§8.1) or a group message, stored with the
    /// occupant's nickname; our reflected message only turns ours `delivered`.
    pub(crate) async fn on_groupchat(&mut self, mut message: Message) {
        let Some(from) = message.from.clone() else {
            return;
        };
        let room_jid = from.to_bare();
        let room = room_jid.to_string();
        let own_nick = self.muc.nick(self.account_id, &room);
        if own_nick.is_empty() {
            tracing::debug!(
                account = self.account_id,
                "group message from a room we are not in"
            );
            return;
        }
        self.muc.heard(self.account_id, &room);
        let body = message.get_best_body_cloned(vec![]).map(|(_, b)| b);
        if body.is_none() {
            if let Some((_, subject)) = message.get_best_subject_cloned(vec![]) {
                let subject = Some(subject).filter(|s| !s.is_empty());
                self.muc
                    .with(self.account_id, &room, |l| l.subject = subject.clone());
                let _ = self
                    .store
                    .set_room_subject(self.account_id, &room, subject.as_deref())
                    .await;
                self.room_changed(&room);
            }
            return;
        }
        let Some(body) = body else { return };
        let Some(nick) = from.resource().map(|r| r.to_string()) else {
            return; // a message from the room itself (no occupant): not shown yet
        };
        let origin_id = message
            .extract_payload::<OriginId>()
            .ok()
            .flatten()
            .map(|o| o.id);
        // The room's stanza-id (XEP-0359 §5: `by` the room) identifies the message in it.
        let mut stanza_id = None;
        while let Ok(Some(sid)) = message.extract_payload::<StanzaId>() {
            if stanza_id.is_none() && sid.by.to_bare() == room_jid {
                stanza_id = Some(sid.id);
            }
        }
        let delay = message.extract_payload::<Delay>().ok().flatten();
        let at = delay
            .as_ref()
            .map(|d| d.stamp.0.timestamp_millis())
            .unwrap_or_else(now_ms);
        let outgoing = nick == own_nick;
        if let (true, Some(origin)) = (outgoing, origin_id.as_deref()) {
            match self
                .store
                .mark_reflected(self.account_id, &room, origin, stanza_id.as_deref())
                .await
            {
                Ok(Some(id)) => {
                    self.emit(EngineEvent::MessagesChanged {
                        account_id: self.account_id,
                        peer: room,
                        ids: vec![id],
                        live: false,
                    });
                    return;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(account = self.account_id, "reflection: {e}"),
            }
        }
        let message_id = message.id.as_ref().map(|i| i.0.clone());
        let new = NewMessage {
            account_id: self.account_id,
            peer: &room,
            outgoing,
            body: &body,
            stanza_id: stanza_id.as_deref(),
            origin_id: origin_id.as_deref(),
            message_id: message_id.as_deref(),
            at,
            state: if outgoing { "sent" } else { "received" },
            read: outgoing,
            markable: false,
            groupchat: true,
            sender: Some(&nick),
        };
        match self.store.insert_message(&new).await {
            Ok(Some(row)) => {
                // Room history never notifies; live messages by the room's setting (default:
                // only mentions of our nickname).
                let fresh = !outgoing && delay.is_none();
                let notify = self
                    .store
                    .room_notify(self.account_id, &room)
                    .await
                    .map(|m| RoomNotify::parse(&m))
                    .unwrap_or(RoomNotify::Mentions);
                let mention = fresh
                    && match notify {
                        RoomNotify::All => true,
                        RoomNotify::None => false,
                        RoomNotify::Mentions => {
                            body.to_lowercase().contains(&own_nick.to_lowercase())
                        }
                    };
                self.emit(EngineEvent::MessagesChanged {
                    account_id: self.account_id,
                    peer: room,
                    ids: vec![row.id],
                    live: mention,
                });
            }
            Ok(None) => tracing::debug!(account = self.account_id, "duplicate group message"),
            Err(e) => tracing::error!(account = self.account_id, "storing a group message: {e}"),
        }
    }
}
