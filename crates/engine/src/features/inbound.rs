//! Parse once: every inbound `<message/>` is taken apart here, into an [`Inbound`] (the
//! envelope, RFC 6121 §5.2, and what kind of message it is) whose [`Content`] carries every
//! facet the feature modules use. Wrapping is unwrapped and checked here too: an XEP-0280
//! carbon counts only from our own bare JID (§11), an XEP-0313 result keeps the archive's id
//! and the forwarding delay, and a forwarded message is never itself a carbon or an archive
//! result. The feature modules then act on typed values and never look at raw payloads.

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::carbons;
use tokio_xmpp::parsers::delay::Delay;
use tokio_xmpp::parsers::displayed_markers::{Displayed, Markable};
use tokio_xmpp::parsers::forwarding::Forwarded;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::mam;
use tokio_xmpp::parsers::message::{Message, MessageType};
use tokio_xmpp::parsers::ns;
use tokio_xmpp::parsers::oob::Oob;
use tokio_xmpp::parsers::pubsub::event::Event;
use tokio_xmpp::parsers::receipts::{Received, Request};
use tokio_xmpp::parsers::stanza_error::StanzaError;
use tokio_xmpp::parsers::stanza_id::{OriginId, StanzaId};

use super::facets::{self, Facets};
use super::iq::condition_words;

/// The addressing of a message (RFC 6121 §5.2).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Envelope {
    /// Sender, as the server stamped it; `None` means our own server on our behalf.
    pub from: Option<Jid>,
    /// Recipient.
    pub to: Option<Jid>,
    /// The stanza's `id` attribute.
    pub id: Option<String>,
    /// `chat`, `normal`, `groupchat`, `headline` or `error`.
    pub type_: MessageType,
}

/// An invitation to a room (XEP-0045 §7.8.2 mediated, XEP-0249 direct).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invitation {
    /// From the room (`<invite/>` in muc#user); `from` is the inviter's JID as the room gives
    /// it (real JID or occupant JID).
    Mediated {
        /// The inviter, as the room names them.
        from: Option<Jid>,
        /// Their reason.
        reason: Option<String>,
    },
    /// Straight from the inviter (`<x xmlns='jabber:x:conference' jid=…/>`).
    Direct {
        /// The room; `None` when the invitation names no usable room.
        room: Option<BareJid>,
        /// Their reason.
        reason: Option<String>,
    },
}

/// The facets of one message's content, parsed from its children.
#[derive(Debug, Clone, Default)]
pub(crate) struct Content {
    /// The best body (RFC 6121 §5.2.3), if any.
    pub body: Option<String>,
    /// The best subject (RFC 6121 §5.2.4; a room's subject, XEP-0045 §8.1), if any.
    pub subject: Option<String>,
    /// XEP-0359 origin-id.
    pub origin_id: Option<String>,
    /// Every XEP-0359 stanza-id as `(id, by)`; which `by` counts is the handler's check.
    pub stanza_ids: Vec<(String, Jid)>,
    /// XEP-0203 delay on the message itself.
    pub delay: Option<Delay>,
    /// XEP-0333 `<markable/>`.
    pub markable: bool,
    /// XEP-0184 `<request/>`.
    pub receipt_request: bool,
    /// XEP-0184 `<received id=…/>`: the id of the message it confirms.
    pub receipt: Option<String>,
    /// XEP-0333 `<displayed id=…/>`: the id of the message it marks.
    pub displayed: Option<String>,
    /// An invitation (not a chat message, though it carries a fallback body).
    pub invitation: Option<Invitation>,
    /// Corrections, retractions, reactions, replies, chat states, occupant-id.
    pub facets: Facets,
    /// An OMEMO `<encrypted/>` element (XEP-0384; OMEMO 2 when both generations came),
    /// taken by `omemo::decrypt`, which replaces `body`.
    pub encrypted: Option<super::omemo::Encrypted>,
    /// How the body was encrypted, once decrypted (`omemo`, `omemo2`, `undecryptable`).
    pub encryption: Option<&'static str>,
    /// The OMEMO device a decrypted body came from: (owner's bare JID, device id).
    pub omemo_device: Option<(String, u32)>,
    /// XEP-0066 out-of-band data's URL (a shared file when it is also the body).
    pub oob_url: Option<String>,
    /// XEP-0447 Stateless File Sharing: what the sender says of the file it shares.
    pub file_sharing: Option<super::file_sharing::FileSharing>,
}

