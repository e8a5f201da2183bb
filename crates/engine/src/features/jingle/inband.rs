//! In-Band Bytestreams (XEP-0047) as Jingle uses them (XEP-0261): the stream's `<open/>`,
//! `<data/>` blocks and `<close/>`, built and read with xmpp-parsers' `ibb` types.

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::ibb;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::ns;

use super::IbbParams;

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
