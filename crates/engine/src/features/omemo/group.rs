//! OMEMO in group chats (XEP-0384 §6 "Group chats"), as Conversations and Dino do it: only in
//! rooms that are members-only and non-anonymous (disco#info `muc_membersonly` and
//! `muc_nonanonymous`, XEP-0045 §6.4), where every occupant's real JID is known.
//!
//! - Sending: the message is encrypted to every device of every other occupant's real bare
//!   JID, and to our other devices; the OMEMO 2 envelope's `to` is the room. The room's
//!   features are read (once while the account runs) before the first encrypted message.
//! - Receiving: the sender's real JID comes from the occupant's presence; our own message
//!   reflected by the room is not for our device and is left to the reflection check; a
//!   message whose sender the room hides cannot be decrypted and says so.

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::disco::{DiscoInfoQuery, DiscoInfoResult};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::stanza_error::StanzaError;

use super::Omemo;
use crate::features::inbound::{Content, Envelope};
use crate::features::{new_id, Context};

/// XEP-0045 §6.4 features a room must have for OMEMO.
const MEMBERS_ONLY: &str = "muc_membersonly";
const NON_ANONYMOUS: &str = "muc_nonanonymous";

/// disco#info of a room (XEP-0030), to read its features.
pub(crate) fn room_info_request(room: &BareJid) -> Iq {
    Iq::from_get(new_id(), DiscoInfoQuery { node: None }).with_to(Jid::from(room.clone()))
}

/// Whether a room's disco#info answer allows OMEMO; `Err` says why not, in words.
fn eligibility(answer: Result<Option<Element>, StanzaError>) -> Result<(), String> {
    let info = answer
        .map_err(|e| crate::features::iq::condition_words(&e.defined_condition))?
        .and_then(|payload| DiscoInfoResult::try_from(payload).ok())
        .ok_or("the room did not describe itself")?;
    let has = |var: &str| info.features.iter().any(|f| f == var);
    match (has(MEMBERS_ONLY), has(NON_ANONYMOUS)) {
        (true, true) => Ok(()),
        (false, true) => Err("the room is open to anyone (not members-only)".into()),
        (true, false) => Err("the room hides its members' addresses (not non-anonymous)".into()),
        (false, false) => Err("the room is neither members-only nor non-anonymous".into()),
    }
}

impl Omemo {
    /// A room's disco#info, asked for while preparing to send to `prep`.
    pub(crate) fn on_room_info(
        &mut self,
        prep: String,
        room: String,
        answer: Result<Option<Element>, StanzaError>,
    ) {
        self.rooms.insert(room, eligibility(answer));
        self.answered(&prep);
    }

    /// The JIDs a message to `room` is encrypted for: every other occupant's real bare JID.
    ///
    /// Errors, in words: the room is not members-only and non-anonymous, or hides some
    /// occupant's address.
    pub(crate) fn room_recipients(
        &self,
        ctx: &Context,
        room: &BareJid,
    ) -> Result<Vec<BareJid>, String> {
        if let Some(Err(reason)) = self.rooms.get(room.as_str()) {
            return Err(format!(
                "OMEMO needs a members-only, non-anonymous room: {reason}"
            ));
        }
        ctx.muc
            .real_jids(ctx.account_id, room.as_str(), &ctx.jid)
            .map_err(|hidden| {
                format!(
                    "the room does not show the address of {}",
                    hidden.join(", ")
                )
            })
    }

    /// Decrypts a live group message in place (see [`Omemo::decrypt`]), with the sender's real
    /// JID from their occupant presence; the room's JID is the envelope's `to`.
    pub(crate) async fn decrypt_group(
        &mut self,
        ctx: &mut Context,
        envelope: &Envelope,
        content: &mut Content,
    ) {
        let Some(encrypted) = content.encrypted.as_ref() else {
            return;
        };
        let Some(from) = envelope.from.as_ref() else {
            return;
        };
        let room = from.to_bare();
        let Some(nick) = from.resource().map(|r| r.to_string()) else {
            return;
        };
        let own_nick = ctx.muc.nick(ctx.account_id, room.as_str());
        let own_device = self.keys.as_ref().map(|k| k.device_id());
        let generation = encrypted.generation();
        if nick == own_nick && Some(encrypted.sid()) == own_device {
            // Ours, reflected (§7.4): matched to the stored message by its origin-id. The text
            // below is only kept if that match fails.
            content.encrypted = None;
            content.body = Some("This message was sent encrypted (OMEMO) from this device.".into());
            content.encryption = Some(super::encryption_name(generation));
            return;
        }
        let sender = if nick == own_nick {
            Some(ctx.jid.clone())
        } else {
            ctx.muc.real_jid(ctx.account_id, room.as_str(), &nick)
        };
        match sender {
            Some(sender) => {
                self.decrypt(ctx, &sender, &room, Some(&room), content)
                    .await
            }
            None => {
                content.encrypted = None;
                super::decrypt::undecryptable(
                    ctx,
                    content,
                    &room,
                    "the room does not show who sent it, so its key cannot be found",
                );
            }
        }
    }
}
