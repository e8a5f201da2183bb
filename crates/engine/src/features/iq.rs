//! IQ handling (RFC 6120 §8.2.3): answers to our own requests, and answers to the server's:
//! ping (XEP-0199), disco#info (XEP-0030) with our features, software version (XEP-0092),
//! roster pushes (RFC 6121 §2.1.6); anything else gets `service-unavailable` (RFC 6120 §8.4).

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::disco::{DiscoInfoQuery, DiscoInfoResult, Identity};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::ns;
use tokio_xmpp::parsers::ping::Ping;
use tokio_xmpp::parsers::roster::Roster;
use tokio_xmpp::parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};
use tokio_xmpp::parsers::version::VersionResult;

use super::{IqPurpose, Session};
use crate::error::EngineError;

/// Features we implement, announced in disco#info and hashed into our caps (XEP-0115).
pub const FEATURES: &[&str] = &[
    ns::DISCO_INFO,
    ns::PING,
    ns::VERSION,
    ns::CAPS,
    ns::RECEIPTS,
    ns::CARBONS,
    ns::DISPLAYED_MARKERS,
    ns::MAM,
    "urn:xmpp:sid:0",
    ns::MUC,
    "urn:xmpp:bookmarks:1+notify",
];

/// Node URI in our entity capabilities.
pub const CAPS_NODE: &str = "https://linnet.invalid/caps";

/// Our disco#info result (XEP-0030 §3.1): client/pc identity and [`FEATURES`].
pub fn disco_info(node: Option<String>) -> DiscoInfoResult {
    DiscoInfoResult {
        node,
        identities: vec![Identity::new("client", "pc", "en", "Linnet")],
        features: FEATURES.iter().map(|f| (*f).to_owned()).collect(),
        extensions: vec![],
    }
}

impl Session {
    pub(crate) async fn on_iq(&mut self, iq: Iq) {
        match iq {
            Iq::Get {
                from, id, payload, ..
            } => self.on_iq_get(from, id, payload),
            Iq::Set {
                from, id, payload, ..
            } => self.on_iq_set(from, id, payload).await,
            Iq::Result { id, payload, .. } => match self.pending_iq.remove(&id) {
                Some(IqPurpose::RosterGet) => self.on_roster_result(payload).await,
                Some(IqPurpose::Bookmarks) => self.on_bookmarks_result(payload).await,
                Some(IqPurpose::AccountInfo) => self.on_account_info(payload),
                Some(IqPurpose::PrivateBookmarks) => self.on_private_bookmarks(payload).await,
                Some(IqPurpose::RosterSet(done)) => {
                    let _ = done.send(Ok(()));
                }
                Some(IqPurpose::ArchivePage(query_id)) => {
                    self.on_archive_fin(&query_id, payload).await
                }
                Some(IqPurpose::SelfPing(room)) => self.on_self_ping(&room, None),
                Some(IqPurpose::Request(done)) => {
                    let _ = done.send(Ok(payload));
                }
                None => tracing::debug!(account = self.account_id, "result for unknown iq {id}"),
            },
            Iq::Error { id, error, .. } => match self.pending_iq.remove(&id) {
                Some(IqPurpose::RosterSet(done)) => {
                    let _ = done.send(Err(EngineError::Server(format!(
                        "{:?}",
                        error.defined_condition
                    ))));
                }
                Some(IqPurpose::ArchivePage(query_id)) => {
                    self.on_archive_error(&query_id, &format!("{:?}", error.defined_condition))
                        .await
                }
                Some(IqPurpose::SelfPing(room)) => self.on_self_ping(&room, Some(&error)),
                Some(IqPurpose::Request(done)) => {
                    let _ = done.send(Err(EngineError::Server(condition_words(
                        &error.defined_condition,
                    ))));
                }
                Some(IqPurpose::AccountInfo) => self.on_account_info(None),
                // Not read, so never written: our changes cannot overwrite a list we did not see.
                Some(IqPurpose::PrivateBookmarks) => tracing::info!(
                    account = self.account_id,
                    "no private XML storage: {:?}",
                    error.defined_condition
                ),
                Some(IqPurpose::Bookmarks) => tracing::info!(
                    account = self.account_id,
                    "no bookmarks: {:?}",
                    error.defined_condition
                ),
                Some(IqPurpose::RosterGet) => tracing::warn!(
                    account = self.account_id,
                    "roster get failed: {:?}",
                    error.defined_condition
                ),
                None => tracing::debug!(account = self.account_id, "error for unknown iq {id}"),
            },
        }
    }

    fn on_iq_get(&mut self, from: Option<Jid>, id: String, payload: Element) {
        let to = from.clone().unwrap_or_else(|| Jid::from(self.jid.clone()));
        let reply = if payload.is("ping", ns::PING) {
            Iq::empty_result(to, id)
        } else if payload.is("query", ns::DISCO_INFO) {
            match DiscoInfoQuery::try_from(payload) {
                Ok(query) => Iq::from_result(id, Some(disco_info(query.node))).with_to(to),
                Err(_) => error_reply(to, id, DefinedCondition::BadRequest),
            }
        } else if payload.is("query", ns::VERSION) {
            let version = VersionResult {
                name: "Linnet".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                os: None,
            };
            Iq::from_result(id, Some(version)).with_to(to)
        } else {
            error_reply(to, id, DefinedCondition::ServiceUnavailable)
        };
        self.out.push(reply.into());
    }

    async fn on_iq_set(&mut self, from: Option<Jid>, id: String, payload: Element) {
        let to = from.clone().unwrap_or_else(|| Jid::from(self.jid.clone()));
        if payload.is("query", ns::ROSTER) {
            // RFC 6121 §2.1.6: accept pushes only from our server (no from) or our bare JID.
            let trusted = from.as_ref().is_none_or(|f| f.to_bare() == self.jid);
            if !trusted {
                tracing::warn!(account = self.account_id, "roster push from {to} ignored");
                self.out
                    .push(error_reply(to, id, DefinedCondition::ServiceUnavailable).into());
                return;
            }
            match Roster::try_from(payload) {
                Ok(roster) => {
                    self.on_roster_push(roster).await;
                    self.out.push(Iq::empty_result(to, id).into());
                }
                Err(e) => {
                    tracing::warn!(
                        account = self.account_id,
                        "malformed roster push skipped: {e}"
                    );
                    self.out
                        .push(error_reply(to, id, DefinedCondition::BadRequest).into());
                }
            }
        } else {
            self.out
                .push(error_reply(to, id, DefinedCondition::ServiceUnavailable).into());
        }
    }
}

fn error_reply(to: Jid, id: String, condition: DefinedCondition) -> Iq {
    let error_type = match condition {
        DefinedCondition::BadRequest => ErrorType::Modify,
        _ => ErrorType::Cancel,
    };
    Iq::from_error(id, StanzaError::new(error_type, condition, "en", "")).with_to(to)
}

/// A defined condition as its RFC 6120 §8.3.3 element name, e.g. `forbidden`.
pub(crate) fn condition_words(condition: &DefinedCondition) -> String {
    Element::from(condition.clone()).name().to_owned()
}

/// A ping request (XEP-0199), for keep-alive checks.
pub fn ping(id: String, to: Jid) -> Iq {
    Iq::from_get(id, Ping).with_to(to)
}