impl Content {
    /// The stanza-id that `by` assigned (XEP-0359 §5: only the entity we trust counts).
    pub(crate) fn stanza_id_by(&self, by: &BareJid) -> Option<&str> {
        self.stanza_ids
            .iter()
            .find(|(_, b)| b.resource().is_none() && b.to_bare() == *by)
            .map(|(id, _)| id.as_str())
    }

    /// The XEP-0203 delay's stamp, unix ms.
    #[cfg(test)]
    pub(crate) fn delay_ms(&self) -> Option<i64> {
        self.delay.as_ref().map(|d| d.stamp.0.timestamp_millis())
    }
}

/// A forwarded message (XEP-0297) as carried by a carbon or an archive result.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    /// The delay on the forwarding wrapper (when the archive or server stored it).
    pub delay: Option<Delay>,
    /// The forwarded message's envelope.
    pub envelope: Envelope,
    /// The forwarded message's content.
    pub content: Content,
}

/// What kind of message this is, in the order the route tries them.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// `type='error'` (RFC 6120 §8.3): the defined condition as its element name, if given.
    Error {
        /// e.g. `service-unavailable`.
        condition: Option<String>,
    },
    /// A result of an archive query (XEP-0313 §4.2).
    ArchiveResult {
        /// Our `queryid`.
        query_id: Option<String>,
        /// The archive's id for the message (a stanza-id in the archive's id space).
        archive_id: String,
        /// The archived message.
        forward: Box<Forward>,
    },
    /// A carbon copy (XEP-0280 §6, §7) from our own bare JID.
    Carbon {
        /// The copied message.
        forward: Box<Forward>,
    },
    /// A carbon-shaped message from anyone but our own account: a forgery (XEP-0280 §11).
    ForgedCarbon,
    /// A PubSub event (XEP-0060 §7, through PEP XEP-0163).
    Pep(Box<Event>),
    /// An invitation to a room.
    Invite(Invitation),
    /// `type='groupchat'` (XEP-0045 §7.4): a group message or the room subject.
    Groupchat,
    /// `chat` or `normal` (or a headline): one-to-one.
    Chat,
}

/// One inbound message, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct Inbound {
    /// Addressing.
    pub envelope: Envelope,
    /// What it is.
    pub kind: Kind,
    /// What it carries (for forwarded kinds: the wrapper's own, usually empty).
    pub content: Content,
}

/// Parses one message received on the stream of the account with bare JID `own`.
/// Never fails: an unusable child is skipped (and logged at debug level).
pub(crate) fn parse(mut message: Message, own: &BareJid) -> Inbound {
    let envelope = envelope(&message);
    if message.type_ == MessageType::Error {
        let condition = message
            .payloads
            .iter()
            .find(|p| p.name() == "error")
            .and_then(|e| StanzaError::try_from(e.clone()).ok())
            .map(|e| condition_words(&e.defined_condition));
        return Inbound {
            envelope,
            kind: Kind::Error { condition },
            content: Content::default(),
        };
    }
    if let Some(result) = take::<mam::Result_>(&mut message) {
        let forward = forward(result.forwarded);
        return Inbound {
            envelope,
            kind: Kind::ArchiveResult {
                query_id: result.queryid.map(|q| q.0),
                archive_id: result.id,
                forward: Box::new(forward),
            },
            content: Content::default(),
        };
    }
    // XEP-0280 §6 `<received/>` and §7 `<sent/>`: the direction follows from the addresses.
    let sent = take::<carbons::Sent>(&mut message).map(|s| s.forwarded);
    let received = || take::<carbons::Received>(&mut message).map(|r| r.forwarded);
    if let Some(forwarded) = sent.or_else(received) {
        let from_own = envelope
            .from
            .as_ref()
            .is_some_and(|f| f.resource().is_none() && f.to_bare() == *own);
        let kind = if from_own {
            Kind::Carbon {
                forward: Box::new(forward(forwarded)),
            }
        } else {
            Kind::ForgedCarbon
        };
        return Inbound {
            envelope,
            kind,
            content: Content::default(),
        };
    }
    if let Some(event) = take::<Event>(&mut message) {
        return Inbound {
            envelope,
            kind: Kind::Pep(Box::new(event)),
            content: Content::default(),
        };
    }
    let is_groupchat = message.type_ == MessageType::Groupchat;
    let content = content(&mut message);
    let kind = match (&content.invitation, is_groupchat) {
        (_, true) => Kind::Groupchat,
        (Some(invitation), false) => Kind::Invite(invitation.clone()),
        (None, false) => Kind::Chat,
    };
    Inbound {
        envelope,
        kind,
        content,
    }
}

