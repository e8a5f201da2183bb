//! Entering and leaving rooms (XEP-0045 §7.2, §7.14), with the state this needs that is not
//! the room's: passwords given this run and rooms to configure before others enter.

use std::collections::{HashMap, HashSet};

use tokio_xmpp::minidom::rxml::NcName;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, FullJid, Jid};
use tokio_xmpp::parsers::muc::muc::{History, Muc};
use tokio_xmpp::parsers::ns;
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};

use super::RoomPassword;
use crate::event::EngineEvent;
use crate::features::room_config::MUC_OWNER;
use crate::features::{new_id, Context};

/// Messages of room history asked for when joining (XEP-0045 §7.2.14).
const JOIN_HISTORY: u32 = 20;

/// Per-account room state that is ours, not the room's.
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    /// Passwords of protected rooms (§7.2.6) given this run, by room bare JID; in memory only.
    pub passwords: HashMap<String, RoomPassword>,
    /// Rooms the user asked to configure before others enter, should we create them
    /// (§10.1.3), by room bare JID.
    pub configure_first: HashSet<String>,
}

/// Tells the UI a room's live state changed.
pub(crate) fn room_changed(ctx: &Context, room: &str) {
    ctx.emit(EngineEvent::RoomChanged {
        account_id: ctx.account_id,
        room: room.to_owned(),
    });
}

impl Rooms {
    /// Enters a room as `nick` (§7.2), asking for the last [`JOIN_HISTORY`] messages
    /// (deduplicated by the room's stanza-id). Returns false when `nick` is not a valid
    /// resource.
    ///
    /// Asking again while already in the room (or on the way in) with that nickname sends
    /// nothing: a second join presence would be broadcast to every occupant.
    pub(crate) fn join(&self, ctx: &mut Context, room: &BareJid, nick: &str) -> bool {
        let Ok(occupant) = room.with_resource_str(nick) else {
            return false;
        };
        if ctx.muc.in_or_joining(ctx.account_id, room.as_str(), nick) {
            return true;
        }
        self.send_join(ctx, room, occupant)
    }

    /// Sends the join presence (§7.2.1) whatever we believe, as after a failed self-ping
    /// (XEP-0410).
    pub(crate) fn send_join(&self, ctx: &mut Context, room: &BareJid, occupant: FullJid) -> bool {
        ctx.muc
            .start(ctx.account_id, room.as_str(), occupant.resource().as_str());
        let mut p = Presence::available().with_to(Jid::from(occupant));
        let mut muc = Muc::new().with_history(History::new().with_maxstanzas(JOIN_HISTORY));
        if let Some(password) = self.passwords.get(room.as_str()) {
            muc = muc.with_password(password.0.clone());
        }
        p.add_payload(muc);
        ctx.send(p);
        room_changed(ctx, room.as_str());
        true
    }
}

/// Leaves a room (§7.14).
pub(crate) fn leave(ctx: &mut Context, room: &BareJid) {
    let nick = ctx.muc.nick(ctx.account_id, room.as_str());
    if let Ok(occupant) = room.with_resource_str(&nick) {
        let p = Presence::new(PresenceType::Unavailable).with_to(Jid::from(occupant));
        ctx.send(p);
    }
    ctx.muc.remove(ctx.account_id, room.as_str());
    room_changed(ctx, room.as_str());
}

/// Sends the empty configuration form that makes a new room an instant room (§10.1.2).
pub(crate) fn submit_instant_room(ctx: &mut Context, room: &str) {
    let (Ok(to), Ok(type_)) = (Jid::new(room), NcName::try_from("type")) else {
        return;
    };
    let form = Element::builder("x", ns::DATA_FORMS).attr(type_, "submit");
    let payload = Element::builder("query", MUC_OWNER).append(form).build();
    ctx.send(Iq::Set {
        from: None,
        to: Some(to),
        id: new_id(),
        payload,
    });
}
