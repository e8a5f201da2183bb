//! OMEMO in group chats (XEP-0384 §6 "Group chats"), as Conversations and Dino do it: only in
//! rooms that are members-only and non-anonymous (disco#info `muc_membersonly` and
//! `muc_nonanonymous`, XEP-0045 §6.4), where every occupant's real JID is known.
//!
//! - Sending: the message is encrypted to every device of every other occupant's real bare
//!   JID and of every member, owner and admin not in the room now (their affiliation lists,
//!   §9.5, when the room lets us read them; they read it later from the room's archive), and to
//!   our other devices; the OMEMO 2 envelope's `to` is the room. The room's features and lists
//!   are read (once while the account runs) before the first encrypted message.
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

/// The affiliations whose lists are read: everyone who may enter a members-only room.
pub(crate) const MEMBER_AFFILIATIONS: [&str; 3] = ["member", "admin", "owner"];

const NS_MUC_ADMIN: &str = "http://jabber.org/protocol/muc#admin";

/// The room's list of one affiliation (XEP-0045 §9.5).
pub(crate) fn members_request(room: &BareJid, affiliation: &str) -> Iq {
    let item = crate::features::facets::attr(
        Element::builder("item", NS_MUC_ADMIN),
        "affiliation",
        affiliation,
    )
    .build();
    Iq::Get {
        from: None,
        to: Some(Jid::from(room.clone())),
        id: new_id(),
        payload: Element::builder("query", NS_MUC_ADMIN).append(item).build(),
    }
}

/// The real bare JIDs in an affiliation list answer; none for a refusal (many rooms show
/// the lists to owners and admins only).
fn listed_members(answer: Result<Option<Element>, StanzaError>) -> Vec<BareJid> {
    let Ok(Some(query)) = answer else {
        return Vec::new();
    };
    if !query.is("query", NS_MUC_ADMIN) {
        return Vec::new();
    }
    query
        .children()
        .filter(|c| c.is("item", NS_MUC_ADMIN))
        .filter_map(|c| c.attr("jid"))
        .filter_map(|j| Jid::new(j).ok())
        .map(|j| j.to_bare())
        .collect()
}

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

    /// One affiliation list of a room, asked for while preparing to send to `prep`.
    pub(crate) fn on_room_members(
        &mut self,
        prep: String,
        room: String,
        answer: Result<Option<Element>, StanzaError>,
    ) {
        let members = self.room_members.entry(room).or_default();
        for jid in listed_members(answer) {
            if !members.contains(&jid) {
                members.push(jid);
            }
        }
        self.answered(&prep);
    }

    /// The JIDs a message to `room` is encrypted for: every other occupant's real bare JID and
    /// every listed member not in the room.
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
        let mut jids = ctx
            .muc
            .real_jids(ctx.account_id, room.as_str(), &ctx.jid)
            .map_err(|hidden| {
                format!(
                    "the room does not show the address of {}",
                    hidden.join(", ")
                )
            })?;
        for member in self.room_members.get(room.as_str()).into_iter().flatten() {
            if *member != ctx.jid && !jids.contains(member) {
                jids.push(member.clone());
            }
        }
        Ok(jids)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_member_list_gives_bare_jids_and_a_refusal_gives_none() {
        // XEP-0045 §9.5, Example 121 (the service's answer with the member list).
        let answer: Element = "<query xmlns='http://jabber.org/protocol/muc#admin'>\
            <item affiliation='member' jid='hag66@shakespeare.lit/pda' nick='thirdwitch' role='participant'/>\
            <item affiliation='member' jid='crone1@shakespeare.lit'/>\
            <item affiliation='member'/></query>"
            .parse()
            .unwrap();
        let jids: Vec<String> = listed_members(Ok(Some(answer)))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(jids, ["hag66@shakespeare.lit", "crone1@shakespeare.lit"]);
        let refused = StanzaError::new(
            tokio_xmpp::parsers::stanza_error::ErrorType::Auth,
            tokio_xmpp::parsers::stanza_error::DefinedCondition::Forbidden,
            "en",
            "",
        );
        assert!(listed_members(Err(refused)).is_empty());
        let request = Element::from(members_request(
            &BareJid::new("coven@chat.shakespeare.lit").unwrap(),
            "member",
        ));
        let query = request.get_child("query", NS_MUC_ADMIN).unwrap();
        assert_eq!(
            query
                .get_child("item", NS_MUC_ADMIN)
                .unwrap()
                .attr("affiliation"),
            Some("member")
        );
    }
}
