//! OMEMO (XEP-0384): what the user sees of our own device.

use serde::Serialize;
use ts_rs::TS;

use crate::*;

/// Our OMEMO device on one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OwnDevice {
    /// Device id (1..2^31−1), the same in both OMEMO generations.
    pub device_id: u32,
    /// Fingerprint of the identity key as Conversations, Dino and Gajim show it: 64 lower-case
    /// hex digits of the Curve25519 key in groups of eight.
    pub fingerprint: String,
    /// `xmpp:` URI (RFC 5122) with `omemo-sid-<device id>=<fingerprint>`, as Conversations
    /// puts in its QR codes, so a contact can verify us by scanning.
    pub uri: String,
}

/// A contact's (or our own other) OMEMO device as we know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DeviceView {
    /// Device id.
    pub device_id: u32,
    /// Its identity key's fingerprint, grouped as [`OwnDevice::fingerprint`].
    pub fingerprint: String,
    /// Our trust in it.
    pub trust: crate::store::Trust,
    /// When we first saw it, unix ms.
    pub first_seen: i64,
    /// When it last sent us something we decrypted, unix ms (`None`: never).
    pub last_heard: Option<i64>,
    /// Silent for 30 days while 100 of our messages went unanswered (XEP-0384 §7.4): no longer
    /// encrypted for while its owner has another device.
    pub stale: bool,
}

impl Engine {
    /// The OMEMO devices of `peer` (a bare JID; ours for our other devices) that we have seen,
    /// oldest first, with their fingerprints and our trust in them.
    ///
    /// Errors: [`EngineError::InvalidJid`]; store errors.
    pub async fn omemo_devices(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<Vec<DeviceView>, EngineError> {
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        let store = &self.inner.store;
        let now = crate::store::now_ms();
        let mut views = Vec::new();
        for (device_id, key, trust, first_seen) in store.omemo_identities(account_id, &peer).await?
        {
            let activity = store.omemo_activity(account_id, &peer, device_id).await?;
            views.push(DeviceView {
                device_id,
                fingerprint: key.fingerprint(),
                trust,
                first_seen,
                last_heard: activity.and_then(|a| a.last_heard),
                stale: activity.is_some_and(|a| a.stale(now)),
            });
        }
        Ok(views)
    }

    /// Sets our trust in one device of `peer`: `verified` after comparing fingerprints,
    /// `untrusted` to stop encrypting to it and reading from it, `blind` to go back.
    ///
    /// Errors: [`EngineError::NotFound`] for a device we have not seen; store errors.
    pub async fn set_omemo_trust(
        &self,
        account_id: i64,
        peer: &str,
        device_id: u32,
        trust: crate::store::Trust,
    ) -> Result<(), EngineError> {
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        if !self
            .inner
            .store
            .set_omemo_trust(account_id, &peer, device_id, trust)
            .await?
        {
            return Err(EngineError::NotFound(format!(
                "OMEMO device {device_id} of {peer}"
            )));
        }
        self.emit(EngineEvent::ConversationsChanged);
        Ok(())
    }

    /// Whether what we send to `peer` (a bare JID) is encrypted with OMEMO: `Some(true)` on,
    /// `Some(false)` off by the user, `None` undecided (turned on when the contact first
    /// writes to us encrypted).
    ///
    /// Errors: [`EngineError::InvalidJid`]; store errors.
    pub async fn conversation_encryption(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<Option<bool>, EngineError> {
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        self.inner
            .store
            .conversation_encryption(account_id, &peer)
            .await
    }

    /// Turns OMEMO on or off for what we send to `peer` from now on. A message written while
    /// it is on is sent encrypted or not at all.
    ///
    /// Errors: [`EngineError::InvalidJid`]; store errors.
    pub async fn set_conversation_encryption(
        &self,
        account_id: i64,
        peer: &str,
        on: bool,
    ) -> Result<(), EngineError> {
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        self.inner
            .store
            .set_conversation_encryption(account_id, &peer, on)
            .await?;
        self.emit(EngineEvent::ConversationsChanged);
        Ok(())
    }

    /// Our OMEMO device on this account; `None` until the account first connected (the keys
    /// are made then).
    ///
    /// Errors: store errors, [`EngineError::Corrupt`] when the stored keys do not read back.
    pub async fn own_omemo_device(
        &self,
        account_id: i64,
    ) -> Result<Option<OwnDevice>, EngineError> {
        let account = self.inner.store.account(account_id).await?;
        Ok(self
            .inner
            .store
            .omemo_own(account_id)
            .await?
            .map(|keys| OwnDevice {
                device_id: keys.device_id(),
                fingerprint: keys.identity().public().fingerprint(),
                uri: format!(
                    "xmpp:{jid}?omemo-sid-{id}={hex}",
                    jid = account.jid,
                    id = keys.device_id(),
                    hex = keys.identity().public().fingerprint().replace(' ', "")
                ),
            }))
    }
}
