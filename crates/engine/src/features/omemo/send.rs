//! Sending encrypted messages (XEP-0384 §"Sending a message"): to every device of the contact
//! and every other device of ours, each in the generation it speaks (OMEMO 2 when its device
//! is on the OMEMO 2 list, else legacy; a message for both kinds carries both elements).
//!
//! Before the first encrypted message to a contact in a session, their device lists and ours
//! are read and a session is built from the bundle of every device we have none with
//! ([`Omemo::ready_to_encrypt`] parks the message meanwhile; it comes back through
//! `Omemo::ready`). A message that cannot be encrypted to any device of the contact fails
//! with the reason: it is never sent in plaintext.

use std::collections::HashMap;

use linnet_omemo::payload::{seal_legacy, seal_omemo2};
use linnet_omemo::sce::Envelope;
use linnet_omemo::xml::{self, legacy};
use linnet_omemo::{Generation, OsEntropy, Session};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::pubsub::pubsub::Items;
use tokio_xmpp::parsers::pubsub::PubSub;

use super::publish::devices_node;
use super::{Omemo, OmemoIq};
use crate::features::{new_id, Context, IqPurpose};
use crate::store::Trust;

/// Messages to one contact waiting for device lists and bundles.
#[derive(Debug, Default)]
pub(crate) struct Prep {
    rows: Vec<i64>,
    /// Answers still awaited.
    pub(crate) waiting: usize,
}

/// The generation each device of `jid` is reached in: OMEMO 2 when it is on that list, else
/// legacy. Our own device is left out.
pub(crate) fn targets(
    lists: &HashMap<(String, Generation), Vec<u32>>,
    jid: &str,
    skip: Option<u32>,
) -> Vec<(u32, Generation)> {
    let list = |g| lists.get(&(jid.to_owned(), g)).cloned().unwrap_or_default();
    let omemo2 = list(Generation::Omemo2);
    let mut out: Vec<(u32, Generation)> = omemo2.iter().map(|d| (*d, Generation::Omemo2)).collect();
    out.extend(
        list(Generation::Legacy)
            .into_iter()
            .filter(|d| !omemo2.contains(d))
            .map(|d| (d, Generation::Legacy)),
    );
    out.retain(|(d, _)| Some(*d) != skip);
    out
}

impl Omemo {
    /// Whether the message `row_id` to `conversation` (a contact, or a room: `room`) can be
    /// encrypted now for `recipients` (the contact; a room's members) and our other devices.
    /// If not, it waits here while the device lists (and then the bundles) are fetched, and,
    /// for a room, its features ([`super::group`]); it comes back in `self.ready`.
    pub(crate) fn ready_to_encrypt(
        &mut self,
        ctx: &mut Context,
        conversation: &BareJid,
        recipients: &[BareJid],
        room: bool,
        row_id: i64,
    ) -> bool {
        let mut jids = recipients.to_vec();
        if !jids.contains(&ctx.jid) {
            jids.push(ctx.jid.clone());
        }
        let lists = &self.lists;
        let known = |jid: &BareJid| {
            [Generation::Legacy, Generation::Omemo2]
                .iter()
                .all(|g| lists.contains_key(&(jid.to_string(), *g)))
        };
        jids.retain(|jid| !known(jid));
        let room_known = !room || self.rooms.contains_key(conversation.as_str());
        let key = conversation.to_string();
        if jids.is_empty() && room_known && !self.preps.contains_key(&key) {
            return true;
        }
        let prep = self.preps.entry(key.clone()).or_default();
        if !prep.rows.contains(&row_id) {
            prep.rows.push(row_id);
        }
        if prep.waiting > 0 {
            return false;
        }
        for jid in jids {
            for generation in [Generation::Legacy, Generation::Omemo2] {
                let iq = Iq::from_get(
                    new_id(),
                    PubSub::Items(Items::new(devices_node(generation))),
                )
                .with_to(Jid::from(jid.clone()));
                let purpose = OmemoIq::Devices {
                    prep: key.clone(),
                    jid: jid.to_string(),
                    generation,
                };
                ctx.request(iq, IqPurpose::Omemo(purpose));
                prep.waiting += 1;
            }
        }
        if !room_known {
            ctx.request(
                super::group::room_info_request(conversation),
                IqPurpose::Omemo(OmemoIq::RoomInfo {
                    prep: key.clone(),
                    room: key.clone(),
                }),
            );
            prep.waiting += 1;
            for affiliation in super::group::MEMBER_AFFILIATIONS {
                ctx.request(
                    super::group::members_request(conversation, affiliation),
                    IqPurpose::Omemo(OmemoIq::RoomMembers {
                        prep: key.clone(),
                        room: key.clone(),
                    }),
                );
                prep.waiting += 1;
            }
        }
        if prep.waiting == 0 {
            self.preps.remove(&key);
            return true;
        }
        false
    }

    pub(crate) fn answered(&mut self, prep: &str) {
        let done = match self.preps.get_mut(prep) {
            Some(p) => {
                p.waiting = p.waiting.saturating_sub(1);
                p.waiting == 0
            }
            None => false,
        };
        if done {
            if let Some(p) = self.preps.remove(prep) {
                self.ready.extend(p.rows);
            }
        }
    }

