//! Room presence (XEP-0045): occupants with roles and affiliations (§7.2.3), nickname
//! changes (§7.6), leaves, kicks (§8.2), bans (§9.1), the room destroyed (§10.9), and errors
//! refusing our join (§7.2.6-§7.2.9), each in words and as a [`RoomErrorCode`].

use tokio_xmpp::parsers::muc::user::{MucUser, Status};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};

use super::rooms::{room_changed, submit_instant_room, Rooms};
use super::{Affiliation, Occupant, Role, RoomErrorCode};
use crate::event::EngineEvent;
use crate::features::presence::Show;
use crate::features::Context;
use crate::store::now_ms;

/// Adds a system line (nickname change, leave, kick, ban, room destroyed) to a room.
pub(crate) async fn system_line(ctx: &Context, room: &str, text: &str) {
    match ctx
        .store
        .insert_system_line(ctx.account_id, room, text, now_ms())
        .await
    {
        Ok(id) => ctx.emit(EngineEvent::MessagesChanged {
            account_id: ctx.account_id,
            peer: room.to_owned(),
            ids: vec![id],
            live: false,
        }),
        Err(e) => tracing::warn!(account = ctx.account_id, "storing a system line: {e}"),
    }
}

/// Why a room refused our join, from the error's defined condition (RFC 6120 §8.3.3).
fn join_refusal(condition: &str) -> (RoomErrorCode, String) {
    let (code, words) = match condition {
        "conflict" => (
            RoomErrorCode::NicknameTaken,
            "That nickname is already taken in this room. Join with another one.",
        ),
        "registration-required" => (
            RoomErrorCode::MembersOnly,
            "This room is for members only. Ask its owner for membership.",
        ),
        "not-authorized" => (
            RoomErrorCode::PasswordRequired,
            "This room needs a password.",
        ),
        "forbidden" => (RoomErrorCode::Banned, "You are banned from this room."),
        other => {
            let words = format!("Could not join the room ({}).", other.replace('-', " "));
            return (RoomErrorCode::JoinRefused, words);
        }
    };
    (code, words.to_owned())
}

/// Room presence (§7.2.3 occupants, §7.6 nickname change, §8.2 kick, §9.1 ban, errors
/// such as a taken nickname, §7.2.9). Returns false for presence that is not from a room
/// we are in or joining.
pub(crate) async fn on_room_presence(
    ctx: &mut Context,
    rooms: &mut Rooms,
    presence: &Presence,
) -> bool {
    let Some(from) = presence.from.as_ref() else {
        return false;
    };
    let room = from.to_bare().to_string();
    let known = ctx.muc.with(ctx.account_id, &room, |_| ()).is_some();
    if known {
        ctx.muc.heard(ctx.account_id, &room);
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
            let error = join_refusal(&condition);
            ctx.muc.with(ctx.account_id, &room, |l| {
                l.joined = false;
                l.error = Some(error);
            });
            if matches!(
                condition.as_str(),
                "forbidden" | "registration-required" | "item-not-found" | "gone"
            ) {
                // Refused for good (banned, members only, no such room): listed with the
                // reason, but not retried on every connect.
                if let Err(e) = ctx.store.stop_autojoin(ctx.account_id, &room).await {
                    tracing::warn!(account = ctx.account_id, "room autojoin off: {e}");
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
            system_line(ctx, &room, &line).await;
            if is_self && !renamed {
                // Kicked, banned, destroyed (or our own leave, already forgotten): listed
                // with the reason, not rejoined on the next connect. Stored before the live
                // state says we left, so whoever sees that also reads the stored room as such.
                if let Err(e) = ctx.store.stop_autojoin(ctx.account_id, &room).await {
                    tracing::warn!(account = ctx.account_id, "room autojoin off: {e}");
                }
            }
            ctx.muc.with(ctx.account_id, &room, |l| {
                l.occupants.remove(&nick);
                if is_self {
                    if let (true, Some(new)) = (renamed, new_nick.clone()) {
                        l.nick = new;
                    } else {
                        l.joined = false;
                        l.occupants.clear();
                        l.error = Some(if destroyed {
                            (RoomErrorCode::Destroyed, "The room was destroyed.")
                        } else if statuses.contains(&Status::Kicked) {
                            (RoomErrorCode::Kicked, "You were removed from the room.")
                        } else if statuses.contains(&Status::Banned) {
                            (RoomErrorCode::BannedNow, "You were banned from the room.")
                        } else {
                            (RoomErrorCode::Left, "You left the room.")
                        })
                        .map(|(code, words)| (code, words.to_owned()));
                    }
                }
            });
        }
        _ => {
            let Some(nick) = nick else { return true };
            let occupant = Occupant {
                nick: nick.clone(),
                role: item.as_ref().map_or(Role::None, |i| Role::from(&i.role)),
                affiliation: item
                    .as_ref()
                    .map_or(Affiliation::None, |i| Affiliation::from(&i.affiliation)),
                jid: item
                    .as_ref()
                    .and_then(|i| i.jid.as_ref())
                    .map(|j| j.to_bare().to_string()),
                show: Show::from_xmpp(presence.show.as_ref()),
            };
            let mut awaiting = false;
            if is_self && statuses.contains(&Status::RoomHasBeenCreated) {
                if rooms.configure_first.remove(&room) {
                    // §10.1.3: a reserved room; it stays locked until the user submits
                    // its configuration form.
                    awaiting = true;
                } else {
                    // §10.1.2: accept the default configuration (an instant room) so it
                    // is unlocked for others.
                    submit_instant_room(ctx, &room);
                }
            }
            ctx.muc.with(ctx.account_id, &room, |l| {
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
    room_changed(ctx, &room);
    true
}
