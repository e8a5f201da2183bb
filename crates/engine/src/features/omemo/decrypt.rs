//! Incoming OMEMO messages (XEP-0384 §"Receiving a message"), both generations.

use linnet_omemo::payload::{open_legacy, open_omemo2};
use linnet_omemo::sce::Envelope;
use linnet_omemo::session::KeyExchange;
use linnet_omemo::{Generation, OmemoError, OsEntropy, Session};
use tokio_xmpp::parsers::jid::BareJid;

use super::{encryption_name, Encrypted, Omemo, UNDECRYPTABLE};
use crate::features::inbound::Content;
use crate::features::Context;

/// What a message held once its key was read.
enum Opened {
    /// No payload: a key transport, session completion or heartbeat.
    Empty,
    /// The body (legacy) or SCE envelope (OMEMO 2) bytes.
    Plain(Vec<u8>),
}

/// The reason, in words a person can act on.
fn words(error: &OmemoError) -> String {
    match error {
        OmemoError::NoSession => {
            "this device has no session with the sender's device yet; ask them to send again".into()
        }
        OmemoError::BadMac => "it failed its integrity check".into(),
        OmemoError::UnknownPreKey(_) | OmemoError::UnknownSignedPreKey(_) => {
            "it was started with a key this device no longer has; ask the sender to send again"
                .into()
        }
        OmemoError::IdentityMismatch => {
            "the sender's device presented a different identity key than before".into()
        }
        OmemoError::OutOfOrder("message key already used") => {
            "it was received once already (a replayed copy)".into()
        }
        OmemoError::OutOfOrder(what) => format!("it arrived too far out of order ({what})"),
        other => other.to_string(),
    }
}

/// Whether a failure calls for a new session with the sending device ([`super::repair`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rebuild {
    /// No: a new session would not cure it (a replay, a bad payload, a distrusted key).
    No,
    /// Yes: there is no session, or the key exchange names a prekey we no longer have.
    Now,
    /// A key that failed its MAC: the session may be broken, or the message was changed on
    /// the way. A healthy session is not thrown away for one bad message (messages in flight
    /// on it would be lost), only when the next one fails too.
    IfRepeated,
}

/// Why a message could not be opened.
struct Failure {
    /// In words, for the conversation.
    reason: String,
    rebuild: Rebuild,
}

impl Failure {
    /// A failure that a new session would not cure.
    fn final_(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            rebuild: Rebuild::No,
        }
    }

    /// A session-level failure.
    fn session(error: &OmemoError) -> Self {
        let rebuild = match error {
            OmemoError::OutOfOrder(_) => Rebuild::No,
            OmemoError::BadMac => Rebuild::IfRepeated,
            _ => Rebuild::Now,
        };
        Failure {
            reason: words(error),
            rebuild,
        }
    }
}

impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Failure::final_(reason)
    }
}

impl Omemo {
    /// Decrypts `content` in place when it carries `<encrypted/>` from `sender` (bare JID)
    /// addressed to `recipient` (ours, the contact's for a carbon of our own message, or the
    /// room), in `conversation` (`None`: the contact, whichever of the two is not us): the
    /// body becomes the plaintext, or a notice saying why it could not be decrypted; an empty
    /// OMEMO message keeps no body. `content.encryption` says which, and
    /// `content.omemo_device` names the sending device. A failure caused by a missing or broken
    /// session starts rebuilding it; a new session is answered by a completion message.
    pub(crate) async fn decrypt(
        &mut self,
        ctx: &mut Context,
        sender: &BareJid,
        recipient: &BareJid,
        conversation: Option<&BareJid>,
        content: &mut Content,
    ) {
        let Some(encrypted) = content.encrypted.take() else {
            return;
        };
        let generation = encrypted.generation();
        let device = (sender.to_string(), encrypted.sid(), generation);
        let plaintext = match self.open(ctx, sender, &encrypted).await {
            Ok((opened, new_session, chain)) => {
                self.failures.remove(&device);
                self.heard(ctx, &device.0, device.1).await;
                self.after_decrypt(ctx, device.clone(), new_session, chain)
                    .await;
                match opened {
                    Opened::Empty => {
                        content.body = None;
                        content.encryption = Some(encryption_name(generation));
                        return;
                    }
                    Opened::Plain(bytes) => bytes,
                }
            }
            Err(failure) => {
                let rebuild = match failure.rebuild {
                    Rebuild::No => false,
                    Rebuild::Now => true,
                    Rebuild::IfRepeated => {
                        let failed = self.failures.entry(device.clone()).or_default();
                        *failed += 1;
                        *failed >= 2
                    }
                };
                if rebuild {
                    self.rebuild(ctx, device);
                }
                return undecryptable(ctx, content, sender, &failure.reason);
            }
        };
        let body = match generation {
            Generation::Legacy => {
                String::from_utf8(plaintext).map_err(|_| "its text is not UTF-8".to_owned())
            }
            Generation::Omemo2 => Envelope::parse(&plaintext)
                .and_then(|envelope| {
                    envelope.check(sender.as_str(), recipient.as_str(), false)?;
                    Ok(envelope.body())
                })
                .map(|body| body.unwrap_or_default())
                .map_err(|e| words(&e)),
        };
        match body {
            Ok(body) => {
                content.body = Some(body).filter(|b| !b.is_empty());
                content.encryption = Some(encryption_name(generation));
                content.omemo_device = Some((device.0, device.1));
                // The conversation is encrypted now: our replies will be too, unless the
                // user turned OMEMO off for it.
                let peer = conversation.unwrap_or(if *sender == ctx.jid {
                    recipient
                } else {
                    sender
                });
                if self.encryption_checked.insert(peer.to_string())
                    && ctx
                        .store
                        .encrypt_unless_decided(ctx.account_id, peer.as_str())
                        .await
                        .unwrap_or(false)
                {
                    ctx.emit(crate::event::EngineEvent::ConversationsChanged);
                }
            }
            Err(reason) => undecryptable(ctx, content, sender, &reason),
        }
    }

