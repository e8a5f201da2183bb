//! IQ handling (RFC 6120 §8.2.3): answers to our own requests, and answers to the server's:
//! ping (XEP-0199), disco#info (XEP-0030) with our features, software version (XEP-0092),
//! roster pushes (RFC 6121 §2.1.6), Jingle and IBB sets (`transfers`); anything else gets `service-unavailable` (RFC 6120 §8.4).

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::disco::{DiscoInfoQuery, DiscoInfoResult, Identity};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::ns;
use tokio_xmpp::parsers::ping::Ping;
use tokio_xmpp::parsers::roster::Roster;
use tokio_xmpp::parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};
use tokio_xmpp::parsers::version::VersionResult;

use super::Context;

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
    ns::MESSAGE_CORRECT,
    super::facets::RETRACT,
    ns::REACTIONS,
    super::facets::REPLY,
    ns::CHATSTATES,
    "urn:xmpp:mds:displayed:0+notify",
    // XEP-0084: contacts' avatars (XEP-0153's hash comes in presence, no feature needed).
    "urn:xmpp:avatar:metadata+notify",
    // XEP-0172: contacts' nicknames.
    "http://jabber.org/protocol/nick+notify",
    // XEP-0384: device lists of both OMEMO generations.
    "eu.siacs.conversations.axolotl.devicelist+notify",
    "urn:xmpp:omemo:2:devices+notify",
    // XEP-0234 over XEP-0261 (super::jingle::FEATURES) and XEP-0260.
    ns::JINGLE,
    ns::JINGLE_FT,
    ns::JINGLE_IBB,
    ns::IBB,
    ns::JINGLE_S5B,
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

/// Answers an IQ get: ping, disco#info, software version; `service-unavailable` otherwise.
pub(crate) fn on_get(ctx: &mut Context, from: Option<Jid>, id: String, payload: Element) {
    let to = from.clone().unwrap_or_else(|| Jid::from(ctx.jid.clone()));
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
    ctx.send(reply);
}

/// Answers an IQ set: roster pushes (RFC 6121 §2.1.6); `service-unavailable` otherwise.
pub(crate) async fn on_set(ctx: &mut Context, from: Option<Jid>, id: String, payload: Element) {
    let to = from.clone().unwrap_or_else(|| Jid::from(ctx.jid.clone()));
    if payload.is("query", ns::ROSTER) {
        // RFC 6121 §2.1.6: accept pushes only from our server (no from) or our bare JID.
        let trusted = from.as_ref().is_none_or(|f| f.to_bare() == ctx.jid);
        if !trusted {
            tracing::warn!(account = ctx.account_id, "roster push from {to} ignored");
            ctx.send(error_reply(to, id, DefinedCondition::ServiceUnavailable));
            return;
        }
        match Roster::try_from(payload) {
            Ok(roster) => {
                super::roster::on_roster_push(ctx, roster).await;
                ctx.send(Iq::empty_result(to, id));
            }
            Err(e) => {
                tracing::warn!(
                    account = ctx.account_id,
                    "malformed roster push skipped: {e}"
                );
                ctx.send(error_reply(to, id, DefinedCondition::BadRequest));
            }
        }
    } else if payload.is("block", ns::BLOCKING) || payload.is("unblock", ns::BLOCKING) {
        // XEP-0191 §3.3/3.4: a blocklist push, from our server only (no from, or our bare JID).
        if from.as_ref().is_none_or(|f| f.to_bare() == ctx.jid) {
            ctx.emit(crate::EngineEvent::BlocklistChanged {
                account_id: ctx.account_id,
            });
            ctx.send(Iq::empty_result(to, id));
        } else {
            tracing::warn!(account = ctx.account_id, "blocklist push from {to} ignored");
            ctx.send(error_reply(to, id, DefinedCondition::ServiceUnavailable));
        }
    } else if payload.is("jingle", ns::JINGLE) {
        super::transfers::on_jingle(ctx, from, id, payload).await;
    } else if let Some(packet) = super::jingle::parse_ibb(&payload) {
        super::transfers::on_ibb(ctx, from, id, packet);
    } else {
        ctx.send(error_reply(to, id, DefinedCondition::ServiceUnavailable));
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