    /// Encrypts `body` to every device of `recipients` (the contact; a room's members) and our
    /// other devices that we have a session with: the `<encrypted/>` elements to put in a
    /// message to `to` (the contact or the room: the OMEMO 2 envelope's `to`), one per
    /// generation used.
    ///
    /// Errors, in words: no keys, or a recipient without any device to encrypt to (never a
    /// message some of them cannot read without saying so).
    pub(crate) async fn encrypt(
        &mut self,
        ctx: &mut Context,
        to: &BareJid,
        recipients: &[BareJid],
        body: &str,
    ) -> Result<Vec<Element>, String> {
        let keys = self
            .keys
            .as_ref()
            .ok_or("this device has no OMEMO keys yet")?;
        let own_device = keys.device_id();
        let account = ctx.account_id;
        let own = ctx.jid.to_string();
        // (jid, device, session) per generation.
        let mut by_generation: HashMap<Generation, Vec<(String, u32, Session)>> = HashMap::new();
        let mut jids: Vec<String> = recipients.iter().map(|j| j.to_string()).collect();
        if !jids.contains(&own) {
            jids.push(own.clone());
        }
        let mut without = Vec::new();
        let mut undecided = Vec::new();
        for jid in jids {
            let skip = (jid == own).then_some(own_device);
            let mut waiting = 0;
            let mut found = Vec::new();
            let now = crate::store::now_ms();
            for (device, generation) in targets(&self.lists, &jid, skip) {
                let activity = ctx
                    .store
                    .omemo_activity(account, &jid, device)
                    .await
                    .ok()
                    .flatten();
                match activity.map(|a| a.trust) {
                    Some(Trust::Untrusted) => continue,
                    Some(Trust::Undecided) => {
                        waiting += 1;
                        continue;
                    }
                    _ => {}
                }
                if let Ok(Some(session)) = self.session(ctx, &jid, device, generation).await {
                    let stale = activity.is_some_and(|a| a.stale(now));
                    found.push((device, generation, session, stale));
                }
            }
            let found = super::activity::without_stale(account, &jid, found);
            let reached = found.len();
            for (device, generation, session) in found {
                by_generation
                    .entry(generation)
                    .or_default()
                    .push((jid.clone(), device, session));
            }
            let recipient = jid != own || recipients.iter().any(|r| r.as_str() == own);
            if recipient && reached == 0 {
                if waiting > 0 {
                    undecided.push(jid);
                } else {
                    without.push(jid);
                }
            }
        }
        if let Some(jid) = undecided.first().filter(|_| without.is_empty()) {
            return Err(format!(
                "{jid} uses a new OMEMO device that you have not verified yet; compare its \
                 fingerprint in the encryption details and mark it verified, or accept it"
            ));
        }
        without.extend(undecided);
        if !without.is_empty() {
            return Err(format!(
                "{} {} no OMEMO device this account can encrypt to",
                without.join(", "),
                if without.len() == 1 { "has" } else { "have" }
            ));
        }
        let mut elements = Vec::new();
        let mut updated = Vec::new();
        if let Some(targets) = by_generation.remove(&Generation::Omemo2) {
            let content = Element::builder("body", "jabber:client")
                .append(body)
                .build();
            let stamp = chrono::DateTime::from_timestamp_millis(crate::store::now_ms())
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            let envelope = Envelope::new(vec![content], &own, to.as_str(), stamp, &mut OsEntropy);
            let sealed = seal_omemo2(&envelope.to_bytes(), &mut OsEntropy);
            let mut keys: Vec<xml::Keys> = Vec::new();
            for (jid, device, mut session) in targets {
                let Ok(key) = session.encrypt(&sealed.key_material) else {
                    continue;
                };
                let key = xml::Key {
                    rid: device,
                    kex: key.kex,
                    data: key.data,
                };
                match keys.iter_mut().find(|k| k.jid == jid) {
                    Some(group) => group.keys.push(key),
                    None => keys.push(xml::Keys {
                        jid: jid.clone(),
                        keys: vec![key],
                    }),
                }
                updated.push((jid, device, session));
            }
            elements.push(
                xml::Encrypted {
                    header: xml::Header {
                        sid: own_device,
                        keys,
                    },
                    payload: Some(xml::Payload {
                        data: sealed.payload,
                    }),
                }
                .into(),
            );
        }
        if let Some(targets) = by_generation.remove(&Generation::Legacy) {
            let sealed = seal_legacy(body.as_bytes(), &mut OsEntropy).map_err(|e| e.to_string())?;
            let mut keys = Vec::new();
            for (jid, device, mut session) in targets {
                let Ok(key) = session.encrypt(&sealed.key_material) else {
                    continue;
                };
                keys.push(legacy::Key {
                    rid: device,
                    prekey: key.kex,
                    data: key.data,
                });
                updated.push((jid, device, session));
            }
            elements.push(
                legacy::Encrypted {
                    header: legacy::Header {
                        sid: own_device,
                        keys,
                        iv: legacy::IV { data: sealed.iv },
                    },
                    payload: Some(legacy::Payload {
                        data: sealed.payload,
                    }),
                }
                .into(),
            );
        }
        let reached: Vec<(String, u32)> = updated.iter().map(|(j, d, _)| (j.clone(), *d)).collect();
        self.sent_to(ctx, reached).await;
        for (jid, device, session) in updated {
            if let Err(e) = self.save_session(ctx, &jid, device, session, None).await {
                tracing::warn!(account, "OMEMO session with {jid}/{device} not stored: {e}");
            }
        }
        Ok(elements)
    }
}