    /// Reads the message key with the sending device's session (a key exchange starts a new
    /// one) and opens the payload. Returns what it held, whether a new session was started and
    /// the session's receiving-chain length.
    async fn open(
        &mut self,
        ctx: &mut Context,
        sender: &BareJid,
        encrypted: &Encrypted,
    ) -> Result<(Opened, bool, u32), Failure> {
        let generation = encrypted.generation();
        let own_id = self
            .keys
            .as_ref()
            .ok_or_else(|| Failure::final_("this device has no OMEMO keys"))?
            .device_id();
        let sid = encrypted.sid();
        let (key, has_payload) = match encrypted {
            Encrypted::Legacy(e) => (
                e.header
                    .keys
                    .iter()
                    .find(|k| k.rid == own_id)
                    .map(|k| (k.data.as_slice(), k.prekey)),
                e.payload.is_some(),
            ),
            Encrypted::Omemo2(e) => (
                e.key_for(ctx.jid.as_str(), own_id)
                    .map(|k| (k.data.as_slice(), k.kex)),
                e.payload.is_some(),
            ),
            Encrypted::Malformed(_) => {
                return Err(Failure::final_("its OMEMO element is malformed"))
            }
        };
        let Some((data, is_kex)) = key else {
            // An empty message for another device (a heartbeat of our other device, seen as a
            // carbon) is nothing to show.
            if !has_payload {
                return Ok((Opened::Empty, false, 0));
            }
            return Err(Failure::final_("it was not encrypted for this device"));
        };
        let jid = sender.as_str();
        let account = ctx.account_id;
        let stored = self
            .session(ctx, jid, sid, generation)
            .await
            .map_err(|e| Failure::final_(e.to_string()))?;
        let mut used_prekey = None;
        let (session, key_material) = if is_kex {
            let kex =
                KeyExchange::parse(generation, data).map_err(|e| Failure::final_(words(&e)))?;
            match stored {
                Some(mut session) if session.is_same_kex(&kex) => {
                    let km = session
                        .decrypt_kex_message(&kex, &mut OsEntropy)
                        .map_err(|e| Failure::final_(words(&e)))?;
                    (session, km)
                }
                _ => {
                    super::record_identity(ctx, jid, sid, &kex.identity).await?;
                    let keys = self
                        .keys
                        .as_ref()
                        .ok_or_else(|| Failure::final_("this device has no OMEMO keys"))?;
                    let (session, km) =
                        Session::respond(keys, &kex, &mut OsEntropy).map_err(|e| match e {
                            OmemoError::UnknownPreKey(_) | OmemoError::UnknownSignedPreKey(_) => {
                                Failure::session(&e)
                            }
                            other => Failure::final_(words(&other)),
                        })?;
                    used_prekey = Some(kex.pk_id);
                    (session, km)
                }
            }
        } else {
            let mut session = stored.ok_or_else(|| Failure::session(&OmemoError::NoSession))?;
            let km = session
                .decrypt(data, &mut OsEntropy)
                .map_err(|e| Failure::session(&e))?;
            (session, km)
        };
        let chain = session.receiving_chain_length();
        match used_prekey {
            // A new session and the used prekey's removal are written together, at once.
            Some(pk_id) => {
                let mut keys = self.keys.take();
                if let Some(keys) = keys.as_mut() {
                    keys.remove_pre_key(pk_id);
                    keys.replenish(&mut OsEntropy);
                }
                let saved = self
                    .save_session(ctx, jid, sid, session, keys.as_ref())
                    .await;
                self.keys = keys;
                if let Err(e) = saved {
                    tracing::warn!(account, "OMEMO session with {jid}/{sid} not stored: {e}");
                }
                self.publish_bundles(ctx);
            }
            None => self.stage_session(ctx, jid, sid, session).await,
        }
        let payload = match encrypted {
            Encrypted::Legacy(e) => e
                .payload
                .as_ref()
                .map(|p| open_legacy(&key_material, &e.header.iv.data, &p.data)),
            Encrypted::Omemo2(e) => e
                .payload
                .as_ref()
                .map(|p| open_omemo2(&key_material, &p.data)),
            Encrypted::Malformed(_) => None,
        };
        let new_session = used_prekey.is_some();
        match payload {
            None => Ok((Opened::Empty, new_session, chain)),
            Some(Ok(plain)) => Ok((Opened::Plain(plain), new_session, chain)),
            // The key was sound, so the session is: only this payload is bad.
            Some(Err(e)) => Err(Failure::final_(words(&e))),
        }
    }
}

pub(crate) fn undecryptable(ctx: &Context, content: &mut Content, sender: &BareJid, reason: &str) {
    tracing::info!(
        account = ctx.account_id,
        "OMEMO message from {sender} not decrypted: {reason}"
    );
    content.body = Some(format!(
        "This message is end-to-end encrypted (OMEMO) and could not be decrypted on this device: {reason}."
    ));
    content.encryption = Some(UNDECRYPTABLE);
}
