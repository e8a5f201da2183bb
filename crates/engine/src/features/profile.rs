//! Profiles: vCard4 over PEP (XEP-0292) with vcard-temp (XEP-0054) as the fallback, and the
//! user nickname (XEP-0172).
//!
//! - A profile is read on demand (the contact details pane, our own profile form): the
//!   `current` item of the owner's `urn:xmpp:vcard4` node (XEP-0292 §3.1), else their
//!   vcard-temp (XEP-0054 §3.1). Only the fields a person edits here are read: full name,
//!   nickname, email, phone, note.
//! - Ours is written to both: the vCard4 item, and the vcard-temp with every field we do not
//!   edit (the photo, XEP-0153) kept as it was.
//! - Nicknames arrive by themselves: a PEP notification of `http://jabber.org/protocol/nick`
//!   (XEP-0172 §4.3; we announce `+notify`) from a roster contact or our own account, and the
//!   `<nick/>` in a subscription request (§4.2), kept with the request.

use serde::{Deserialize, Serialize};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::nick::Nick;
use tokio_xmpp::parsers::ns;
use tokio_xmpp::parsers::pubsub::event::Item as EventItem;
use tokio_xmpp::parsers::pubsub::pubsub::Items;
use tokio_xmpp::parsers::pubsub::PubSub;

use super::avatar::publish;
use super::{new_id, Context};
use crate::event::EngineEvent;

/// The PEP node of a vCard4 (XEP-0292 §3).
pub const VCARD4_NODE: &str = "urn:xmpp:vcard4";

/// The vCard4 XML namespace (RFC 6351).
pub const VCARD4_NS: &str = "urn:ietf:params:xml:ns:vcard-4.0";

/// The PEP node of the user nickname (XEP-0172 §4).
pub const NICK_NODE: &str = ns::NICK;

/// Longest text kept per profile field or nickname, in chars; what is longer is cut.
pub const MAX_FIELD_CHARS: usize = 1024;

/// The fields of a person's profile shown and edited here; `None` (or empty) for a field
/// not given. Read from vCard4 (XEP-0292) or vcard-temp (XEP-0054).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Profile {
    /// Full name (vCard4 `fn`, vcard-temp `FN`).
    pub full_name: Option<String>,
    /// Nickname (vCard4 `nickname`, vcard-temp `NICKNAME`).
    pub nickname: Option<String>,
    /// Email address (vCard4 `email`, vcard-temp `EMAIL/USERID`).
    pub email: Option<String>,
    /// Telephone number, without a `tel:` prefix (vCard4 `tel/uri`, vcard-temp `TEL/NUMBER`).
    pub phone: Option<String>,
    /// Free text about the person (vCard4 `note`, vcard-temp `DESC`, or `NOTE` where no
    /// `DESC` is given).
    pub note: Option<String>,
}

/// Where a profile was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ProfileSource {
    /// The owner's `urn:xmpp:vcard4` PEP item (XEP-0292).
    Vcard4,
    /// The owner's vcard-temp (XEP-0054).
    VcardTemp,
    /// Neither exists (or the server would not give either).
    None,
}

fn clean(text: Option<String>) -> Option<String> {
    let text = text?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.chars().take(MAX_FIELD_CHARS).collect())
}

impl Profile {
    /// The same profile with every field trimmed, empty ones `None`, long ones cut to
    /// [`MAX_FIELD_CHARS`].
    pub fn cleaned(self) -> Self {
        Self {
            full_name: clean(self.full_name),
            nickname: clean(self.nickname),
            email: clean(self.email),
            phone: clean(self.phone),
            note: clean(self.note),
        }
    }

