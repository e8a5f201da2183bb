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

mod inband;
pub use inband::{ibb_close, ibb_data, ibb_open, parse_ibb, IbbPacket};

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

#[cfg(test)]
mod tests;
