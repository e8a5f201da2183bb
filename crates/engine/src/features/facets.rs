//! The facets a message carries beyond its body, parsed from its payloads: a correction
//! (XEP-0308), a retraction (XEP-0424) or a moderator's retraction (XEP-0425), reactions
//! (XEP-0444), a reply (XEP-0461, its XEP-0428 fallback stripped from the body), a chat state
//! (XEP-0085) and the room's occupant-id (XEP-0421). Also the stanzas we send for them.
//!
//! Who may amend which message is not decided here: these are claims, checked against the
//! stored message's author when applied (see [`crate::store::Amend`]).

use tokio_xmpp::minidom::rxml::NcName;
use tokio_xmpp::minidom::{Element, ElementBuilder};
use tokio_xmpp::parsers::chatstates::ChatState;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::message::{Id, Lang, Message, MessageType};
use tokio_xmpp::parsers::message_correct::Replace;
use tokio_xmpp::parsers::occupant_id::OccupantId;
use tokio_xmpp::parsers::reactions::{Reaction, Reactions};
use tokio_xmpp::parsers::stanza_id::OriginId;

use super::inbound::take;

/// XEP-0424 (v0.4) message retraction.
pub const RETRACT: &str = "urn:xmpp:message-retract:1";
/// XEP-0424 (before v0.4), wrapped in XEP-0422 `<apply-to/>`.
pub const RETRACT_0: &str = "urn:xmpp:message-retract:0";
/// XEP-0425 (v0.3) message moderation.
pub const MODERATE: &str = "urn:xmpp:message-moderate:1";
/// XEP-0425 (before v0.3).
pub const MODERATE_0: &str = "urn:xmpp:message-moderate:0";
/// XEP-0422 message fastening (the wrapper of the older retraction and moderation).
pub const FASTEN: &str = "urn:xmpp:fasten:0";
/// XEP-0461 message replies.
pub const REPLY: &str = "urn:xmpp:reply:0";
/// XEP-0428 fallback indication.
pub const FALLBACK: &str = "urn:xmpp:fallback:0";
/// XEP-0334 message processing hints.
pub const HINTS: &str = "urn:xmpp:hints";

/// The longest reactions list we keep for one sender on one message.
const MAX_REACTIONS: usize = 20;

/// A retraction of the message with `id` (XEP-0424 §4: the origin-id or id in one-to-one
/// chat, the room's stanza-id in a room).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retraction {
    /// The retracted message's id.
    pub id: String,
    /// A moderator's retraction (XEP-0425 §4.2): only a room itself may send one.
    pub moderated: bool,
    /// The moderator, as the room names them (`room/nick`), when it does.
    pub moderated_by: Option<String>,
    /// The moderator's reason.
    pub reason: Option<String>,
}

/// A reply (XEP-0461 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    /// The id of the message answered (its id in one-to-one chat, the room's stanza-id in a
    /// room).
    pub id: String,
    /// Its author as the reply names them (a full JID, `room/nick` in rooms), if given.
    pub to: Option<Jid>,
    /// The quoted text the fallback carried (XEP-0428), its `> ` marks removed.
    pub quote: Option<String>,
}

/// Everything in a message that amends, answers or annotates another one.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Facets {
    /// XEP-0308 `<replace id=…/>`: this body replaces the message with that id.
    pub replace: Option<String>,
    /// XEP-0424 / XEP-0425 retraction.
    pub retract: Option<Retraction>,
    /// XEP-0424 §5.3 tombstone in an archive: the message was retracted.
    pub tombstone: bool,
    /// XEP-0444 reactions: `(message id, the sender's whole set of emojis)`.
    pub reactions: Option<(String, Vec<String>)>,
    /// XEP-0461 reply.
    pub reply: Option<Reply>,
    /// XEP-0085 chat state.
    pub chat_state: Option<ChatState>,
    /// XEP-0421 occupant-id (only a room's counts; checked by the caller).
    pub occupant_id: Option<String>,
}

