//! Blocking (XEP-0191): the account's blocklist, kept by the server, which then drops
//! everything from a blocked JID (messages, presence, IQs; XEP-0191 §3.5) and hides our
//! presence from it. Blocking a domain (`example.org`) blocks everyone there. Changes made by
//! another client of ours arrive as pushes (`features::iq`) and come out as
//! [`EngineEvent::BlocklistChanged`].

use tokio_xmpp::parsers::blocking::{Block, BlocklistRequest, BlocklistResult, Unblock};
use tokio_xmpp::parsers::iq::Iq;

use crate::*;

impl Engine {
    /// The JIDs the account blocks (XEP-0191 §3.2), as the server keeps them, sorted.
    ///
    /// Errors: [`EngineError::NotConnected`] when offline, [`EngineError::Server`] when the
    /// server has no blocking (`service-unavailable`) or refuses, [`EngineError::Server`]
    /// for an answer that is no blocklist.
    pub async fn blocklist(&self, account_id: i64) -> Result<Vec<String>, EngineError> {
        let iq = Iq::from_get(features::new_id(), BlocklistRequest);
        let payload = self
            .request(account_id, iq)
            .await?
            .ok_or_else(|| EngineError::Server("the server sent no blocklist".into()))?;
        let list = BlocklistResult::try_from(payload)
            .map_err(|e| EngineError::Server(format!("unreadable blocklist: {e}")))?;
        let mut jids: Vec<String> = list.items.iter().map(ToString::to_string).collect();
        jids.sort();
        Ok(jids)
    }

    /// Blocks `jid` (a bare JID, or a domain) on the account (XEP-0191 §3.3).
    ///
    /// Errors: [`EngineError::InvalidJid`] for an address that is no JID; then as
    /// [`Self::blocklist`].
    pub async fn block(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        self.change_blocklist(account_id, jid, true).await
    }

    /// Unblocks `jid` on the account (XEP-0191 §3.4).
    ///
    /// Errors: as [`Self::block`].
    pub async fn unblock(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        self.change_blocklist(account_id, jid, false).await
    }

    /// Sends `<block/>` or `<unblock/>` for one JID and tells the UI.
    async fn change_blocklist(
        &self,
        account_id: i64,
        jid: &str,
        block: bool,
    ) -> Result<(), EngineError> {
        let target = Jid::new(jid.trim()).map_err(|e| EngineError::InvalidJid {
            input: jid.to_owned(),
            reason: e.to_string(),
        })?;
        let items = vec![target];
        let iq = if block {
            Iq::from_set(features::new_id(), Block { items })
        } else {
            Iq::from_set(features::new_id(), Unblock { items })
        };
        self.request(account_id, iq).await?;
        self.emit(EngineEvent::BlocklistChanged { account_id });
        Ok(())
    }
}
