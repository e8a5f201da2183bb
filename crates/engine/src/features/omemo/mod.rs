//! OMEMO end-to-end encryption (XEP-0384), both generations: legacy
//! (`eu.siacs.conversations.axolotl`, Conversations, Dino, Gajim, Monal) and OMEMO 2
//! (`urn:xmpp:omemo:2`, Kaidan, python-omemo). The protocol is in the `linnet-omemo` crate;
//! this module is the XMPP side:
//!
//! - [`publish`]: at session start our device (one id and identity for both generations) is
//!   made if missing, added to both device lists without dropping others' entries, and both
//!   bundles are published with `access_model=open` (XEP-0384 §"Publishing"); a device-list
//!   notification for our account that lacks our device puts it back.
//! - [`decrypt`]: an incoming message (live or carbon) carrying `<encrypted/>` has its key
//!   read with the sender device's session (a key exchange starts one, uses up a prekey and
//!   republishes the bundle), its payload decrypted (OMEMO 2: the XEP-0420 envelope, its
//!   `from`/`to` checked) and its body replaced; a message that cannot be decrypted says so
//!   in words instead of showing the sender's fallback text. Identity keys are trusted
//!   before verification (BTBV) and may never change for a known device.

pub(crate) mod activity;
pub(crate) mod bundles;
pub(crate) mod decrypt;
pub(crate) mod group;
pub(crate) mod publish;
pub(crate) mod repair;
pub(crate) mod send;
pub(crate) mod sessions;

use linnet_omemo::xml::{legacy, Encrypted as Omemo2Encrypted};
use linnet_omemo::{Generation, OwnKeys};

/// An `<encrypted/>` element as parsed from a message.
#[derive(Debug, Clone)]
pub(crate) enum Encrypted {
    /// `eu.siacs.conversations.axolotl`.
    Legacy(legacy::Encrypted),
    /// `urn:xmpp:omemo:2`.
    Omemo2(Omemo2Encrypted),
    /// An `<encrypted/>` of this generation that did not parse (bad base64, missing parts).
    Malformed(Generation),
}

impl Encrypted {
    pub(crate) fn generation(&self) -> Generation {
        match self {
            Encrypted::Legacy(_) => Generation::Legacy,
            Encrypted::Omemo2(_) | Encrypted::Malformed(Generation::Omemo2) => Generation::Omemo2,
            Encrypted::Malformed(Generation::Legacy) => Generation::Legacy,
        }
    }

    /// The sending device id (0 for a malformed element).
    pub(crate) fn sid(&self) -> u32 {
        match self {
            Encrypted::Legacy(e) => e.header.sid,
            Encrypted::Omemo2(e) => e.header.sid,
            Encrypted::Malformed(_) => 0,
        }
    }

    /// Takes the OMEMO element out of a message (OMEMO 2 first when both came); one that does
    /// not parse is kept as [`Encrypted::Malformed`], so the fallback body is not shown instead.
    pub(crate) fn take(message: &mut tokio_xmpp::parsers::message::Message) -> Option<Self> {
        use crate::features::inbound::take;
        use linnet_omemo::xml::{NS_LEGACY, NS_OMEMO2};
        let present = |ns: &str| message.payloads.iter().any(|p| p.is("encrypted", ns));
        let (had_omemo2, had_legacy) = (present(NS_OMEMO2), present(NS_LEGACY));
        let omemo2 = take::<Omemo2Encrypted>(message).map(Encrypted::Omemo2);
        let legacy = take::<legacy::Encrypted>(message).map(Encrypted::Legacy);
        omemo2.or(legacy).or_else(|| {
            if had_omemo2 {
                Some(Encrypted::Malformed(Generation::Omemo2))
            } else {
                had_legacy.then_some(Encrypted::Malformed(Generation::Legacy))
            }
        })
    }
}

/// The generation whose device-list node this is (XEP-0384 §4.3).
pub(crate) fn device_list_generation(node: &str) -> Option<Generation> {
    match node {
        linnet_omemo::xml::NODE_LEGACY_DEVICES => Some(Generation::Legacy),
        linnet_omemo::xml::NODE_OMEMO2_DEVICES => Some(Generation::Omemo2),
        _ => None,
    }
}

/// What the store's `encryption` column says of a message: the generation it came in, or
/// that it could not be decrypted.
pub(crate) fn encryption_name(generation: Generation) -> &'static str {
    match generation {
        Generation::Legacy => "omemo",
        Generation::Omemo2 => "omemo2",
    }
}

/// The `encryption` of a message we could not decrypt.
pub(crate) const UNDECRYPTABLE: &str = "undecryptable";

