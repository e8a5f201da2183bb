//! Keeping OMEMO sessions working without the user's help (XEP-0384 §5.4 "Sending a key
//! exchange", §7.2 "Heartbeats", §7.3 "Recovering from broken sessions"):
//!
//! - **Completion**: when a key exchange from a device starts a new session, an empty OMEMO
//!   message (a header with one key, no payload) goes back to that device at once, so it stops
//!   attaching the key exchange to every message.
//! - **Heartbeat**: once a device has sent us more than [`HEARTBEAT_CHAIN`] messages on one
//!   receiving chain while we wrote nothing, an empty message moves the ratchet on (forward
//!   secrecy does not wait for our next reply). One per chain.
//! - **Rebuild**: a message that cannot be decrypted because our session with its device is
//!   missing or broken (no session, a key exchange naming a prekey we no longer have, or a
//!   failed MAC on the key twice in a row: once may be a message changed on the way, and
//!   throwing a healthy session away would lose the messages in flight on it) makes us fetch
//!   that device's bundle, start a new session from it and announce
//!   it with an empty key-exchange message: the sender's next message decrypts, and the
//!   conversation is never stuck. At most once per device and generation while the account runs, so a
//!   flood of bad messages costs one bundle fetch.

use linnet_omemo::xml::{self, legacy};
use linnet_omemo::{Entropy, Generation, OsEntropy};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::message::{Id, Message, MessageType};
use tokio_xmpp::parsers::stanza_error::StanzaError;

use super::bundles::bundle_request;
use super::{Omemo, OmemoIq};
use crate::features::{Context, IqPurpose};

/// Receiving-chain length above which we send a heartbeat (python-omemo and XEP-0384's
/// suggestion: 53).
pub(crate) const HEARTBEAT_CHAIN: u32 = 53;

/// One remote device in one generation.
pub(crate) type DeviceKey = (String, u32, Generation);

impl Omemo {
    /// After a message from `jid`'s `device` was decrypted: a completion message when it started a
    /// new session (`new_session`), a heartbeat when the receiving chain has grown past
    /// [`HEARTBEAT_CHAIN`] (once per chain).
    pub(crate) async fn after_decrypt(
        &mut self,
        ctx: &mut Context,
        device: DeviceKey,
        new_session: bool,
        chain_length: u32,
    ) {
        if new_session {
            self.heartbeats.remove(&device);
            self.send_empty(ctx, &device).await;
        } else if chain_length <= HEARTBEAT_CHAIN {
            self.heartbeats.remove(&device);
        } else if self.heartbeats.insert(device.clone()) {
            self.send_empty(ctx, &device).await;
        }
    }

    /// Starts rebuilding the session with one device whose message could not be decrypted:
    /// asks for its bundle (once per device and generation while the account runs). The answer goes to
    /// [`Omemo::on_rebuild_bundle`].
    pub(crate) fn rebuild(&mut self, ctx: &mut Context, device: DeviceKey) {
        if !self.rebuilt.insert(device.clone()) {
            return;
        }
        let (jid, id, generation) = device;
        let Ok(bare) = BareJid::new(&jid) else { return };
        tracing::info!(
            account = ctx.account_id,
            "rebuilding the OMEMO session with {jid}/{id}"
        );
        ctx.request(
            bundle_request(&bare, id, generation),
            IqPurpose::Omemo(OmemoIq::Rebuild {
                jid,
                device: id,
                generation,
            }),
        );
    }

    /// The bundle asked for by [`Omemo::rebuild`]: a new session replaces the broken one and is
    /// announced to the device by an empty key-exchange message.
    pub(crate) async fn on_rebuild_bundle(
        &mut self,
        ctx: &mut Context,
        device: DeviceKey,
        answer: Result<Option<Element>, StanzaError>,
    ) {
        let (jid, id, generation) = &device;
        match self.build_session(ctx, jid, *id, *generation, answer).await {
            Ok(()) => self.send_empty(ctx, &device).await,
            Err(reason) => tracing::info!(
                account = ctx.account_id,
                "the OMEMO session with {jid}/{id} could not be rebuilt: {reason}"
            ),
        }
    }

    /// Sends an empty OMEMO message (XEP-0384 §7: fresh key material encrypted for one device, no
    /// payload; a key exchange while the session is unconfirmed) to `device`, with a store hint so
    /// an offline device gets it from its archive. Nothing is sent without a stored session.
    pub(crate) async fn send_empty(&mut self, ctx: &mut Context, device: &DeviceKey) {
        let (jid, id, generation) = device;
        let Some(keys) = self.keys.as_ref() else {
            return;
        };
        let sid = keys.device_id();
        let account = ctx.account_id;
        let mut session = match self.session(ctx, jid, *id, *generation).await {
            Ok(Some(session)) => session,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(account, "OMEMO session unreadable: {e}");
                return;
            }
        };
        let Ok(to) = BareJid::new(jid) else { return };
        // Legacy key material is an AES key and a GCM tag (32 bytes); OMEMO 2's an AES key and an
        // HMAC (48 bytes). It protects nothing here, so it is random.
        let mut material = vec![
            0u8;
            if *generation == Generation::Legacy {
                32
            } else {
                48
            }
        ];
        OsEntropy.fill(&mut material);
        let key = match session.encrypt(&material) {
            Ok(key) => key,
            Err(e) => {
                tracing::info!(account, "no empty OMEMO message to {jid}/{id}: {e}");
                return;
            }
        };
        let element: Element = match generation {
            Generation::Legacy => {
                let mut iv = vec![0u8; 12];
                OsEntropy.fill(&mut iv);
                legacy::Encrypted {
                    header: legacy::Header {
                        sid,
                        keys: vec![legacy::Key {
                            rid: *id,
                            prekey: key.kex,
                            data: key.data,
                        }],
                        iv: legacy::IV { data: iv },
                    },
                    payload: None,
                }
                .into()
            }
            Generation::Omemo2 => xml::Encrypted {
                header: xml::Header {
                    sid,
                    keys: vec![xml::Keys {
                        jid: jid.clone(),
                        keys: vec![xml::Key {
                            rid: *id,
                            kex: key.kex,
                            data: key.data,
                        }],
                    }],
                },
                payload: None,
            }
            .into(),
        };
        if let Err(e) = self.save_session(ctx, jid, *id, session, None).await {
            tracing::warn!(account, "OMEMO session with {jid}/{id} not stored: {e}");
            return;
        }
        let mut message = Message::new(Some(Jid::from(to)));
        message.type_ = MessageType::Chat;
        message.id = Some(Id(crate::features::new_id()));
        message.payloads.push(element);
        message.payloads.push(crate::features::facets::store_hint());
        ctx.send(message);
    }
}
