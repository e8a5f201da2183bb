//! Stanza Content Encryption envelopes (XEP-0420 v0.5) with the OMEMO profile (XEP-0384
//! §"SCE Profile"): what OMEMO 2 encrypts instead of a bare body.
//!
//! `<envelope xmlns='urn:xmpp:sce:1'><content>…</content><rpad>…</rpad><time stamp='…'/>
//! <to jid='…'/><from jid='…'/></envelope>`: `<rpad/>` MUST be present, `<from/>` SHOULD be,
//! `<to/>` MUST be for group chats. The receiver checks `<from/>` and `<to/>` against the stanza.

use minidom::Element;
use xso::{AsXml, FromXml};

use crate::entropy::Entropy;
use crate::OmemoError;

/// `urn:xmpp:sce:1`.
pub const NS_SCE: &str = "urn:xmpp:sce:1";

/// Namespaces a server processes; XEP-0420 §"Business Rules": such elements found inside the
/// encrypted content are dropped (they would be unverifiable claims by the sender).
const SERVER_PROCESSED: &[&str] = &[
    "urn:xmpp:sid:0",
    "urn:xmpp:delay",
    "urn:xmpp:hints",
    "urn:xmpp:mam:2",
    "urn:xmpp:carbons:2",
    "urn:xmpp:sce:1",
];

/// `<content/>`: the elements that would otherwise be in the stanza.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_SCE, name = "content")]
pub struct Content {
    /// The sensitive elements (`<body xmlns='jabber:client'/>` and others), each namespaced.
    #[xml(element(n = ..))]
    pub elements: Vec<Element>,
}

/// `<rpad/>`: random padding.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_SCE, name = "rpad")]
pub struct Rpad {
    /// Any text.
    #[xml(text)]
    pub text: String,
}

/// `<time stamp='…'/>` (XEP-0082 DateTime).
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_SCE, name = "time")]
pub struct Time {
    /// XEP-0082 DateTime.
    #[xml(attribute)]
    pub stamp: String,
}

/// `<to jid='…'/>`.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_SCE, name = "to")]
pub struct To {
    /// The intended recipient's bare JID (a room's JID in group chats).
    #[xml(attribute)]
    pub jid: String,
}

/// `<from jid='…'/>`.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_SCE, name = "from")]
pub struct From {
    /// The sender's bare JID.
    #[xml(attribute)]
    pub jid: String,
}

/// `<envelope xmlns='urn:xmpp:sce:1'/>`.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_SCE, name = "envelope")]
pub struct Envelope {
    /// The encrypted elements.
    #[xml(child)]
    pub content: Content,
    /// Padding.
    #[xml(child(default))]
    pub rpad: Option<Rpad>,
    /// When it was sent.
    #[xml(child(default))]
    pub time: Option<Time>,
    /// The recipient.
    #[xml(child(default))]
    pub to: Option<To>,
    /// The sender.
    #[xml(child(default))]
    pub from: Option<From>,
}

impl Envelope {
    /// An envelope for `elements`, from `from` to `to` (bare JIDs), sent at `stamp`, with 0–63
    /// bytes of random padding as hex.
    pub fn new(
        elements: Vec<Element>,
        from: &str,
        to: &str,
        stamp: Option<String>,
        entropy: &mut dyn Entropy,
    ) -> Self {
        let mut len = [0u8; 1];
        entropy.fill(&mut len);
        let mut pad = vec![0u8; usize::from(len[0] % 64)];
        entropy.fill(&mut pad);
        let text = pad.iter().map(|b| format!("{b:02x}")).collect();
        Envelope {
            content: Content { elements },
            rpad: Some(Rpad { text }),
            time: stamp.map(|stamp| Time { stamp }),
            to: Some(To { jid: to.to_owned() }),
            from: Some(From {
                jid: from.to_owned(),
            }),
        }
    }

    /// The envelope as UTF-8 XML, what OMEMO 2 encrypts.
    pub fn to_bytes(&self) -> Vec<u8> {
        let element: Element = self.clone().into();
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = element.write_to(&mut out);
        out
    }

