//! Property test (a fuzz target run by `cargo test`): generated `<message/>` stanzas, made
//! of the elements, namespaces and attributes the parser looks at, nested and combined at
//! random with hostile values (huge or reversed fallback ranges, bad JIDs and stamps,
//! control characters, deep nesting), never make [`inbound::parse`] or the ingest helpers
//! panic. `PROPTEST_CASES` raises the number of cases (the default is kept small for CI;
//! the 10-minute run is `PROPTEST_CASES=2000000 cargo test -p linnet-engine fuzz`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::jid::BareJid;
use tokio_xmpp::parsers::message::Message;

use super::inbound;

const NAMES: &[&str] = &[
    "body",
    "subject",
    "replace",
    "reactions",
    "reaction",
    "retract",
    "retracted",
    "moderated",
    "reason",
    "reply",
    "fallback",
    "apply-to",
    "displayed",
    "received",
    "request",
    "markable",
    "origin-id",
    "stanza-id",
    "delay",
    "x",
    "invite",
    "sent",
    "forwarded",
    "message",
    "result",
    "event",
    "items",
    "item",
    "composing",
    "paused",
    "occupant-id",
    "error",
    "store",
];

const NAMESPACES: &[&str] = &[
    "jabber:client",
    "urn:xmpp:message-correct:0",
    "urn:xmpp:reactions:0",
    "urn:xmpp:message-retract:1",
    "urn:xmpp:message-retract:0",
    "urn:xmpp:message-moderate:1",
    "urn:xmpp:message-moderate:0",
    "urn:xmpp:fasten:0",
    "urn:xmpp:reply:0",
    "urn:xmpp:fallback:0",
    "urn:xmpp:chat-markers:0",
    "urn:xmpp:receipts",
    "urn:xmpp:sid:0",
    "urn:xmpp:delay",
    "http://jabber.org/protocol/muc#user",
    "jabber:x:conference",
    "urn:xmpp:carbons:2",
    "urn:xmpp:forward:0",
    "urn:xmpp:mam:2",
    "http://jabber.org/protocol/pubsub#event",
    "http://jabber.org/protocol/chatstates",
    "urn:xmpp:occupant-id:0",
    "urn:ietf:params:xml:ns:xmpp-stanzas",
    "urn:xmpp:mds:displayed:0",
];

const ATTRS: &[&str] = &[
    "id", "by", "for", "start", "end", "stamp", "from", "to", "jid", "type", "queryid", "node",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("alice@example.org".to_owned()),
        Just("alice@example.org/phone".to_owned()),
        Just("room@muc.example.org/nick".to_owned()),
        Just("@@bad jid@@".to_owned()),
        Just("2002-09-10T23:08:25Z".to_owned()),
        Just("9999-99-99T99:99:99Z".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("-1".to_owned()),
        (0u32..200).prop_map(|n| n.to_string()),
        "[a-z0-9\\-]{0,12}",
        "\\PC{0,8}",
    ]
}

fn element() -> impl Strategy<Value = Element> {
    let leaf = (
        prop::sample::select(NAMES),
        prop::sample::select(NAMESPACES),
        prop::collection::vec((prop::sample::select(ATTRS), value()), 0..4),
        prop::option::of("\\PC{0,40}"),
    )
        .prop_map(|(name, ns, attrs, text)| build(name, ns, &attrs, text, vec![]));
    leaf.prop_recursive(6, 64, 6, |inner| {
        (
            prop::sample::select(NAMES),
            prop::sample::select(NAMESPACES),
            prop::collection::vec((prop::sample::select(ATTRS), value()), 0..4),
            prop::option::of("\\PC{0,40}"),
            prop::collection::vec(inner, 0..6),
        )
            .prop_map(|(name, ns, attrs, text, children)| build(name, ns, &attrs, text, children))
    })
}

fn build(
    name: &str,
    ns: &str,
    attrs: &[(&str, String)],
    text: Option<String>,
    children: Vec<Element>,
) -> Element {
    let mut e = Element::builder(name, ns).build();
    for (attr, v) in attrs {
        if let Ok(attr) = tokio_xmpp::minidom::rxml::NcName::try_from(*attr) {
            e.set_attr(tokio_xmpp::minidom::rxml::Namespace::NONE, attr, v.as_str());
        }
    }
    if let Some(t) = text {
        e.append_text_node(t);
    }
    for c in children {
        e.append_child(c);
    }
    e
}

fn message() -> impl Strategy<Value = Element> {
    (
        prop::sample::select(&["chat", "normal", "groupchat", "headline", "error", "bogus"][..]),
        value(),
        prop::collection::vec(element(), 0..8),
    )
        .prop_map(|(type_, from, children)| {
            let mut attrs = vec![("type", type_.to_owned()), ("id", "m1".to_owned())];
            if !from.is_empty() {
                attrs.push(("from", from));
            }
            build("message", "jabber:client", &attrs, None, children)
        })
}

proptest! {
    #[test]
    fn parsing_any_generated_message_never_panics(stanza in message()) {
        let own = BareJid::new("alice@example.org").unwrap();
        if let Ok(message) = Message::try_from(stanza) {
            let parsed = inbound::parse(message, &own);
            // Whatever was parsed can be printed and compared (no poisoned state).
            let _ = format!("{parsed:?}");
        }
    }
}