fn envelope(message: &Message) -> Envelope {
    Envelope {
        from: message.from.clone(),
        to: message.to.clone(),
        id: message.id.as_ref().map(|i| i.0.clone()),
        type_: message.type_.clone(),
    }
}

/// A forwarded message (XEP-0297): its own carbons or archive wrappers are not looked at.
fn forward(forwarded: Forwarded) -> Forward {
    let Forwarded { delay, mut message } = forwarded;
    Forward {
        delay,
        envelope: envelope(&message),
        content: content(&mut message),
    }
}

/// Takes the first payload of type `T` out of the message; a malformed one is skipped.
pub(crate) fn take<T>(message: &mut Message) -> Option<T>
where
    T: TryFrom<Element, Error = tokio_xmpp::parsers::FromElementError>,
{
    match message.extract_payload::<T>() {
        Ok(found) => found,
        Err(e) => {
            tracing::debug!("malformed payload skipped: {e:?}");
            None
        }
    }
}

pub(crate) fn content(message: &mut Message) -> Content {
    let mut body = message.get_best_body_cloned(vec![]).map(|(_, b)| b);
    let facets = facets::parse(message, &mut body);
    let subject = message.get_best_subject_cloned(vec![]).map(|(_, s)| s);
    let invitation = invitation(message);
    let encrypted = super::omemo::Encrypted::take(message);
    let origin_id = take::<OriginId>(message).map(|o| o.id);
    let oob_url = take::<Oob>(message).map(|o| o.url);
    let file_sharing = super::file_sharing::take_file_sharing(message);
    let mut stanza_ids = Vec::new();
    while let Some(sid) = take::<StanzaId>(message) {
        stanza_ids.push((sid.id, sid.by));
    }
    Content {
        body,
        subject,
        origin_id,
        stanza_ids,
        delay: take::<Delay>(message),
        markable: take::<Markable>(message).is_some(),
        receipt_request: take::<Request>(message).is_some(),
        receipt: take::<Received>(message).map(|r| r.id),
        displayed: take::<Displayed>(message).map(|d| d.id.0),
        invitation,
        facets,
        encrypted,
        encryption: None,
        omemo_device: None,
        oob_url,
        file_sharing,
    }
}

