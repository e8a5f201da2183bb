//! Blocking (XEP-0191): the account's blocklist, kept by the server, which then drops
//! everything from a blocked JID (messages, presence, IQs; XEP-0191 §3.5) and hides our
//! presence from it. Blocking a domain (`example.org`) blocks everyone there. Changes made by
//! another client of ours arrive as pushes (`features::iq`) and come out as
//! [`EngineEvent::BlocklistChanged`].

use tokio_xmpp::minidom::rxml::xml_ncname;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::blocking::{Block, BlocklistRequest, BlocklistResult, Unblock};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::ns;

/// The XEP-0377 §3 reason for unwanted messages.
pub const SPAM: &str = "urn:xmpp:reporting:spam";

/// `<block/>` of `jid` (XEP-0191 §3.3) whose item carries a spam report (XEP-0377 §2,
/// Example 2). xmpp-parsers builds the block; its `Report` has no public constructor, so the
/// report is added with the minidom builder.
pub fn block_with_report(jid: Jid) -> Element {
    let mut block = Element::from(Block { items: vec![jid] });
    let report = Element::builder("report", ns::SPAM_REPORTING)
        .attr(xml_ncname!("reason").into(), SPAM)
        .build();
    for item in block.children_mut() {
        item.append_child(report.clone());
    }
    block
}

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

    /// Blocks `jid` and reports them to our server as a spammer (XEP-0377 §2: the report rides
    /// in the block's item, so a server without reporting still blocks).
    ///
    /// Errors: as [`Self::block`].
    pub async fn block_and_report(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        let target = parse_jid(jid)?;
        let iq = Iq::Set {
            from: None,
            to: None,
            id: features::new_id(),
            payload: block_with_report(target),
        };
        self.request(account_id, iq).await?;
        self.emit(EngineEvent::BlocklistChanged { account_id });
        Ok(())
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
        let items = vec![parse_jid(jid)?];
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

fn parse_jid(jid: &str) -> Result<Jid, EngineError> {
    Jid::new(jid.trim()).map_err(|e| EngineError::InvalidJid {
        input: jid.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// XEP-0377 §2, Example 2: a report carried in a XEP-0191 block.
    #[test]
    fn a_spam_report_is_the_xeps_example() {
        let ours = block_with_report(Jid::new("romeo@example.net").unwrap());
        let example: Element = "<block xmlns='urn:xmpp:blocking'>
               <item jid='romeo@example.net'>
                 <report xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'/>
               </item>
             </block>"
            .parse()
            .unwrap();
        let item = |e: &Element| e.get_child("item", ns::BLOCKING).cloned().unwrap();
        assert_eq!(item(&ours).attr("jid"), item(&example).attr("jid"));
        let report = |e: &Element| {
            item(e)
                .get_child("report", ns::SPAM_REPORTING)
                .cloned()
                .unwrap()
        };
        assert_eq!(
            report(&ours).attr("reason"),
            report(&example).attr("reason")
        );
        assert_eq!(report(&ours).children().count(), 0);
        // Still a XEP-0191 block to a server without XEP-0377.
        assert_eq!(Block::try_from(ours).unwrap().items.len(), 1);
    }
}