/// Per-account OMEMO state while the actor runs: our device's keys, loaded (or made) at
/// session start.
#[derive(Default)]
pub(crate) struct Omemo {
    pub(crate) keys: Option<OwnKeys>,
    /// Device lists read in this session, by (bare JID, generation).
    pub(crate) lists: std::collections::HashMap<(String, Generation), Vec<u32>>,
    /// Messages waiting for device lists and bundles, by contact.
    pub(crate) preps: std::collections::HashMap<String, send::Prep>,
    /// Row ids of messages whose preparation finished: to queue again.
    pub(crate) ready: Vec<i64>,
    /// Devices sent a heartbeat for their current receiving chain ([`repair`]).
    pub(crate) heartbeats: std::collections::HashSet<repair::DeviceKey>,
    /// Rooms whose features were read: whether OMEMO may be used there, or why not
    /// ([`group`]).
    pub(crate) rooms: std::collections::HashMap<String, Result<(), String>>,
    /// Rooms' members by real bare JID, from their affiliation lists ([`group`]).
    pub(crate) room_members:
        std::collections::HashMap<String, Vec<tokio_xmpp::parsers::jid::BareJid>>,
    /// Sessions read or changed while the account runs ([`sessions`]).
    pub(crate) sessions: std::collections::HashMap<repair::DeviceKey, linnet_omemo::Session>,
    /// Sessions changed in memory and not written yet ([`sessions`]).
    pub(crate) unsaved: std::collections::HashSet<repair::DeviceKey>,
    /// Receiving-chain steps staged since the last write ([`sessions`]).
    pub(crate) unsaved_steps: usize,
    /// Conversations whose encryption setting was checked while the account runs (a
    /// decrypted message turns it on when undecided; once is enough).
    pub(crate) encryption_checked: std::collections::HashSet<String>,
    /// When each device's activity was last written ([`activity`]).
    pub(crate) heard_written: std::collections::HashMap<(String, u32), i64>,
    /// Devices we encrypted for since they were last heard from ([`activity`]).
    pub(crate) sent_since_heard: std::collections::HashSet<(String, u32)>,
    /// Messages from each device whose key failed its MAC, in a row ([`repair`]).
    pub(crate) failures: std::collections::HashMap<repair::DeviceKey, u32>,
    /// Devices whose session was rebuilt while the account runs ([`repair`]).
    pub(crate) rebuilt: std::collections::HashSet<repair::DeviceKey>,
}

/// Why an OMEMO IQ was sent, so its answer can be routed.
#[derive(Debug)]
pub(crate) enum OmemoIq {
    /// Our own device list in this generation, read at session start.
    OwnDevices(Generation),
    /// A publish of ours (a device list or a bundle), logged if refused.
    Published(&'static str),
    /// A device list of `jid`, read to send to `prep` (a contact's bare JID).
    Devices {
        prep: String,
        jid: String,
        generation: Generation,
    },
    /// The bundle of one device, to build a session before sending to `prep`.
    Bundle {
        prep: String,
        jid: String,
        device: u32,
        generation: Generation,
    },
    /// A room's disco#info, read to send to `prep` (the room) ([`group`]).
    RoomInfo { prep: String, room: String },
    /// One of a room's affiliation lists (XEP-0045 §9.5), read to send to `prep` ([`group`]).
    RoomMembers { prep: String, room: String },
    /// The bundle of a device whose session is missing or broken ([`repair`]).
    Rebuild {
        jid: String,
        device: u32,
        generation: Generation,
    },
}

/// Checks a device's identity against the one recorded for it, or records it (trusted before
/// verification; undecided when another device of `jid` is verified) and, when `jid` already
/// had other devices, says so in the conversation: a new device of a contact is never silent.
/// Returns our trust in it.
///
/// Errors, in words: the device presented another identity key than before.
pub(crate) async fn record_identity(
    ctx: &crate::features::Context,
    jid: &str,
    device: u32,
    identity: &linnet_omemo::IdentityKey,
) -> Result<crate::store::Trust, String> {
    use crate::store::Trust;
    let account = ctx.account_id;
    match ctx
        .store
        .omemo_identity(account, jid, device)
        .await
        .map_err(|e| e.to_string())?
    {
        Some((known, _)) if known != *identity => {
            return Err("the device presented a different identity key than before".into())
        }
        Some((_, trust)) => return Ok(trust),
        None => {}
    }
    let known = ctx
        .store
        .omemo_identities(account, jid)
        .await
        .map_err(|e| e.to_string())?;
    // Blind Trust Before Verification: once one of the owner's devices is verified, new ones
    // wait for the user's decision.
    let trust = if known.iter().any(|(_, _, t, _)| *t == Trust::Verified) {
        Trust::Undecided
    } else {
        Trust::Blind
    };
    let new = ctx
        .store
        .add_omemo_identity(account, jid, device, identity, trust)
        .await
        .map_err(|e| e.to_string())?;
    if new && !known.is_empty() && jid != ctx.jid.as_str() {
        let line = if trust == Trust::Undecided {
            format!(
                "{jid} uses a new OMEMO device ({}). You verified their other device, so nothing \
                 is encrypted to this one until you compare its fingerprint with them and mark it \
                 verified, or accept it.",
                identity.fingerprint()
            )
        } else {
            format!(
                "{jid} uses a new OMEMO device ({}). Compare its fingerprint with them to verify it.",
                identity.fingerprint()
            )
        };
        match ctx.store.insert_chat_system_line(account, jid, &line).await {
            Ok(id) => ctx.emit(crate::event::EngineEvent::MessagesChanged {
                account_id: account,
                peer: jid.to_owned(),
                ids: vec![id],
                live: false,
            }),
            Err(e) => tracing::warn!(account, "storing a system line: {e}"),
        }
    }
    Ok(trust)
}
