//! Avatars (XEP-0084 with XEP-0153 as the fallback): the pictures the engine keeps, and
//! setting or removing our own. Contacts' pictures arrive by themselves (`features::avatar`).

use crate::features::avatar::{self, OwnAvatar};
use crate::*;

impl Engine {
    /// The PNG (at most 128 px square) kept for the picture with SHA-1 `hash` (40 hex
    /// digits), as [`EngineEvent::AvatarChanged`] and the views name it; `None` when it is
    /// not here. Never touches the network.
    ///
    /// Errors: [`EngineError::Storage`].
    pub async fn avatar_png(&self, hash: &str) -> Result<Option<Vec<u8>>, EngineError> {
        self.inner.store.avatar_image(hash).await
    }

    /// Makes `picture` (PNG, JPEG, GIF or WebP bytes) our avatar on the account, cut square
    /// from its centre and at most 192 px: published to PEP (XEP-0084 §4.1 data, then §4.2
    /// metadata) and into our vCard (XEP-0153 §3.1, other fields kept); `None` removes it
    /// (empty metadata, §4.5; the vCard without its photo). Our presence then carries the
    /// new hash. Returns the hash (`None` after a removal).
    ///
    /// Errors: [`EngineError::File`] for bytes that are no picture (in words);
    /// [`EngineError::NotConnected`] when offline; [`EngineError::Server`] when the server
    /// refuses the PEP publish (a vCard the server will not take is logged, not an error:
    /// PEP is the avatar's home).
    pub async fn set_avatar(
        &self,
        account_id: i64,
        picture: Option<Vec<u8>>,
    ) -> Result<Option<String>, EngineError> {
        let own = match picture {
            Some(bytes) => Some(
                tokio::task::spawn_blocking(move || OwnAvatar::from_picture(&bytes))
                    .await
                    .map_err(|e| EngineError::File(format!("the picture was not made: {e}")))?
                    .map_err(EngineError::File)?,
            ),
            None => None,
        };
        if let Some(own) = &own {
            self.request(account_id, avatar::publish_data(own)).await?;
        }
        let metadata = avatar::publish_metadata(own.as_ref()).map_err(EngineError::File)?;
        self.request(account_id, metadata).await?;
        let current = self
            .request(account_id, avatar::vcard_request(None))
            .await
            .unwrap_or(None);
        let vcard = avatar::vcard_set(current.as_ref(), own.as_ref());
        if let Err(e) = self.request(account_id, vcard).await {
            tracing::warn!(account = account_id, "our vCard was not updated: {e}");
        }
        let jid = self.inner.store.account(account_id).await?.jid;
        let hash = own.as_ref().map(|o| o.hash.clone());
        if let Some(own) = &own {
            let png = own.png.clone();
            let shown = tokio::task::spawn_blocking(move || avatar::shown_png(&png))
                .await
                .map_err(|e| EngineError::File(format!("the picture was not made: {e}")))?
                .map_err(EngineError::File)?;
            self.inner.store.set_avatar_image(&own.hash, &shown).await?;
        }
        if self
            .inner
            .store
            .set_avatar(account_id, &jid, hash.as_deref())
            .await?
        {
            self.emit(EngineEvent::AvatarChanged {
                account_id,
                jid,
                hash: hash.clone(),
            });
        }
        Ok(hash)
    }
}