impl Facets {
    /// Whether the message's body is only a fallback for clients that do not understand what
    /// it does to another message (a retraction, a reaction): it is not itself a message.
    pub(crate) fn amends_without_body(&self) -> bool {
        self.retract.is_some() || self.reactions.is_some()
    }
}

/// Parses the facets of `message` and strips the reply fallback (XEP-0428) from `body`.
pub(crate) fn parse(message: &mut Message, body: &mut Option<String>) -> Facets {
    let mut facets = Facets::default();
    for payload in &message.payloads {
        match (payload.ns().as_str(), payload.name()) {
            (RETRACT, "retract") => facets.retract = retraction(payload),
            (RETRACT, "retracted") => facets.tombstone = true,
            (FASTEN, "apply-to") => facets.retract = facets.retract.take().or(applied(payload)),
            (REPLY, "reply") => {
                facets.reply = payload.attr("id").map(|id| Reply {
                    id: id.to_owned(),
                    to: payload.attr("to").and_then(|t| Jid::new(t).ok()),
                    quote: None,
                })
            }
            _ => {}
        }
    }
    facets.replace = take::<Replace>(message).map(|r| r.id.0);
    facets.reactions = take::<Reactions>(message).map(|r| {
        let mut emojis: Vec<String> = Vec::new();
        for Reaction { emoji } in r.reactions {
            let emoji = emoji.trim().to_owned();
            if !emoji.is_empty() && !emojis.contains(&emoji) && emojis.len() < MAX_REACTIONS {
                emojis.push(emoji);
            }
        }
        (r.id, emojis)
    });
    facets.chat_state = take::<ChatState>(message);
    facets.occupant_id = take::<OccupantId>(message).map(|o| o.id);
    if let Some(reply) = &mut facets.reply {
        if let Some(text) = body.as_mut() {
            let ranges = fallback_ranges(message, REPLY);
            let (kept, quoted) = strip(text, &ranges);
            *text = kept;
            reply.quote = quoted.map(|q| unquote(&q)).filter(|q| !q.is_empty());
        }
    }
    facets
}

/// `<retract id=… xmlns='urn:xmpp:message-retract:1'>`, with XEP-0425 `<moderated/>` inside.
fn retraction(retract: &Element) -> Option<Retraction> {
    let id = retract.attr("id")?.to_owned();
    let moderated = retract.get_child("moderated", MODERATE);
    Some(Retraction {
        id,
        moderated: moderated.is_some(),
        moderated_by: moderated.and_then(|m| m.attr("by")).map(str::to_owned),
        reason: text_of(retract.get_child("reason", RETRACT)),
    })
}

/// The older forms inside `<apply-to id=… xmlns='urn:xmpp:fasten:0'>`: `<retract/>`
/// (XEP-0424 v0.3) or `<moderated><retract/></moderated>` (XEP-0425 v0.2).
fn applied(apply_to: &Element) -> Option<Retraction> {
    let id = apply_to.attr("id")?.to_owned();
    if apply_to.has_child("retract", RETRACT_0) {
        return Some(Retraction {
            id,
            moderated: false,
            moderated_by: None,
            reason: None,
        });
    }
    let moderated = apply_to.get_child("moderated", MODERATE_0)?;
    moderated
        .has_child("retract", RETRACT_0)
        .then(|| Retraction {
            id,
            moderated: true,
            moderated_by: moderated.attr("by").map(str::to_owned),
            reason: text_of(moderated.get_child("reason", MODERATE_0)),
        })
}