    /// Parses decrypted bytes, dropping server-processed elements from the content.
    ///
    /// # Errors
    /// [`OmemoError::Envelope`] when the bytes are not an envelope.
    pub fn parse(bytes: &[u8]) -> Result<Self, OmemoError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| OmemoError::Envelope("not UTF-8".into()))?;
        let element: Element = text
            .parse()
            .map_err(|e: minidom::Error| OmemoError::Envelope(e.to_string()))?;
        let mut envelope =
            Envelope::try_from(element).map_err(|e| OmemoError::Envelope(e.to_string()))?;
        envelope
            .content
            .elements
            .retain(|e| !SERVER_PROCESSED.contains(&e.ns().as_str()));
        Ok(envelope)
    }

    /// Checks the affixes against the stanza: `<from/>`, when present, must be the sender's bare
    /// JID; `<to/>`, when present, must be `to` (our bare JID, or the room's JID in a group chat),
    /// and for a group chat it must be present.
    ///
    /// # Errors
    /// [`OmemoError::Envelope`] saying which affix did not match.
    pub fn check(&self, sender: &str, to: &str, group: bool) -> Result<(), OmemoError> {
        if let Some(from) = &self.from {
            if !from.jid.eq_ignore_ascii_case(sender) {
                return Err(OmemoError::Envelope(format!(
                    "sent by {sender} but signed as from {}",
                    from.jid
                )));
            }
        }
        match &self.to {
            Some(t) if !t.jid.eq_ignore_ascii_case(to) => Err(OmemoError::Envelope(format!(
                "meant for {} and not for {to}",
                t.jid
            ))),
            None if group => Err(OmemoError::Envelope(
                "a group message without a recipient".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The text of `<body xmlns='jabber:client'/>` in the content, if any.
    pub fn body(&self) -> Option<String> {
        self.content
            .elements
            .iter()
            .find(|e| e.is("body", "jabber:client"))
            .map(|e| e.text())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::OsEntropy;

    #[test]
    fn the_xep_example_parses_and_checks() {
        // XEP-0420 §"Example 1", with the body namespaced as §"Business Rules" asks.
        let xml = "<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>Have you seen that new movie?</body><x xmlns='jabber:x:oob'><url>https://en.wikipedia.org/wiki/Fight_Club#Plot</url></x></content><rpad>  </rpad><time stamp='2004-01-25T05:05:00Z'/><to jid='missioncontrol@houston.gov'/><from jid='opportunity@mars.planet'/></envelope>";
        let env = Envelope::parse(xml.as_bytes()).unwrap();
        assert_eq!(env.body().as_deref(), Some("Have you seen that new movie?"));
        assert_eq!(env.content.elements.len(), 2);
        env.check(
            "opportunity@mars.planet",
            "missioncontrol@houston.gov",
            true,
        )
        .unwrap();
        assert!(env
            .check("mallory@evil.example", "missioncontrol@houston.gov", false)
            .is_err());
        assert!(env
            .check("opportunity@mars.planet", "someone@else.example", false)
            .is_err());
    }

    #[test]
    fn built_envelopes_round_trip_and_server_elements_are_dropped() {
        let body = Element::builder("body", "jabber:client")
            .append("hi <there> & 'you'")
            .build();
        let sid = Element::builder("stanza-id", "urn:xmpp:sid:0").build();
        let env = Envelope::new(
            vec![body, sid],
            "a@example.org",
            "b@example.org",
            None,
            &mut OsEntropy,
        );
        let parsed = Envelope::parse(&env.to_bytes()).unwrap();
        assert_eq!(parsed.body().as_deref(), Some("hi <there> & 'you'"));
        assert_eq!(parsed.content.elements.len(), 1);
        assert!(parsed.rpad.is_some());
        parsed
            .check("a@example.org", "b@example.org", false)
            .unwrap();
        assert!(Envelope::parse(b"<body xmlns='jabber:client'>x</body>").is_err());
        assert!(Envelope::parse(&[0xff, 0xfe]).is_err());
    }
}
