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
}

impl Engine {
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
        Ok(self
            .inner
            .store
            .omemo_own(account_id)
            .await?
            .map(|keys| OwnDevice {
                device_id: keys.device_id(),
                fingerprint: keys.identity().public().fingerprint(),
            }))
    }
}
