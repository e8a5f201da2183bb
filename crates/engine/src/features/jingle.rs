//! Jingle file transfer, the protocol: sessions (XEP-0166) offering one file (XEP-0234) over
//! SOCKS5 Bytestreams (XEP-0260, candidates in `features::s5b`) or In-Band Bytestreams
//! (XEP-0261 on XEP-0047), read from and written as xmpp-parsers types.
//! The sessions themselves run in `api::transfers`; `features::transfers` hands them the
//! stanzas that arrive.

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::hashes::{Algo, Hash};
use tokio_xmpp::parsers::ibb;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::jingle::{
    Action, Content, ContentId, Creator, Description, Jingle, Reason, ReasonElement, Senders,
    SessionId, Transport,
};
use tokio_xmpp::parsers::jingle_ft;
use tokio_xmpp::parsers::jingle_ibb;
use tokio_xmpp::parsers::ns;

use super::s5b::{self, S5bTransport};

/// Features a peer announces (XEP-0030) when it takes Jingle file transfers over IBB, the
/// transport every one of them must have (XEP-0234 §10).
pub const FEATURES: &[&str] = &[ns::JINGLE, ns::JINGLE_FT, ns::JINGLE_IBB, ns::IBB];

/// The feature of SOCKS5 Bytestreams for Jingle (XEP-0260 §5), tried first when announced.
pub const S5B_FEATURE: &str = ns::JINGLE_S5B;

/// The content name of the sessions we start.
pub const CONTENT: &str = "file";

/// The IBB block size we offer and accept at most (bytes before base64, XEP-0047 §2.1: 4096
/// is the usual; larger blocks are fewer round trips on a fast link).
pub const BLOCK_SIZE: u16 = 8192;

/// The file a session offers (XEP-0234 §3 `<file/>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferedFile {
    /// `<name/>`, as the sender gave it (not yet made safe for a folder).
    pub name: Option<String>,
    /// `<size/>`, bytes.
    pub size: Option<u64>,
    /// `<media-type/>`.
    pub media_type: Option<String>,
    /// The `sha-256` `<hash/>` (XEP-0300), base64.
    pub sha256: Option<String>,
}

/// An IBB transport's parameters (XEP-0261 §2): the IBB stream id and block size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbbParams {
    /// The `sid` its `<open/>`, `<data/>` and `<close/>` will carry.
    pub sid: String,
    /// Largest block, bytes.
    pub block_size: u16,
}

/// A transport of a file transfer: SOCKS5 (XEP-0260) or in-band (XEP-0261).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileTransport {
    /// SOCKS5 Bytestreams, with the candidates offered.
    S5b(S5bTransport),
    /// In-Band Bytestreams.
    Ibb(IbbParams),
}

/// A session-initiate offering a file (XEP-0234 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The Jingle session id.
    pub sid: String,
    /// Who offers (the initiator, full JID).
    pub from: FullJid,
    /// The content's name and creator, echoed in our answers.
    pub content: String,
    /// The file.
    pub file: OfferedFile,
    /// The offered transport; `None` when it is one we do not speak (then declined).
    pub transport: Option<FileTransport>,
}

/// A Jingle action on a session already under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAction {
    /// The responder took the file (XEP-0166 §6.3), with its transport.
    Accept {
        /// Its transport; `None` when it answered with one we do not speak.
        transport: Option<FileTransport>,
    },
    /// Candidate used, candidate error, activated or proxy error (XEP-0260 §2.4, §2.5).
    TransportInfo(S5bTransport),
    /// The initiator offers another transport (XEP-0260 §3: IBB when no candidate worked).
    TransportReplace {
        /// The new transport.
        transport: Option<FileTransport>,
    },
    /// The responder took the replacement (XEP-0166 §7.2.15).
    TransportAccept {
        /// The transport taken.
        transport: Option<FileTransport>,
    },
    /// The session ended (§6.7), with the reason's element name (`success`, `decline`,
    /// `cancel`…) and its text.
    Terminate {
        /// The reason's element name.
        reason: String,
        /// Its `<text/>`, if any.
        text: Option<String>,
    },
    /// Anything else (session-info `<received/>`, transport-info…): acknowledged, no effect.
    Other,
}

