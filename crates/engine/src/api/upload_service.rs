//! Finding the account's HTTP File Upload service (XEP-0363 §2) and its size limit, and
//! waiting for the account to be online before an upload.

use tokio_xmpp::parsers::disco::{
    DiscoInfoQuery, DiscoInfoResult, DiscoItemsQuery, DiscoItemsResult,
};
use tokio_xmpp::parsers::iq::Iq;

use crate::features::files::{self as protocol, UploadService};
use crate::*;

/// What a server without an upload service means for the user.
pub(crate) const NO_SERVICE: &str =
    "Your server offers no file upload (XEP-0363), so files cannot be sent from this account.";

impl Engine {
    /// The largest file the account's server takes by HTTP File Upload, bytes (XEP-0363 §2),
    /// `None` when the service names no limit.
    ///
    /// Errors: [`EngineError::NotConnected`] when offline, [`EngineError::File`] when the
    /// server has no upload service.
    pub async fn upload_limit(&self, account_id: i64) -> Result<Option<u64>, EngineError> {
        match self.upload_service(account_id).await? {
            Some(service) => Ok(service.max_size),
            None => Err(EngineError::File(NO_SERVICE.into())),
        }
    }

    /// The account's upload service (XEP-0363 §2): the first item of our server's disco#items
    /// whose disco#info has the feature; cached once known, also when there is none.
    ///
    /// Errors: [`EngineError::NotConnected`] when offline (nothing cached then).
    pub(crate) async fn upload_service(
        &self,
        account_id: i64,
    ) -> Result<Option<UploadService>, EngineError> {
        if let Some(known) = self.inner.uploads.services.lock().await.get(&account_id) {
            return Ok(known.clone());
        }
        let account = self.account(account_id).await?;
        let domain = parse_bare_jid(&account.jid)?.domain().to_owned();
        let items = self
            .request(
                account_id,
                Iq::from_get(
                    features::new_id(),
                    DiscoItemsQuery {
                        node: None,
                        rsm: None,
                    },
                )
                .with_to(Jid::from(domain)),
            )
            .await?
            .and_then(|p| DiscoItemsResult::try_from(p).ok())
            .map(|r| r.items)
            .unwrap_or_default();
        let mut found = None;
        for item in items.into_iter().filter(|i| i.node.is_none()) {
            let info = self
                .request(
                    account_id,
                    Iq::from_get(features::new_id(), DiscoInfoQuery { node: None })
                        .with_to(item.jid.clone()),
                )
                .await;
            let info = match info {
                Ok(payload) => payload.and_then(|p| DiscoInfoResult::try_from(p).ok()),
                Err(EngineError::NotConnected) => return Err(EngineError::NotConnected),
                Err(_) => None, // an item that refuses disco is not the upload service
            };
            if let Some(service) = info.and_then(|i| protocol::upload_service(item.jid, &i)) {
                found = Some(service);
                break;
            }
        }
        self.inner
            .uploads
            .services
            .lock()
            .await
            .insert(account_id, found.clone());
        Ok(found)
    }

    /// Waits until the account is online (checked again on every state change and every 5 s).
    pub(crate) async fn wait_online(&self, account_id: i64) {
        let mut events = self.subscribe();
        loop {
            if matches!(self.state(account_id).await, ConnectionState::Online) {
                return;
            }
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                loop {
                    match events.recv().await {
                        Ok(EngineEvent::AccountState { account_id: a, .. }) if a == account_id => {
                            return
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            std::future::pending::<()>().await
                        }
                        Ok(_) => {}
                    }
                }
            })
            .await;
        }
    }
}