fn text_of(element: Option<&Element>) -> Option<String> {
    element
        .map(|e| e.text().trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The body ranges `[start, end)` (in characters, XEP-0428 §4) marked as fallback for `for_ns`.
fn fallback_ranges(message: &Message, for_ns: &str) -> Vec<(usize, usize)> {
    let fallbacks = message
        .payloads
        .iter()
        .filter(|p| p.is("fallback", FALLBACK) && p.attr("for") == Some(for_ns));
    let mut ranges = Vec::new();
    for fallback in fallbacks {
        for body in fallback.children().filter(|c| c.is("body", FALLBACK)) {
            let at = |name| body.attr(name).and_then(|v: &str| v.parse::<usize>().ok());
            if let (Some(start), Some(end)) = (at("start"), at("end")) {
                if start < end {
                    ranges.push((start, end));
                }
            }
        }
    }
    ranges
}

/// `text` without the character ranges, and the removed text (`None` when nothing was).
/// Ranges beyond the text are ignored, so a hostile range can never cut a character apart.
fn strip(text: &str, ranges: &[(usize, usize)]) -> (String, Option<String>) {
    if ranges.is_empty() {
        return (text.to_owned(), None);
    }
    let chars: Vec<char> = text.chars().collect();
    let in_fallback = |i: usize| {
        ranges
            .iter()
            .any(|&(s, e)| i >= s && i < e && e <= chars.len())
    };
    let mut kept = String::new();
    let mut removed = String::new();
    for (i, c) in chars.iter().enumerate() {
        if in_fallback(i) {
            removed.push(*c);
        } else {
            kept.push(*c);
        }
    }
    let removed = Some(removed).filter(|r| !r.is_empty());
    (kept, removed)
}

/// A quoted fallback (`> line` per line, XEP-0393 §6.2.4 quotes) as plain text.
fn unquote(quoted: &str) -> String {
    let lines = quoted.lines().map(|l| {
        let l = l.strip_prefix('>').unwrap_or(l);
        l.strip_prefix(' ').unwrap_or(l)
    });
    lines.collect::<Vec<_>>().join("\n").trim().to_owned()
}

/// Sets attribute `name` (a valid XML name, always one of ours) on an element being built.
pub(crate) fn attr(builder: ElementBuilder, name: &str, value: &str) -> ElementBuilder {
    match NcName::try_from(name) {
        Ok(name) => builder.attr(name, value),
        Err(_) => builder,
    }
}

/// `<store xmlns='urn:xmpp:hints'/>` (XEP-0334 §4.4): archive this body-less message.
pub(crate) fn store_hint() -> Element {
    Element::builder("store", HINTS).build()
}

/// A message of `type_` to `to` with a fresh id (also its origin-id, XEP-0359).
fn base(to: Jid, type_: MessageType) -> Message {
    let id = super::new_id();
    let mut m = Message::new(Some(to));
    m.type_ = type_;
    m.id = Some(Id(id.clone()));
    m.with_payload(OriginId { id })
}

/// XEP-0308 §3: a correction of our message `id` with the new `body`.
pub fn correction(to: Jid, type_: MessageType, id: &str, body: &str) -> Message {
    base(to, type_)
        .with_body(Lang::default(), body.to_owned())
        .with_payload(Replace {
            id: Id(id.to_owned()),
        })
}

/// XEP-0424 §4 (v0.4): a retraction of our message `id`, with the fallback body the XEP
/// suggests for clients without it.
pub fn retraction_stanza(to: Jid, type_: MessageType, id: &str) -> Message {
    let retract = attr(Element::builder("retract", RETRACT), "id", id).build();
    let fallback = attr(Element::builder("fallback", FALLBACK), "for", RETRACT).build();
    let mut m = base(to, type_).with_body(
        Lang::default(),
        "This person attempted to retract a previous message, but it's unsupported by your client."
            .to_owned(),
    );
    m.payloads.extend([retract, fallback, store_hint()]);
    m
}

/// XEP-0444 §3: our whole set of `emojis` for the message `id` (empty: none any more).
pub fn reactions_stanza(to: Jid, type_: MessageType, id: &str, emojis: &[String]) -> Message {
    let reactions = Reactions {
        id: id.to_owned(),
        reactions: emojis
            .iter()
            .map(|e| Reaction { emoji: e.clone() })
            .collect(),
    };
    let mut m = base(to, type_).with_payload(reactions);
    m.payloads.push(store_hint());
    m
}

/// XEP-0085 §5: a standalone chat state notification, not stored by archives (XEP-0334).
pub fn chat_state_stanza(to: Jid, type_: MessageType, state: ChatState) -> Message {
    let mut m = Message::new(Some(to));
    m.type_ = type_;
    m.id = Some(Id(super::new_id()));
    let mut m = m.with_payload(state);
    m.payloads.push(Element::builder("no-store", HINTS).build());
    m
}

/// XEP-0425 §4.1 (v0.3): the moderation request for the room message with stanza-id `id`.
pub fn moderate_request(id: &str, reason: Option<&str>) -> Element {
    let mut moderate = attr(Element::builder("moderate", MODERATE), "id", id)
        .append(Element::builder("retract", RETRACT).build());
    if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
        moderate = moderate.append(Element::builder("reason", MODERATE).append(reason).build());
    }
    moderate.build()
}

/// XEP-0425 v0.2 (`urn:xmpp:message-moderate:0`, in XEP-0422 `<apply-to/>`), for rooms that
/// only know the older form.
pub fn moderate_request_0(id: &str, reason: Option<&str>) -> Element {
    let mut moderate = Element::builder("moderate", MODERATE_0)
        .append(Element::builder("retract", RETRACT_0).build());
    if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
        moderate = moderate.append(
            Element::builder("reason", MODERATE_0)
                .append(reason)
                .build(),
        );
    }
    attr(Element::builder("apply-to", FASTEN), "id", id)
        .append(moderate.build())
        .build()
}