/// What an inbound Jingle IQ set asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A new session offering a file.
    Offer(Offer),
    /// A new session we cannot take (not file transfer, or not a sending of one): declined.
    Unsupported {
        /// Its session id.
        sid: String,
    },
    /// An action on session `sid`.
    Session {
        /// The session id.
        sid: String,
        /// What it does.
        action: SessionAction,
    },
}

/// Reads a `<jingle/>` IQ payload from `from`.
///
/// Errors: the element is not Jingle or is malformed (answered with `bad-request`).
pub fn parse(from: &Jid, payload: Element) -> Result<Inbound, String> {
    // A terminate we cannot read whole (a reason from a newer XEP) still ends the session.
    let terminate = (payload.attr("action") == Some("session-terminate"))
        .then(|| payload.attr("sid").map(str::to_owned))
        .flatten();
    let jingle = match Jingle::try_from(payload) {
        Ok(jingle) => jingle,
        Err(e) => {
            return match terminate {
                Some(sid) => Ok(Inbound::Session {
                    sid,
                    action: SessionAction::Terminate {
                        reason: "general-error".into(),
                        text: None,
                    },
                }),
                None => Err(e.to_string()),
            }
        }
    };
    let sid = jingle.sid.0.clone();
    match jingle.action {
        Action::SessionInitiate => Ok(offer(from, jingle).unwrap_or(Inbound::Unsupported { sid })),
        Action::SessionAccept => Ok(Inbound::Session {
            sid,
            action: SessionAction::Accept {
                transport: transport_of(jingle.contents),
            },
        }),
        Action::TransportInfo => {
            let info = jingle.contents.into_iter().find_map(|c| match c.transport {
                Some(Transport::Socks5(t)) => Some(s5b::read_transport(t)),
                _ => None,
            });
            Ok(Inbound::Session {
                sid,
                action: info.map_or(SessionAction::Other, SessionAction::TransportInfo),
            })
        }
        Action::TransportReplace => Ok(Inbound::Session {
            sid,
            action: SessionAction::TransportReplace {
                transport: transport_of(jingle.contents),
            },
        }),
        Action::TransportAccept => Ok(Inbound::Session {
            sid,
            action: SessionAction::TransportAccept {
                transport: transport_of(jingle.contents),
            },
        }),
        Action::SessionTerminate => {
            let (reason, text) = match jingle.reason {
                Some(r) => (
                    Element::from(r.reason).name().to_owned(),
                    r.texts.values().next().cloned(),
                ),
                None => ("success".to_owned(), None),
            };
            Ok(Inbound::Session {
                sid,
                action: SessionAction::Terminate { reason, text },
            })
        }
        _ => Ok(Inbound::Session {
            sid,
            action: SessionAction::Other,
        }),
    }
}

/// A session-initiate whose one content sends us a file (`senders` initiator); `None`
/// otherwise (a request for a file of ours, several contents, an RTP call…).
fn offer(from: &Jid, jingle: Jingle) -> Option<Inbound> {
    let from = from.clone().try_into_full().ok()?;
    let [content] = <[Content; 1]>::try_from(jingle.contents).ok()?;
    if content.senders != Senders::Initiator && content.senders != Senders::Both {
        return None;
    }
    let Some(Description::Unknown(desc)) = content.description else {
        return None;
    };
    let desc = jingle_ft::Description::try_from(desc).ok()?;
    let file = desc.file;
    Some(Inbound::Offer(Offer {
        sid: jingle.sid.0,
        from,
        content: content.name.0,
        file: OfferedFile {
            name: file.name,
            size: file.size,
            media_type: file.media_type,
            sha256: file
                .hashes
                .iter()
                .find(|h| h.algo == Algo::Sha_256)
                .map(Hash::to_base64),
        },
        transport: file_transport(content.transport),
    }))
}

fn transport_of(contents: Vec<Content>) -> Option<FileTransport> {
    contents
        .into_iter()
        .find_map(|c| file_transport(c.transport))
}

fn file_transport(transport: Option<Transport>) -> Option<FileTransport> {
    match transport? {
        Transport::Ibb(t) => Some(FileTransport::Ibb(IbbParams {
            sid: t.sid.0,
            block_size: t.block_size,
        })),
        Transport::Socks5(t) => Some(FileTransport::S5b(s5b::read_transport(t))),
        _ => None,
    }
}