fn invitation(message: &Message) -> Option<Invitation> {
    let non_empty = |s: String| Some(s).filter(|s| !s.is_empty());
    if let Some(invite) = message
        .payloads
        .iter()
        .find(|p| p.is("x", ns::MUC_USER))
        .and_then(|x| x.get_child("invite", ns::MUC_USER))
    {
        return Some(Invitation::Mediated {
            from: invite.attr("from").and_then(|f| Jid::new(f).ok()),
            reason: invite
                .get_child("reason", ns::MUC_USER)
                .map(|r| r.text())
                .and_then(non_empty),
        });
    }
    let direct = message
        .payloads
        .iter()
        .find(|p| p.is("x", "jabber:x:conference"))?;
    Some(Invitation::Direct {
        room: direct.attr("jid").and_then(|j| BareJid::new(j).ok()),
        reason: direct.attr("reason").map(str::to_owned).and_then(non_empty),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn own() -> BareJid {
        BareJid::new("alice@example.org").unwrap()
    }

    fn parse_xml(xml: &str) -> Inbound {
        let element: Element = xml.parse().unwrap();
        parse(Message::try_from(element).unwrap(), &own())
    }

    #[test]
    fn a_chat_message_with_every_facet() {
        // XEP-0359 §3/§4, XEP-0184 §5.1, XEP-0333 §4, XEP-0203 §3.
        let m = parse_xml(
            "<message xmlns='jabber:client' from='bob@example.org/phone' to='alice@example.org'
                      type='chat' id='m1'>
               <body>Hi</body>
               <origin-id xmlns='urn:xmpp:sid:0' id='o1'/>
               <stanza-id xmlns='urn:xmpp:sid:0' id='s-forged' by='bob@example.org'/>
               <stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@example.org'/>
               <request xmlns='urn:xmpp:receipts'/>
               <markable xmlns='urn:xmpp:chat-markers:0'/>
               <delay xmlns='urn:xmpp:delay' from='example.org' stamp='2002-09-10T23:08:25Z'/>
             </message>",
        );
        assert!(matches!(m.kind, Kind::Chat), "{:?}", m.kind);
        assert_eq!(m.envelope.id.as_deref(), Some("m1"));
        let c = &m.content;
        assert_eq!(c.body.as_deref(), Some("Hi"));
        assert_eq!(c.origin_id.as_deref(), Some("o1"));
        assert_eq!(
            c.stanza_id_by(&own()),
            Some("s1"),
            "only our server's stanza-id"
        );
        assert!(c.receipt_request && c.markable);
        assert_eq!(c.delay_ms(), Some(1_031_699_305_000));
    }

    #[test]
    fn receipts_and_markers_without_a_body() {
        let m = parse_xml(
            "<message xmlns='jabber:client' from='bob@example.org/phone' id='r'>
               <received xmlns='urn:xmpp:receipts' id='m1'/>
               <displayed xmlns='urn:xmpp:chat-markers:0' id='m0'/>
             </message>",
        );
        assert!(matches!(m.kind, Kind::Chat), "{:?}", m.kind);
        assert_eq!(m.content.body, None);
        assert_eq!(m.content.receipt.as_deref(), Some("m1"));
        assert_eq!(m.content.displayed.as_deref(), Some("m0"));
    }

    #[test]
    fn an_error_names_its_condition() {
        // RFC 6120 §8.3.2.
        let m = parse_xml(
            "<message xmlns='jabber:client' from='bob@example.org' type='error' id='m1'>
               <error type='cancel'>
                 <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
               </error>
             </message>",
        );
        let Kind::Error { condition } = m.kind else {
            panic!("an error: {:?}", m.kind)
        };
        assert_eq!(condition.as_deref(), Some("service-unavailable"));
    }

    #[test]
    fn a_carbon_from_our_account_is_unwrapped() {
        // XEP-0280 §7, example 12.
        let m = parse_xml(
            "<message xmlns='jabber:client' from='alice@example.org'
                      to='alice@example.org/desktop' type='chat'>
               <sent xmlns='urn:xmpp:carbons:2'>
                 <forwarded xmlns='urn:xmpp:forward:0'>
                   <message xmlns='jabber:client' to='bob@example.org/phone'
                            from='alice@example.org/laptop' type='chat' id='x'>
                     <body>From the laptop</body>
                   </message>
                 </forwarded>
               </sent>
             </message>",
        );
        let Kind::Carbon { forward } = m.kind else {
            panic!("a carbon: {:?}", m.kind)
        };
        assert_eq!(forward.content.body.as_deref(), Some("From the laptop"));
        assert_eq!(forward.envelope.id.as_deref(), Some("x"));
    }

    #[test]
    fn a_carbon_from_anyone_else_is_a_forgery() {
        // XEP-0280 §11: a stranger (or another resource) cannot hand us carbons.
        for from in ["mallory@example.org", "alice@example.org/other"] {
            let m = parse_xml(&format!(
                "<message xmlns='jabber:client' from='{from}' to='alice@example.org/desktop'>
                   <received xmlns='urn:xmpp:carbons:2'>
                     <forwarded xmlns='urn:xmpp:forward:0'>
                       <message xmlns='jabber:client' from='bob@example.org/a' type='chat'>
                         <body>forged</body>
                       </message>
                     </forwarded>
                   </received>
                 </message>"
            ));
            assert!(matches!(m.kind, Kind::ForgedCarbon), "from {from}");
        }
    }

    #[test]
    fn an_archive_result_keeps_its_id_and_delay() {
        // XEP-0313 §4.2, example 4.
        let m = parse_xml(
            "<message xmlns='jabber:client' to='alice@example.org/desktop' id='aeb213'>
               <result xmlns='urn:xmpp:mam:2' queryid='f27' id='28482-98726-73623'>
                 <forwarded xmlns='urn:xmpp:forward:0'>
                   <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>
                   <message xmlns='jabber:client' to='alice@example.org/desktop'
                            from='bob@example.org/x' type='chat'>
                     <body>Hail to thee</body>
                   </message>
                 </forwarded>
               </result>
             </message>",
        );
        let Kind::ArchiveResult {
            query_id,
            archive_id,
            forward,
        } = m.kind
        else {
            panic!("an archive result: {:?}", m.kind)
        };
        assert_eq!(query_id.as_deref(), Some("f27"));
        assert_eq!(archive_id, "28482-98726-73623");
        assert!(forward.delay.is_some());
        assert_eq!(forward.content.body.as_deref(), Some("Hail to thee"));
    }

    #[test]
    fn invitations_mediated_and_direct() {
        // XEP-0045 §7.8.2 example 57; XEP-0249 §2 example 1.
        let m = parse_xml(
            "<message xmlns='jabber:client' from='coven@chat.example.org' to='alice@example.org'>
               <x xmlns='http://jabber.org/protocol/muc#user'>
                 <invite from='crone1@example.org/desktop'><reason>Hey</reason></invite>
               </x>
               <body>fallback</body>
             </message>",
        );
        let Kind::Invite(invitation) = m.kind else {
            panic!("an invitation: {:?}", m.kind)
        };
        assert_eq!(
            invitation,
            Invitation::Mediated {
                from: Some(Jid::new("crone1@example.org/desktop").unwrap()),
                reason: Some("Hey".into()),
            }
        );
        let m = parse_xml(
            "<message xmlns='jabber:client' from='crone1@example.org/desktop' to='alice@example.org'>
               <x xmlns='jabber:x:conference' jid='darkcave@macbeth.shakespeare.lit'
                  reason='Hey Hecate'/>
             </message>",
        );
        let Kind::Invite(invitation) = m.kind else {
            panic!("an invitation: {:?}", m.kind)
        };
        assert_eq!(
            invitation,
            Invitation::Direct {
                room: Some(BareJid::new("darkcave@macbeth.shakespeare.lit").unwrap()),
                reason: Some("Hey Hecate".into()),
            }
        );
    }

    #[test]
    fn a_group_message_and_a_subject() {
        // XEP-0045 §7.4 example 45 (with the room's stanza-id), §8.1 example 88.
        let m = parse_xml(
            "<message xmlns='jabber:client' from='coven@chat.example.org/thirdwitch'
                      to='alice@example.org/desktop' type='groupchat' id='g1'>
               <body>Harpier cries</body>
               <stanza-id xmlns='urn:xmpp:sid:0' id='r1' by='coven@chat.example.org'/>
             </message>",
        );
        assert!(matches!(m.kind, Kind::Groupchat), "{:?}", m.kind);
        let room = BareJid::new("coven@chat.example.org").unwrap();
        assert_eq!(m.content.stanza_id_by(&room), Some("r1"));
        let m = parse_xml(
            "<message xmlns='jabber:client' from='coven@chat.example.org/wiccarocks'
                      to='alice@example.org/desktop' type='groupchat'>
               <subject>Fire Burn</subject>
             </message>",
        );
        assert!(matches!(m.kind, Kind::Groupchat), "{:?}", m.kind);
        assert_eq!(m.content.subject.as_deref(), Some("Fire Burn"));
        assert_eq!(m.content.body, None);
    }

    #[test]
    fn a_pep_event_is_recognised() {
        // XEP-0402 §4.3 example 8.
        let m = parse_xml(
            "<message xmlns='jabber:client' from='alice@example.org' to='alice@example.org/desktop'>
               <event xmlns='http://jabber.org/protocol/pubsub#event'>
                 <items node='urn:xmpp:bookmarks:1'>
                   <item id='theplay@conference.shakespeare.lit'>
                     <conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/>
                   </item>
                 </items>
               </event>
             </message>",
        );
        assert!(matches!(m.kind, Kind::Pep(_)), "{:?}", m.kind);
    }

    #[test]
    fn a_malformed_payload_is_skipped_not_fatal() {
        // An origin-id without its id attribute: ignored, the body still counts.
        let m = parse_xml(
            "<message xmlns='jabber:client' from='bob@example.org/a' type='chat'>
               <body>still here</body>
               <origin-id xmlns='urn:xmpp:sid:0'/>
             </message>",
        );
        assert!(matches!(m.kind, Kind::Chat), "{:?}", m.kind);
        assert_eq!(m.content.body.as_deref(), Some("still here"));
        assert_eq!(m.content.origin_id, None);
    }
}
