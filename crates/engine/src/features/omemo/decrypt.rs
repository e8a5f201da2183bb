//! Incoming OMEMO messages (XEP-0384 §"Receiving a message"), both generations.

use linnet_omemo::payload::{open_legacy, open_omemo2};
use linnet_omemo::sce::Envelope;
use linnet_omemo::session::KeyExchange;
use linnet_omemo::{Generation, OmemoError, OsEntropy, Session};
use tokio_xmpp::parsers::jid::BareJid;

use super::{encryption_name, Encrypted, Omemo, UNDECRYPTABLE};
use crate::features::inbound::Content;
use crate::features::Context;
use crate::store::Trust;

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
        OmemoError::OutOfOrder(what) => format!("it arrived too far out of order ({what})"),
        other => other.to_string(),
    }
}

impl Omemo {
    /// Decrypts `content` in place when it carries `<encrypted/>` from `sender` (bare JID)
    /// addressed to `recipient` (ours, or the contact's for a carbon of our own message): the
    /// body becomes the plaintext, or a notice saying why it could not be decrypted; an empty
    /// OMEMO message keeps no body. `content.encryption` says which.
    pub(crate) async fn decrypt(
        &mut self,
        ctx: &mut Context,
        sender: &BareJid,
        recipient: &BareJid,
        content: &mut Content,
    ) {
        let Some(encrypted) = content.encrypted.take() else {
            return;
        };
        let generation = encrypted.generation();
        let plaintext = match self.open(ctx, sender, &encrypted).await {
            Ok(Opened::Empty) => {
                content.body = None;
                content.encryption = Some(encryption_name(generation));
                return;
            }
            Ok(Opened::Plain(bytes)) => bytes,
            Err(reason) => return undecryptable(ctx, content, sender, &reason),
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
                // The conversation is encrypted now: our replies will be too, unless the
                // user turned OMEMO off for it.
                let peer = if *sender == ctx.jid {
                    recipient
                } else {
                    sender
                };
                if ctx
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

    async fn open(
        &mut self,
        ctx: &mut Context,
        sender: &BareJid,
        encrypted: &Encrypted,
    ) -> Result<Opened, String> {
        let generation = encrypted.generation();
        let keys = self.keys.as_mut().ok_or("this device has no OMEMO keys")?;
        let own_id = keys.device_id();
        let sid = encrypted.sid();
        let key = match encrypted {
            Encrypted::Legacy(e) => e
                .header
                .keys
                .iter()
                .find(|k| k.rid == own_id)
                .map(|k| (k.data.as_slice(), k.prekey)),
            Encrypted::Omemo2(e) => e
                .key_for(ctx.jid.as_str(), own_id)
                .map(|k| (k.data.as_slice(), k.kex)),
            Encrypted::Malformed(_) => return Err("its OMEMO element is malformed".into()),
        };
        let (data, is_kex) = key.ok_or("it was not encrypted for this device")?;
        let jid = sender.as_str();
        let account = ctx.account_id;
        let stored = ctx
            .store
            .omemo_session(account, jid, sid, generation)
            .await
            .map_err(|e| e.to_string())?;
        let mut used_prekey = None;
        let (session, key_material) = if is_kex {
            let kex = KeyExchange::parse(generation, data).map_err(|e| words(&e))?;
            match stored {
                Some(mut session) if session.is_same_kex(&kex) => {
                    let km = session
                        .decrypt_kex_message(&kex, &mut OsEntropy)
                        .map_err(|e| words(&e))?;
                    (session, km)
                }
                _ => {
                    match super::record_identity(ctx, jid, sid, &kex.identity).await? {
                        Trust::Untrusted => {
                            return Err("you marked the sender's device as untrusted".into())
                        }
                        Trust::Blind | Trust::Verified => {}
                    }
                    let (session, km) =
                        Session::respond(keys, &kex, &mut OsEntropy).map_err(|e| words(&e))?;
                    used_prekey = Some(kex.pk_id);
                    (session, km)
                }
            }
        } else {
            let mut session = stored.ok_or_else(|| words(&OmemoError::NoSession))?;
            if let Some((_, Trust::Untrusted)) = ctx
                .store
                .omemo_identity(account, jid, sid)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err("you marked the sender's device as untrusted".into());
            }
            let km = session
                .decrypt(data, &mut OsEntropy)
                .map_err(|e| words(&e))?;
            (session, km)
        };
        // The session and a used prekey's removal are kept together.
        let own = used_prekey.map(|pk_id| {
            keys.remove_pre_key(pk_id);
            keys.replenish(&mut OsEntropy);
            &*keys
        });
        if let Err(e) = ctx
            .store
            .put_omemo_session(account, jid, sid, &session, own)
            .await
        {
            tracing::warn!(account, "OMEMO session with {jid}/{sid} not stored: {e}");
        }
        if used_prekey.is_some() {
            self.publish_bundles(ctx);
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
        match payload {
            None => Ok(Opened::Empty),
            Some(Ok(plain)) => Ok(Opened::Plain(plain)),
            Some(Err(e)) => Err(words(&e)),
        }
    }
}

fn undecryptable(ctx: &Context, content: &mut Content, sender: &BareJid, reason: &str) {
    tracing::info!(
        account = ctx.account_id,
        "OMEMO message from {sender} not decrypted: {reason}"
    );
    content.body = Some(format!(
        "This message is end-to-end encrypted (OMEMO) and could not be decrypted on this device: {reason}."
    ));
    content.encryption = Some(UNDECRYPTABLE);
}