fn write(transport: &FileTransport, dstaddr: Option<String>) -> Transport {
    match transport {
        FileTransport::Ibb(ibb) => Transport::Ibb(ibb_transport(ibb)),
        FileTransport::S5b(t) => Transport::Socks5(s5b::write_transport(t, dstaddr)),
    }
}

fn ibb_transport(ibb: &IbbParams) -> jingle_ibb::Transport {
    jingle_ibb::Transport {
        block_size: ibb.block_size,
        sid: ibb::StreamId(ibb.sid.clone()),
        stanza: ibb::Stanza::Iq,
    }
}

/// The `<file/>` (XEP-0234 §3) describing `file`.
fn ft_file(file: &OfferedFile) -> jingle_ft::File {
    let mut f = jingle_ft::File::new();
    f.name = file.name.clone();
    f.size = file.size;
    f.media_type = file.media_type.clone();
    if let Some(hash) = file
        .sha256
        .as_deref()
        .and_then(|h| Hash::from_base64(Algo::Sha_256, h).ok())
    {
        f.hashes.push(hash);
    }
    f
}

/// Our session-initiate (XEP-0234 §4.1) offering `file` to `to` over `transport` (with the
/// S5B destination address of our candidates, XEP-0260 §2.2).
pub fn initiate(
    id: String,
    sid: &str,
    initiator: &FullJid,
    to: &FullJid,
    file: &OfferedFile,
    transport: &FileTransport,
) -> Iq {
    let dstaddr = match transport {
        FileTransport::S5b(t) => Some(s5b::dstaddr(&t.sid, initiator, to)),
        FileTransport::Ibb(_) => None,
    };
    let f = ft_file(file);
    let content = Content::new(Creator::Initiator, ContentId(CONTENT.into()))
        .with_senders(Senders::Initiator)
        .with_description(Description::Unknown(
            jingle_ft::Description { file: f }.into(),
        ))
        .with_transport(write(transport, dstaddr));
    let jingle = Jingle::new(Action::SessionInitiate, SessionId(sid.to_owned()))
        .with_initiator(Jid::from(initiator.clone()))
        .add_content(content);
    Iq::from_set(id, jingle).with_to(Jid::from(to.clone()))
}

/// Our session-accept of `offer` (XEP-0166 §6.3) with our `transport`: IBB as offered, or
/// our own S5B candidates (hashed with our JID first, XEP-0260 §2.3).
pub fn accept(id: String, offer: &Offer, responder: &FullJid, transport: &FileTransport) -> Iq {
    let dstaddr = match transport {
        FileTransport::S5b(t) => Some(s5b::dstaddr(&t.sid, responder, &offer.from)),
        FileTransport::Ibb(_) => None,
    };
    // The description as offered (XEP-0234 §4.1 Example 2): some clients want it back.
    let content = Content::new(Creator::Initiator, ContentId(offer.content.clone()))
        .with_senders(Senders::Initiator)
        .with_description(Description::Unknown(
            jingle_ft::Description {
                file: ft_file(&offer.file),
            }
            .into(),
        ))
        .with_transport(write(transport, dstaddr));
    let jingle = Jingle::new(Action::SessionAccept, SessionId(offer.sid.clone()))
        .with_initiator(Jid::from(offer.from.clone()))
        .with_responder(Jid::from(responder.clone()))
        .add_content(content);
    Iq::from_set(id, jingle).with_to(Jid::from(offer.from.clone()))
}

/// A transport-level action on content `content` of session `sid` (created by the
/// initiator): transport-info with an S5B candidate-used, candidate-error, activated or
/// proxy-error (XEP-0260 §2.4), or transport-replace / transport-accept (XEP-0260 §3).
pub fn transport_action(
    id: String,
    action: Action,
    sid: &str,
    to: &FullJid,
    content: &str,
    transport: &FileTransport,
) -> Iq {
    let content = Content::new(Creator::Initiator, ContentId(content.to_owned()))
        .with_senders(Senders::Initiator)
        .with_transport(write(transport, None));
    let jingle = Jingle::new(action, SessionId(sid.to_owned())).add_content(content);
    Iq::from_set(id, jingle).with_to(Jid::from(to.clone()))
}