    /// Whether no field is given.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The text of `parent`'s first child `name` in `namespace`, then of that child's first
/// `inner` (when given).
fn text_of(parent: &Element, name: &str, inner: Option<&str>, namespace: &str) -> Option<String> {
    let child = parent.get_child(name, namespace)?;
    match inner {
        Some(inner) => child.get_child(inner, namespace).map(Element::text),
        None => Some(child.text()),
    }
}

/// The profile in a vCard4 `<vcard/>` (RFC 6351 §4 as XEP-0292 §2 carries it).
///
/// Errors: in words, for an element that is no vCard4.
pub fn from_vcard4(vcard: &Element) -> Result<Profile, String> {
    if !vcard.is("vcard", VCARD4_NS) {
        return Err(format!("no vCard4 but <{}/>", vcard.name()));
    }
    let text = |name| text_of(vcard, name, Some("text"), VCARD4_NS);
    let phone = text_of(vcard, "tel", Some("uri"), VCARD4_NS)
        .or_else(|| text_of(vcard, "tel", Some("text"), VCARD4_NS))
        .map(|t| t.trim().trim_start_matches("tel:").to_owned());
    Ok(Profile {
        full_name: text("fn"),
        nickname: text("nickname"),
        email: text("email"),
        phone,
        note: text("note"),
    }
    .cleaned())
}

/// `profile` as a vCard4 `<vcard/>` (XEP-0292 §2): one element per given field.
pub fn to_vcard4(profile: &Profile) -> Element {
    let field = |name: &str, inner: &str, value: &Option<String>| {
        value.as_ref().map(|v| {
            Element::builder(name, VCARD4_NS)
                .append(Element::builder(inner, VCARD4_NS).append(v.as_str()))
                .build()
        })
    };
    let tel = profile.phone.as_ref().map(|p| format!("tel:{p}"));
    Element::builder("vcard", VCARD4_NS)
        .append_all(field("fn", "text", &profile.full_name))
        .append_all(field("nickname", "text", &profile.nickname))
        .append_all(field("email", "text", &profile.email))
        .append_all(field("tel", "uri", &tel))
        .append_all(field("note", "text", &profile.note))
        .build()
}

/// The profile in a vcard-temp `<vCard/>` (XEP-0054 §3.1).
///
/// Errors: in words, for an element that is no vcard-temp.
pub fn from_vcard_temp(vcard: &Element) -> Result<Profile, String> {
    if !vcard.is("vCard", ns::VCARD) {
        return Err(format!("no vcard-temp but <{}/>", vcard.name()));
    }
    Ok(Profile {
        full_name: text_of(vcard, "FN", None, ns::VCARD),
        nickname: text_of(vcard, "NICKNAME", None, ns::VCARD),
        email: text_of(vcard, "EMAIL", Some("USERID"), ns::VCARD),
        phone: text_of(vcard, "TEL", Some("NUMBER"), ns::VCARD),
        // DESC is the vcard-temp field for it; Prosody's mod_vcard_legacy writes a vCard4 note
        // as NOTE.
        note: clean(text_of(vcard, "DESC", None, ns::VCARD))
            .or_else(|| text_of(vcard, "NOTE", None, ns::VCARD)),
    }
    .cleaned())
}

/// The vcard-temp fields [`Profile`] covers; [`with_profile`] replaces these and keeps the rest.
const VCARD_TEMP_FIELDS: [&str; 6] = ["FN", "NICKNAME", "EMAIL", "TEL", "DESC", "NOTE"];

/// Our vcard-temp `current` (as the server gave it; an empty one when `None`) with the
/// fields of `profile` in place of its own (XEP-0054 §3.2): every other field (the photo,
/// XEP-0153; ones xmpp-parsers does not model) is kept as it was. Built with the minidom
/// builder, for those fields' sake.
pub fn with_profile(current: Option<&Element>, profile: &Profile) -> Element {
    let kept = current
        .map(|c| {
            c.children()
                .filter(|e| !VCARD_TEMP_FIELDS.iter().any(|f| e.is(*f, ns::VCARD)))
                .cloned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let plain = |name: &str, value: &Option<String>| {
        value
            .as_ref()
            .map(|v| Element::builder(name, ns::VCARD).append(v.as_str()).build())
    };
    let nested = |name: &str, inner: &str, value: &Option<String>| {
        value.as_ref().map(|v| {
            Element::builder(name, ns::VCARD)
                .append(Element::builder(inner, ns::VCARD).append(v.as_str()))
                .build()
        })
    };
    Element::builder("vCard", ns::VCARD)
        .append_all(plain("FN", &profile.full_name))
        .append_all(plain("NICKNAME", &profile.nickname))
        .append_all(nested("EMAIL", "USERID", &profile.email))
        .append_all(nested("TEL", "NUMBER", &profile.phone))
        .append_all(plain("DESC", &profile.note))
        .append_all(kept)
        .build()
}

/// The set of our vcard-temp `vcard` (XEP-0054 §3.2).
pub fn vcard_temp_set(vcard: Element) -> Iq {
    Iq::Set {
        from: None,
        to: None,
        id: new_id(),
        payload: vcard,
    }
}

/// The get of `jid`'s vCard4 item (XEP-0292 §3.1, Example 3).
pub fn vcard4_request(jid: &BareJid) -> Iq {
    let mut items = Items::new(VCARD4_NODE);
    items.max_items = Some(1);
    Iq::from_get(new_id(), PubSub::Items(items)).with_to(Jid::from(jid.clone()))
}

/// The profile in an answer to [`vcard4_request`]; `Ok(None)` when the node holds no item.
///
/// Errors: in words, for an answer that is no pubsub items or an item that is no vCard4.
pub fn read_vcard4(payload: Option<Element>) -> Result<Option<Profile>, String> {
    let pubsub = payload
        .map(PubSub::try_from)
        .transpose()
        .map_err(|e| format!("unreadable answer: {e}"))?;
    let Some(PubSub::Items(items)) = pubsub else {
        return Ok(None);
    };
    items
        .items
        .into_iter()
        .filter_map(|i| i.payload)
        .last()
        .map(|p| from_vcard4(&p))
        .transpose()
}

/// Publishing `profile` as our vCard4, item `current` (XEP-0292 §3.2, Example 5).
pub fn publish_vcard4(profile: &Profile) -> Iq {
    publish(VCARD4_NODE, Some("current".into()), to_vcard4(profile))
}

/// Publishing our nickname (XEP-0172 §4.1, Example 1); `None` publishes the empty `<nick/>`
/// that says we have none (§4.5).
pub fn publish_nick(nick: Option<&str>) -> Iq {
    publish(
        NICK_NODE,
        None,
        Nick(nick.unwrap_or_default().to_owned()).into(),
    )
}

/// The nickname in a presence's payloads (XEP-0172 §4.2, in a subscription request).
pub(crate) fn nick_in(payloads: &[Element]) -> Option<String> {
    payloads
        .iter()
        .filter(|p| p.is("nick", NICK_NODE))
        .find_map(|p| Nick::try_from(p.clone()).ok())
        .and_then(|n| clean(Some(n.0)))
}

/// A nickname notification (XEP-0172 §4.3) from `from` (our own account when `None`): kept
/// for a roster contact or ourselves (an empty `<nick/>` forgets it, §4.5), then
/// [`EngineEvent::RosterChanged`] so names are shown again.
pub(crate) async fn on_nick(ctx: &mut Context, from: Option<&Jid>, items: Vec<EventItem>) {
    let jid = from.map_or_else(|| ctx.jid.clone(), Jid::to_bare);
    let Some(payload) = items.into_iter().filter_map(|i| i.payload).last() else {
        return;
    };
    let nick = match Nick::try_from(payload) {
        Ok(nick) => clean(Some(nick.0)),
        Err(e) => {
            tracing::info!(account = ctx.account_id, "nickname of {jid} ignored: {e}");
            return;
        }
    };
    if !ctx.follows(&jid).await {
        tracing::debug!(
            account = ctx.account_id,
            "nickname of {jid} not kept: not a contact"
        );
        return;
    }
    match ctx
        .store
        .set_nick(ctx.account_id, jid.as_str(), nick.as_deref())
        .await
    {
        Ok(true) => ctx.emit(EngineEvent::RosterChanged {
            account_id: ctx.account_id,
        }),
        Ok(false) => {}
        Err(e) => tracing::warn!(
            account = ctx.account_id,
            "storing the nickname of {jid}: {e}"
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Element {
        xml.parse().unwrap()
    }

    /// XEP-0292 §2, Example 1 (abridged to the fields read, with the parameters kept).
    const XEP_0292_EXAMPLE: &str = "<vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'>
        <fn><text>Peter Saint-Andre</text></fn>
        <n><surname>Saint-Andre</surname><given>Peter</given><additional></additional></n>
        <nickname><text>stpeter</text></nickname>
        <nickname><text>psa</text></nickname>
        <email><parameters><type><text>work</text></type></parameters>
          <text>psaintan@cisco.com</text></email>
        <tel><parameters><type><text>work</text><text>voice</text></type></parameters>
          <uri>tel:+1-303-308-3282</uri></tel>
        <note><text>More information about me is located on my personal website: https://stpeter.im/</text></note>
      </vcard>";

    #[test]
    fn the_xep_0292_example_is_read() {
        let profile = from_vcard4(&parse(XEP_0292_EXAMPLE)).unwrap();
        assert_eq!(profile.full_name.as_deref(), Some("Peter Saint-Andre"));
        assert_eq!(
            profile.nickname.as_deref(),
            Some("stpeter"),
            "the first nickname"
        );
        assert_eq!(profile.email.as_deref(), Some("psaintan@cisco.com"));
        assert_eq!(
            profile.phone.as_deref(),
            Some("+1-303-308-3282"),
            "tel: dropped"
        );
        assert!(profile.note.unwrap().ends_with("https://stpeter.im/"));
    }

    #[test]
    fn a_vcard4_we_write_reads_back_the_same() {
        let profile = Profile {
            full_name: Some("Alice <A> & Co".into()),
            nickname: Some("al".into()),
            email: None,
            phone: Some("+33 1 23".into()),
            note: Some("line one\nline two".into()),
        };
        let element = to_vcard4(&profile);
        assert!(
            element.get_child("email", VCARD4_NS).is_none(),
            "no empty fields"
        );
        assert_eq!(
            element
                .get_child("tel", VCARD4_NS)
                .and_then(|t| t.get_child("uri", VCARD4_NS))
                .map(Element::text)
                .as_deref(),
            Some("tel:+33 1 23")
        );
        let text = String::from(&element);
        assert_eq!(from_vcard4(&parse(&text)).unwrap(), profile);
    }

    /// XEP-0054 §3.1, Example 2 (abridged).
    const XEP_0054_EXAMPLE: &str = "<vCard xmlns='vcard-temp'>
        <FN>Peter Saint-Andre</FN>
        <N><FAMILY>Saint-Andre</FAMILY><GIVEN>Peter</GIVEN><MIDDLE/></N>
        <NICKNAME>stpeter</NICKNAME>
        <URL>http://www.xmpp.org/xsf/people/stpeter.shtml</URL>
        <TEL><WORK/><VOICE/><NUMBER>303-308-3282</NUMBER></TEL>
        <EMAIL><INTERNET/><PREF/><USERID>stpeter@jabber.org</USERID></EMAIL>
        <JABBERID>stpeter@jabber.org</JABBERID>
        <DESC>More information about me is located on my personal website: http://www.saint-andre.com/</DESC>
        <PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO>
      </vCard>";

    #[test]
    fn the_xep_0054_example_is_read() {
        let profile = from_vcard_temp(&parse(XEP_0054_EXAMPLE)).unwrap();
        assert_eq!(
            profile,
            Profile {
                full_name: Some("Peter Saint-Andre".into()),
                nickname: Some("stpeter".into()),
                email: Some("stpeter@jabber.org".into()),
                phone: Some("303-308-3282".into()),
                note: Some(
                    "More information about me is located on my personal website: \
                     http://www.saint-andre.com/"
                        .into()
                ),
            }
        );
    }

    #[test]
    fn our_vcard_temp_keeps_the_fields_we_do_not_edit() {
        let current = parse(XEP_0054_EXAMPLE);
        let profile = Profile {
            full_name: Some("Peter".into()),
            note: None,
            ..Default::default()
        };
        let vcard = with_profile(Some(&current), &profile);
        assert_eq!(
            from_vcard_temp(&vcard).unwrap(),
            profile,
            "ours replace theirs"
        );
        for kept in ["N", "URL", "JABBERID", "PHOTO"] {
            assert!(vcard.get_child(kept, ns::VCARD).is_some(), "{kept} kept");
        }
        assert!(
            vcard.get_child("DESC", ns::VCARD).is_none(),
            "a cleared note goes"
        );
        assert!(vcard.get_child("TEL", ns::VCARD).is_none());
        let empty = with_profile(None, &profile);
        assert_eq!(empty.children().count(), 1);
    }

    #[test]
    fn other_elements_are_refused_and_fields_are_cleaned() {
        assert!(from_vcard4(&parse(XEP_0054_EXAMPLE)).is_err());
        assert!(from_vcard_temp(&parse(XEP_0292_EXAMPLE)).is_err());
        let long = "x".repeat(MAX_FIELD_CHARS + 10);
        let vcard = parse(&format!(
            "<vCard xmlns='vcard-temp'><FN>  </FN><NICKNAME> {long} </NICKNAME></vCard>"
        ));
        let profile = from_vcard_temp(&vcard).unwrap();
        assert_eq!(profile.full_name, None, "blank is absent");
        assert_eq!(profile.nickname.unwrap().chars().count(), MAX_FIELD_CHARS);
        // As Prosody's mod_vcard_legacy writes a vCard4 note into vcard-temp.
        let legacy = parse("<vCard xmlns='vcard-temp'><NOTE>from vCard4</NOTE></vCard>");
        assert_eq!(
            from_vcard_temp(&legacy).unwrap().note.as_deref(),
            Some("from vCard4")
        );
    }

    /// XEP-0292 §3.1, Example 4: the result of a vCard4 get.
    #[test]
    fn a_vcard4_items_result_is_read() {
        let result = parse(
            "<pubsub xmlns='http://jabber.org/protocol/pubsub'>
               <items node='urn:xmpp:vcard4'>
                 <item id='current'>
                   <vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'>
                     <fn><text>Peter Saint-Andre</text></fn>
                   </vcard>
                 </item>
               </items>
             </pubsub>",
        );
        let profile = read_vcard4(Some(result)).unwrap().unwrap();
        assert_eq!(profile.full_name.as_deref(), Some("Peter Saint-Andre"));
        let empty = parse(
            "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:vcard4'/></pubsub>",
        );
        assert_eq!(read_vcard4(Some(empty)).unwrap(), None);
    }

    #[test]
    fn our_publishes_carry_the_xeps_nodes() {
        let Iq::Set { payload, .. } = publish_vcard4(&Profile::default()) else {
            panic!("a set");
        };
        let publish = payload.get_child("publish", ns::PUBSUB).unwrap();
        assert_eq!(publish.attr("node"), Some(VCARD4_NODE));
        assert_eq!(
            publish.get_child("item", ns::PUBSUB).unwrap().attr("id"),
            Some("current")
        );
        let Iq::Set { payload, .. } = publish_nick(None) else {
            panic!("a set");
        };
        let nick = payload
            .get_child("publish", ns::PUBSUB)
            .and_then(|p| p.get_child("item", ns::PUBSUB))
            .and_then(|i| i.get_child("nick", NICK_NODE))
            .unwrap();
        assert_eq!(nick.text(), "", "XEP-0172 §4.5: empty means none");
    }

    /// XEP-0172 §4.2, Example 3: a subscription request with a nickname.
    #[test]
    fn a_nick_in_a_subscription_request_is_read() {
        let presence = parse(
            "<presence xmlns='jabber:client' from='narrator@moby-dick.lit' to='starbuck@moby-dick.lit' type='subscribe'>
               <nick xmlns='http://jabber.org/protocol/nick'>Ishmael</nick>
             </presence>",
        );
        let payloads: Vec<Element> = presence.children().cloned().collect();
        assert_eq!(nick_in(&payloads).as_deref(), Some("Ishmael"));
        assert_eq!(nick_in(&[]), None);
    }
}
