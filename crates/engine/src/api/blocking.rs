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
use tokio_xmpp::parsers::stanza_id::StanzaId;

/// The XEP-0377 §3 reason for unwanted messages.
pub const SPAM: &str = "urn:xmpp:reporting:spam";

/// How many of the sender's latest messages a report names.
pub const REPORTED_MESSAGES: u32 = 10;

/// `<block/>` of `jid` (XEP-0191 §3.3) whose item carries a spam report (XEP-0377 §2,
/// Examples 2 and 3) naming the messages `stanza_ids` (XEP-0359 ids stamped `by` our
/// account's server, so it can find them in our archive). xmpp-parsers builds the block and
/// the stanza-ids; its `Report` has no public constructor, so the report is added with the
/// minidom builder.
pub fn block_with_report(jid: Jid, by: &BareJid, stanza_ids: &[String]) -> Element {
    let mut block = Element::from(Block { items: vec![jid] });
    let ids = stanza_ids.iter().map(|id| {
        Element::from(StanzaId {
            id: id.clone(),
            by: Jid::from(by.clone()),
        })
    });
    let report = Element::builder("report", ns::SPAM_REPORTING)
        .attr(xml_ncname!("reason").into(), SPAM)
        .append_all(ids)
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

    /// Blocks `jid` and reports them to our server as a spammer, naming the stanza-ids of
    /// their latest 10 messages (XEP-0377 §2: the report rides in the block's item, so a
    /// server without reporting still blocks).
    ///
    /// Errors: as [`Self::block`].
    pub async fn block_and_report(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        let target = parse_jid(jid)?;
        let own = parse_bare_jid(&self.inner.store.account(account_id).await?.jid)?;
        let ids = self
            .inner
            .store
            .received_stanza_ids(account_id, target.to_bare().as_str(), REPORTED_MESSAGES)
            .await?;
        let iq = Iq::Set {
            from: None,
            to: None,
            id: features::new_id(),
            payload: block_with_report(target, &own, &ids),
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
        let by = BareJid::new("juliet@example.com").unwrap();
        let ours = block_with_report(Jid::new("romeo@example.net").unwrap(), &by, &[]);
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

    /// XEP-0377 §2, Example 3: the report names the offending messages by stanza-id.
    #[test]
    fn a_report_names_the_messages_by_stanza_id() {
        let by = BareJid::new("juliet@example.com").unwrap();
        let ids = [
            "28482-98726-73623".to_owned(),
            "38383-38018-18385".to_owned(),
        ];
        let ours = block_with_report(Jid::new("romeo@example.net").unwrap(), &by, &ids);
        let report = ours
            .get_child("item", ns::BLOCKING)
            .and_then(|i| i.get_child("report", ns::SPAM_REPORTING))
            .cloned()
            .unwrap();
        let named: Vec<StanzaId> = report
            .children()
            .map(|c| StanzaId::try_from(c.clone()).unwrap())
            .collect();
        assert_eq!(named.len(), 2);
        assert_eq!(named[0].id, "28482-98726-73623");
        assert_eq!(named[1].id, "38383-38018-18385");
        assert!(named.iter().all(|n| n.by == by.clone()));
        // xmpp-parsers' own XEP-0377 parser takes it.
        assert!(tokio_xmpp::parsers::spam_reporting::Report::try_from(report).is_ok());
    }
}