/// A session-terminate (XEP-0166 §6.7) with `reason` (and a text in English).
pub fn terminate(id: String, sid: &str, to: &FullJid, reason: Reason, text: Option<&str>) -> Iq {
    let mut reason = ReasonElement {
        reason,
        texts: Default::default(),
    };
    if let Some(text) = text {
        reason.texts.insert("en".into(), text.to_owned());
    }
    let jingle =
        Jingle::new(Action::SessionTerminate, SessionId(sid.to_owned())).set_reason(reason);
    Iq::from_set(id, jingle).with_to(Jid::from(to.clone()))
}

/// The IBB `<open/>` (XEP-0047 §2.1) of a session's stream.
pub fn ibb_open(id: String, to: &FullJid, ibb: &IbbParams) -> Iq {
    let open = ibb::Open {
        block_size: ibb.block_size,
        sid: ibb::StreamId(ibb.sid.clone()),
        stanza: ibb::Stanza::Iq,
    };
    Iq::from_set(id, open).with_to(Jid::from(to.clone()))
}

/// One IBB `<data/>` block (XEP-0047 §2.2), `seq` counting from 0 and wrapping at 65535.
pub fn ibb_data(id: String, to: &FullJid, sid: &str, seq: u16, data: Vec<u8>) -> Iq {
    let data = ibb::Data {
        seq,
        sid: ibb::StreamId(sid.to_owned()),
        data,
    };
    Iq::from_set(id, data).with_to(Jid::from(to.clone()))
}

/// The IBB `<close/>` (XEP-0047 §2.3).
pub fn ibb_close(id: String, to: &FullJid, sid: &str) -> Iq {
    let close = ibb::Close {
        sid: ibb::StreamId(sid.to_owned()),
    };
    Iq::from_set(id, close).with_to(Jid::from(to.clone()))
}

/// What an inbound IBB IQ set carries (XEP-0047).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IbbPacket {
    /// The stream opens, with its block size.
    Open {
        /// Stream id.
        sid: String,
        /// Largest block, bytes.
        block_size: u16,
    },
    /// One block.
    Data {
        /// Stream id.
        sid: String,
        /// Sequence number, from 0, wrapping at 65535.
        seq: u16,
        /// The block's bytes (decoded).
        data: Vec<u8>,
    },
    /// The stream is done.
    Close {
        /// Stream id.
        sid: String,
    },
}

impl IbbPacket {
    /// The stream id it belongs to.
    pub fn sid(&self) -> &str {
        match self {
            Self::Open { sid, .. } | Self::Data { sid, .. } | Self::Close { sid } => sid,
        }
    }
}

