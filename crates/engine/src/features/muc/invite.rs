//! Invitations to rooms: received, mediated (XEP-0045 §7.8.2, through the room) or direct
//! (XEP-0249, from the inviter), become `RoomInvite` events; sent, both ways.

use tokio_xmpp::minidom::rxml::NcName;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::message::{Id, Message, MessageType};
use tokio_xmpp::parsers::muc::user::{Invite, MucUser};

use super::Rooms;
use crate::event::EngineEvent;
use crate::features::inbound::{Envelope, Invitation};
use crate::features::{new_id, Context};

/// An invitation we received (parsed in [`crate::features::inbound`]). Invitations to a room
/// we are in are ignored.
pub(crate) fn on_invite(ctx: &mut Context, envelope: &Envelope, invitation: Invitation) {
    let (room, from, reason) = match invitation {
        Invitation::Mediated { from, reason } => {
            let Some(room) = envelope.from.as_ref().map(|f| f.to_bare()) else {
                return;
            };
            // The inviter's real JID, or their occupant JID (room/nick) when the room hides it.
            let from = from.map(|j| {
                if j.to_bare() == room {
                    j.to_string()
                } else {
                    j.to_bare().to_string()
                }
            });
            (room, from, reason)
        }
        Invitation::Direct { room, reason } => {
            let Some(room) = room else {
                tracing::debug!(account = ctx.account_id, "direct invite without a room");
                return;
            };
            let from = envelope.from.as_ref().map(|f| f.to_bare().to_string());
            (room, from, reason)
        }
    };
    if ctx.muc.joined(ctx.account_id, room.as_str()) {
        return;
    }
    ctx.emit(EngineEvent::RoomInvite {
        account_id: ctx.account_id,
        room: room.to_string(),
        from,
        reason,
    });
}

/// A mediated invitation (XEP-0045 §7.8.2) to `to`, sent through the room.
pub(crate) fn invite(ctx: &mut Context, room: &BareJid, to: &BareJid, reason: Option<&str>) {
    let x = MucUser {
        status: vec![],
        items: vec![],
        invite: Some(Invite {
            from: None,
            to: Some(Jid::from(to.clone())),
            reason: reason.map(str::to_owned),
        }),
        decline: None,
        affiliations: None,
    };
    let mut m = Message::new(Some(Jid::from(room.clone())));
    // §7.8.2: a plain (normal) message to the room, not a chat message.
    m.type_ = MessageType::Normal;
    m.id = Some(Id(new_id()));
    m.payloads.push(x.into());
    ctx.send(m);
}

/// A direct invitation (XEP-0249 §2): a normal message to the invitee carrying
/// `<x xmlns='jabber:x:conference' jid=room reason password/>`, built with the XML library.
pub(crate) fn invite_directly(
    ctx: &mut Context,
    rooms: &Rooms,
    room: &BareJid,
    to: &BareJid,
    reason: Option<&str>,
) {
    let (Ok(jid), Ok(reason_attr), Ok(password_attr)) = (
        NcName::try_from("jid"),
        NcName::try_from("reason"),
        NcName::try_from("password"),
    ) else {
        return;
    };
    let mut x = Element::builder("x", "jabber:x:conference").attr(jid, room.as_str());
    if let Some(reason) = reason {
        x = x.attr(reason_attr, reason);
    }
    if let Some(password) = rooms.passwords.get(room.as_str()) {
        x = x.attr(password_attr, password.0.as_str());
    }
    let mut m = Message::new(Some(Jid::from(to.clone())));
    m.type_ = MessageType::Normal;
    m.id = Some(Id(new_id()));
    m.payloads.push(x.build());
    ctx.send(m);
}