/// Adds a reply (XEP-0461 §3) to `message` whose body is `body`: the `<reply/>` element, and a
/// quoted fallback of `quote` before the body marked per XEP-0428 so that clients without
/// replies still show the context.
pub fn add_reply(message: &mut Message, id: &str, to: Option<&Jid>, quote: Option<&str>) {
    let mut reply = attr(Element::builder("reply", REPLY), "id", id);
    if let Some(to) = to {
        reply = attr(reply, "to", &to.to_string());
    }
    message.payloads.push(reply.build());
    let Some(quote) = quote.filter(|q| !q.trim().is_empty()) else {
        return;
    };
    let quoted: String = quote.lines().map(|l| format!("> {l}\n")).collect();
    let len = quoted.chars().count();
    if let Some(body) = message.bodies.values_mut().next() {
        body.insert_str(0, &quoted);
    }
    let range = attr(Element::builder("body", FALLBACK), "start", "0");
    let range = attr(range, "end", &len.to_string()).build();
    let fallback = attr(Element::builder("fallback", FALLBACK), "for", REPLY)
        .append(range)
        .build();
    message.payloads.push(fallback);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn parse_xml(xml: &str) -> (Facets, Option<String>) {
        let element: Element = xml.parse().unwrap();
        let mut message = Message::try_from(element).unwrap();
        let mut body = message.get_best_body_cloned(vec![]).map(|(_, b)| b);
        (parse(&mut message, &mut body), body)
    }

    #[test]
    fn a_correction() {
        // XEP-0308 §3, example 2.
        let (f, body) = parse_xml(
            "<message xmlns='jabber:client' to='juliet@capulet.net/balcony' id='good1'>
               <body>But soft, what light through yonder window breaks?</body>
               <replace id='bad1' xmlns='urn:xmpp:message-correct:0'/>
             </message>",
        );
        assert_eq!(f.replace.as_deref(), Some("bad1"));
        assert_eq!(
            body.as_deref(),
            Some("But soft, what light through yonder window breaks?")
        );
        assert!(!f.amends_without_body());
    }

    #[test]
    fn a_retraction_and_its_fallback() {
        // XEP-0424 §4, example 2.
        let (f, _) = parse_xml(
            "<message type='chat' to='lord@capulet.example' id='retract-message-1' xmlns='jabber:client'>
               <retract id='origin-id-1' xmlns='urn:xmpp:message-retract:1'/>
               <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/>
               <body>This person attempted to retract a previous message, but it's unsupported by your client.</body>
               <store xmlns='urn:xmpp:hints'/>
             </message>",
        );
        let r = f.retract.clone().unwrap();
        assert_eq!(r.id, "origin-id-1");
        assert!(!r.moderated);
        assert!(f.amends_without_body(), "the body is only a fallback");
    }

    #[test]
    fn a_moderation_in_both_generations() {
        // XEP-0425 §4.2 (v0.3), example 4.
        let (f, _) = parse_xml(
            "<message type='groupchat' from='room@muc.example.com' to='room@muc.example.com/macbeth' id='retraction-id-1' xmlns='jabber:client'>
               <retract id='stanza-id-1' xmlns='urn:xmpp:message-retract:1'>
                 <moderated by='room@muc.example.com/macbeth' xmlns='urn:xmpp:message-moderate:1'>
                   <occupant-id xmlns='urn:xmpp:occupant-id:0' id='dd72603deec90a38ba552f7c68cbcc61bca202cd'/>
                 </moderated>
                 <reason>This message contains inappropriate content for this forum</reason>
               </retract>
             </message>",
        );
        let r = f.retract.unwrap();
        assert_eq!(r.id, "stanza-id-1");
        assert!(r.moderated);
        assert_eq!(
            r.moderated_by.as_deref(),
            Some("room@muc.example.com/macbeth")
        );
        assert_eq!(
            r.reason.as_deref(),
            Some("This message contains inappropriate content for this forum")
        );
        // XEP-0425 v0.2, as older mod_muc_moderation sends it.
        let (f, _) = parse_xml(
            "<message type='groupchat' from='room@muc.example.com' id='r2' xmlns='jabber:client'>
               <apply-to id='stanza-id-1' xmlns='urn:xmpp:fasten:0'>
                 <moderated by='room@muc.example.com/macbeth' xmlns='urn:xmpp:message-moderate:0'>
                   <retract xmlns='urn:xmpp:message-retract:0'/>
                   <reason>Spam</reason>
                 </moderated>
               </apply-to>
             </message>",
        );
        let r = f.retract.unwrap();
        assert!(r.moderated && r.id == "stanza-id-1");
        assert_eq!(r.reason.as_deref(), Some("Spam"));
    }

    #[test]
    fn reactions_are_a_set() {
        // XEP-0444 §3, example 3, with a repeated and an empty reaction added.
        let (f, _) = parse_xml(
            "<message to='romeo@montague.lit/orchard' id='96d73204-a57a-11e9-88b8-4889e7820c76' type='chat' xmlns='jabber:client'>
               <reactions id='744f6e18-a57a-11e9-a656-4889e7820c76' xmlns='urn:xmpp:reactions:0'>
                 <reaction>👋</reaction>
                 <reaction>🐢</reaction>
                 <reaction>👋</reaction>
                 <reaction> </reaction>
               </reactions>
               <store xmlns='urn:xmpp:hints'/>
             </message>",
        );
        let (id, emojis) = f.reactions.clone().unwrap();
        assert_eq!(id, "744f6e18-a57a-11e9-a656-4889e7820c76");
        assert_eq!(emojis, vec!["👋", "🐢"]);
        assert!(f.amends_without_body());
        let (f, _) = parse_xml(
            "<message to='romeo@montague.lit/orchard' id='x' type='chat' xmlns='jabber:client'>
               <reactions id='744f6e18' xmlns='urn:xmpp:reactions:0'/>
             </message>",
        );
        assert_eq!(
            f.reactions,
            Some(("744f6e18".into(), vec![])),
            "all removed"
        );
    }

    #[test]
    fn a_reply_loses_its_fallback_quote() {
        // XEP-0461 §3, example 2 with the XEP-0428 fallback of §5; multi-byte text before the
        // range end, which counts characters, not bytes.
        let (f, body) = parse_xml(
            "<message to='anna@example.com' id='message-id2' type='chat' xmlns='jabber:client'>
               <body>&gt; Anna wrote:
&gt; Wé'll meet at 12?
Great idea!</body>
               <reply to='anna@example.com/laptop' id='message-id1' xmlns='urn:xmpp:reply:0' />
               <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'>
                 <body start='0' end='34' />
               </fallback>
             </message>",
        );
        let reply = f.reply.unwrap();
        assert_eq!(reply.id, "message-id1");
        assert_eq!(
            reply.to.map(|t| t.to_string()).as_deref(),
            Some("anna@example.com/laptop")
        );
        assert_eq!(body.as_deref(), Some("Great idea!"));
        assert_eq!(
            reply.quote.as_deref(),
            Some("Anna wrote:\nWé'll meet at 12?")
        );
    }

    #[test]
    fn a_hostile_fallback_range_strips_nothing() {
        let (f, body) = parse_xml(
            "<message to='a@example.com' id='m' type='chat' xmlns='jabber:client'>
               <body>short</body>
               <reply id='m0' xmlns='urn:xmpp:reply:0'/>
               <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='2' end='99999'/></fallback>
               <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='4' end='1'/></fallback>
             </message>",
        );
        assert_eq!(body.as_deref(), Some("short"));
        assert_eq!(f.reply.unwrap().quote, None);
    }

    #[test]
    fn chat_states_and_occupant_ids() {
        // XEP-0085 §5.1 example 4; XEP-0421 §4 example 2.
        let (f, body) = parse_xml(
            "<message from='bernardo@shakespeare.lit/pda' to='francisco@shakespeare.lit' type='chat' xmlns='jabber:client'>
               <composing xmlns='http://jabber.org/protocol/chatstates'/>
             </message>",
        );
        assert_eq!(f.chat_state, Some(ChatState::Composing));
        assert_eq!(body, None);
        let (f, _) = parse_xml(
            "<message from='room@muc.example.com/thirdwitch' id='9' type='groupchat' xmlns='jabber:client'>
               <body>Hi</body>
               <occupant-id xmlns='urn:xmpp:occupant-id:0' id='dd72603deec90a38ba552f7c68cbcc61bca202cd'/>
             </message>",
        );
        assert_eq!(
            f.occupant_id.as_deref(),
            Some("dd72603deec90a38ba552f7c68cbcc61bca202cd")
        );
    }

    #[test]
    fn what_we_send_parses_back() {
        let to = Jid::new("bob@example.org").unwrap();
        let mut body = None;
        let mut m = correction(to.clone(), MessageType::Chat, "o1", "fixed");
        assert_eq!(parse(&mut m, &mut body).replace.as_deref(), Some("o1"));

        let mut m = retraction_stanza(to.clone(), MessageType::Chat, "o1");
        let f = parse(&mut m, &mut body);
        assert_eq!(f.retract.unwrap().id, "o1");

        let emojis = vec!["👍".to_owned()];
        let mut m = reactions_stanza(to.clone(), MessageType::Chat, "o1", &emojis);
        assert_eq!(
            parse(&mut m, &mut body).reactions,
            Some(("o1".into(), emojis))
        );

        let mut m = Message::chat(Some(to.clone())).with_body(Lang::default(), "yes".into());
        add_reply(&mut m, "o1", Some(&to), Some("are you\ncoming?"));
        let mut body = m.get_best_body_cloned(vec![]).map(|(_, b)| b);
        assert_eq!(body.as_deref(), Some("> are you\n> coming?\nyes"));
        let f = parse(&mut m, &mut body);
        assert_eq!(body.as_deref(), Some("yes"));
        assert_eq!(f.reply.unwrap().quote.as_deref(), Some("are you\ncoming?"));

        let mut m = chat_state_stanza(to, MessageType::Chat, ChatState::Paused);
        assert_eq!(parse(&mut m, &mut None).chat_state, Some(ChatState::Paused));

        let request = moderate_request("s1", Some("spam"));
        assert_eq!(request.attr("id"), Some("s1"));
        assert!(request.has_child("retract", RETRACT));
        let older = moderate_request_0("s1", None);
        assert!(older
            .get_child("moderate", MODERATE_0)
            .is_some_and(|m| m.has_child("retract", RETRACT_0)));
    }
}