/// Reads an IBB payload; `None` when it is not one (or is malformed: bad base64, no sid).
pub fn parse_ibb(payload: &Element) -> Option<IbbPacket> {
    if !payload.has_ns(ns::IBB) {
        return None;
    }
    let payload = payload.clone();
    match payload.name() {
        "open" => ibb::Open::try_from(payload).ok().map(|o| IbbPacket::Open {
            sid: o.sid.0,
            block_size: o.block_size,
        }),
        "data" => ibb::Data::try_from(payload).ok().map(|d| IbbPacket::Data {
            sid: d.sid.0,
            seq: d.seq,
            data: d.data,
        }),
        "close" => ibb::Close::try_from(payload)
            .ok()
            .map(|c| IbbPacket::Close { sid: c.sid.0 }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn el(xml: &str) -> Element {
        xml.parse().unwrap()
    }

    fn romeo() -> Jid {
        Jid::new("romeo@montague.example/dr4hcr0st3lup4c").unwrap()
    }

    /// XEP-0234 §4.1 Example 1, with the IBB transport of XEP-0261 §2 Example 1.
    const OFFER: &str = r#"<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'
            initiator='romeo@montague.example/dr4hcr0st3lup4c' sid='851ba2'>
      <content creator='initiator' name='a-file-offer' senders='initiator'>
        <description xmlns='urn:xmpp:jingle:apps:file-transfer:5'>
          <file>
            <date>1969-07-21T02:56:15Z</date>
            <desc>This is a test. If this were a real file...</desc>
            <media-type>text/plain</media-type>
            <name>test.txt</name>
            <range/>
            <size>6144</size>
            <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</hash>
          </file>
        </description>
        <transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='ch3d9s71'/>
      </content>
    </jingle>"#;

    #[test]
    fn an_offer_over_ibb_is_read_from_the_xeps_example() {
        let Inbound::Offer(offer) = parse(&romeo(), el(OFFER)).unwrap() else {
            panic!("not an offer")
        };
        assert_eq!(offer.sid, "851ba2");
        assert_eq!(offer.content, "a-file-offer");
        assert_eq!(
            offer.from.to_string(),
            "romeo@montague.example/dr4hcr0st3lup4c"
        );
        assert_eq!(
            offer.file,
            OfferedFile {
                name: Some("test.txt".into()),
                size: Some(6144),
                media_type: Some("text/plain".into()),
                sha256: Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
            }
        );
        assert_eq!(
            offer.transport,
            Some(FileTransport::Ibb(IbbParams {
                sid: "ch3d9s71".into(),
                block_size: 4096
            }))
        );
    }

    #[test]
    fn our_offer_and_answers_round_trip() {
        let me = FullJid::new("juliet@capulet.example/balcony").unwrap();
        let romeo = romeo().try_into_full().unwrap();
        let file = OfferedFile {
            name: Some("a b.png".into()),
            size: Some(20),
            media_type: Some("image/png".into()),
            sha256: Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
        };
        let ibb = FileTransport::Ibb(IbbParams {
            sid: "s1".into(),
            block_size: BLOCK_SIZE,
        });
        let Iq::Set { payload, to, .. } = initiate("i1".into(), "j1", &me, &romeo, &file, &ibb)
        else {
            panic!("not a set")
        };
        assert_eq!(to, Some(Jid::from(romeo.clone())));
        let Inbound::Offer(offer) = parse(&Jid::from(me.clone()), payload).unwrap() else {
            panic!("not an offer")
        };
        assert_eq!(
            (offer.sid.as_str(), &offer.file, &offer.transport),
            ("j1", &file, &Some(ibb.clone()))
        );

        let Iq::Set { payload, .. } = accept("i2".into(), &offer, &romeo, &ibb) else {
            panic!()
        };
        assert_eq!(payload.attr("action"), Some("session-accept"));
        assert_eq!(
            parse(&Jid::from(romeo.clone()), payload).unwrap(),
            Inbound::Session {
                sid: "j1".into(),
                action: SessionAction::Accept {
                    transport: Some(ibb)
                }
            }
        );
        let Iq::Set { payload, .. } =
            terminate("i3".into(), "j1", &me, Reason::Cancel, Some("Stopped"))
        else {
            panic!()
        };
        assert_eq!(
            parse(&Jid::from(romeo), payload).unwrap(),
            Inbound::Session {
                sid: "j1".into(),
                action: SessionAction::Terminate {
                    reason: "cancel".into(),
                    text: Some("Stopped".into())
                }
            }
        );
    }

    /// XEP-0166 §6.7 Example 9 (no reason text), and a request for a file of ours (XEP-0234
    /// §6, `senders='responder'`), which we do not serve.
    #[test]
    fn a_terminate_and_a_file_request_are_told_apart() {
        let end = el(
            r#"<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='a73sjjvkla37jfea'>
              <reason><success/></reason></jingle>"#,
        );
        assert_eq!(
            parse(&romeo(), end).unwrap(),
            Inbound::Session {
                sid: "a73sjjvkla37jfea".into(),
                action: SessionAction::Terminate {
                    reason: "success".into(),
                    text: None
                }
            }
        );
        let request = OFFER.replace("senders='initiator'", "senders='responder'");
        assert_eq!(
            parse(&romeo(), el(&request)).unwrap(),
            Inbound::Unsupported {
                sid: "851ba2".into()
            }
        );
        assert!(parse(&romeo(), el("<jingle xmlns='urn:xmpp:jingle:1' sid='x'/>")).is_err());
    }

    /// XEP-0260 §2.2 Example 1 (its proxy's address made a real one) and §2.4 Example 5.
    #[test]
    fn an_offer_over_socks5_and_a_candidate_report_are_read() {
        let offer = OFFER.replace(
            "<transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='ch3d9s71'/>",
            "<transport xmlns='urn:xmpp:jingle:transports:s5b:1' dstaddr='972b7bf47291ca609517f67f86b5081086052dad' mode='tcp' sid='vj3hs98y'>
               <candidate cid='hft54dqy' host='192.168.4.1' jid='romeo@montague.example/dr4hcr0st3lup4c' port='5086' priority='8257636' type='direct'/>
               <candidate cid='xmdh4b7i' host='123.45.7.8' jid='streamer.shakespeare.example' port='7625' priority='7878787' type='proxy'/>
             </transport>",
        );
        let Inbound::Offer(offer) = parse(&romeo(), el(&offer)).unwrap() else {
            panic!("not an offer")
        };
        let Some(FileTransport::S5b(t)) = offer.transport else {
            panic!("not s5b")
        };
        assert_eq!(t.sid, "vj3hs98y");
        let s5b::S5bInfo::Candidates(c) = t.info else {
            panic!()
        };
        assert_eq!(c.len(), 2);
        assert!(c[1].proxy);
        let used = el(r#"<jingle xmlns='urn:xmpp:jingle:1' action='transport-info'
                initiator='romeo@montague.example/dr4hcr0st3lup4c' sid='a73sjjvkla37jfea'>
              <content creator='initiator' name='ex'>
                <transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='vj3hs98y'>
                  <candidate-used cid='hr65dqyd'/>
                </transport>
              </content>
            </jingle>"#);
        assert_eq!(
            parse(&romeo(), used).unwrap(),
            Inbound::Session {
                sid: "a73sjjvkla37jfea".into(),
                action: SessionAction::TransportInfo(S5bTransport {
                    sid: "vj3hs98y".into(),
                    info: s5b::S5bInfo::CandidateUsed("hr65dqyd".into())
                })
            }
        );
        // A terminate whose reason is unknown to us still ends the session.
        let odd = el("<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='x'><reason><new-thing/></reason></jingle>");
        assert!(matches!(
            parse(&romeo(), odd).unwrap(),
            Inbound::Session {
                action: SessionAction::Terminate { .. },
                ..
            }
        ));
    }

    /// XEP-0047 §2 Examples 1, 4 and 7.
    #[test]
    fn ibb_packets_are_read_from_the_xeps_examples() {
        let open = el("<open xmlns='http://jabber.org/protocol/ibb' block-size='4096' sid='i781hf64' stanza='iq'/>");
        assert_eq!(
            parse_ibb(&open),
            Some(IbbPacket::Open {
                sid: "i781hf64".into(),
                block_size: 4096
            })
        );
        let data = el("<data xmlns='http://jabber.org/protocol/ibb' seq='0' sid='i781hf64'>qANQR1DBwU4DX7jmYZnncmUQB/9KuKBddzQH+tZ1ZywKK0yHKnq57kWq+RFtQdCJWpdWpR0uQsuJe7+vh3NWn59/gTc5MDlX8dS9p0ovStmNcyLhxVgmqS8ZKhsblVeu</data>");
        let Some(IbbPacket::Data { seq: 0, data, .. }) = parse_ibb(&data) else {
            panic!("not data")
        };
        assert_eq!(data.len(), 96);
        let close = el("<close xmlns='http://jabber.org/protocol/ibb' sid='i781hf64'/>");
        assert_eq!(
            parse_ibb(&close),
            Some(IbbPacket::Close {
                sid: "i781hf64".into()
            })
        );
        let bad = el("<data xmlns='http://jabber.org/protocol/ibb' seq='0' sid='x'>!!</data>");
        assert_eq!(parse_ibb(&bad), None);
        let Iq::Set { payload, .. } = ibb_data(
            "d".into(),
            &romeo().try_into_full().unwrap(),
            "s",
            65535,
            vec![1, 2, 3],
        ) else {
            panic!()
        };
        assert_eq!(
            parse_ibb(&payload),
            Some(IbbPacket::Data {
                sid: "s".into(),
                seq: 65535,
                data: vec![1, 2, 3]
            })
        );
    }
}
