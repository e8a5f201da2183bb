//! SOCKS5 Bytestreams for Jingle (XEP-0260 on XEP-0065): candidates read from and written as
//! xmpp-parsers' `jingle_s5b` types, the destination address both sides hash, the server's
//! proxy found and activated (XEP-0065 §4, §6.3; no xmpp-parsers type, so built with the
//! minidom builder), and the SOCKS5 handshake subset XEP-0065 §5.3 allows (RFC 1928: no
//! authentication, CONNECT, a domain-name address that is the hash, port 0), as client and
//! as the server behind our own direct candidate.

use std::net::IpAddr;

use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::jingle_s5b::{
    Candidate, CandidateId, StreamId, Transport, TransportPayload, Type,
};

/// XEP-0065's namespace.
pub const BYTESTREAMS: &str = "http://jabber.org/protocol/bytestreams";

/// Type preferences (XEP-0260 §2.2): a direct connection before the server's proxy.
pub const DIRECT_PREFERENCE: u32 = 126;
/// See [`DIRECT_PREFERENCE`].
pub const PROXY_PREFERENCE: u32 = 10;

/// A candidate as we use it (xmpp-parsers keeps its fields private).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S5bCandidate {
    /// `cid`, named in candidate-used and activated.
    pub cid: String,
    /// Where to connect.
    pub host: IpAddr,
    /// Port (XEP-0065 §5.3.2: 1080 when absent).
    pub port: u16,
    /// The streamhost's JID: its owner's full JID for a direct one, the proxy's for a proxy.
    pub jid: Jid,
    /// XEP-0260 §2.2: type preference × 2^16 + local preference; higher wins.
    pub priority: u32,
    /// Direct or through a proxy (assisted and tunnel are tried as direct).
    pub proxy: bool,
}

impl S5bCandidate {
    /// The candidate's priority for its kind (XEP-0260 §2.2), `local` 0..=65535 ordering
    /// candidates of one kind.
    pub fn priority_for(proxy: bool, local: u16) -> u32 {
        let kind = if proxy {
            PROXY_PREFERENCE
        } else {
            DIRECT_PREFERENCE
        };
        (kind << 16) + u32::from(local)
    }

    fn to_candidate(&self) -> Candidate {
        Candidate::new(
            CandidateId(self.cid.clone()),
            self.host,
            self.jid.clone(),
            self.priority,
        )
        .with_port(self.port)
        .with_type(if self.proxy {
            Type::Proxy
        } else {
            Type::Direct
        })
    }

    /// Reads one from xmpp-parsers' type (through its element: its fields are private).
    fn from_candidate(candidate: Candidate) -> Option<Self> {
        let el = Element::from(candidate);
        Some(Self {
            cid: el.attr("cid")?.to_owned(),
            host: el.attr("host")?.parse().ok()?,
            port: el.attr("port").map_or(Some(1080), |p| p.parse().ok())?,
            jid: Jid::new(el.attr("jid")?).ok()?,
            priority: el.attr("priority")?.parse().ok()?,
            proxy: el.attr("type") == Some("proxy"),
        })
    }
}

/// What an S5B transport element says (XEP-0260 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S5bInfo {
    /// The candidates offered (in a session-initiate or session-accept), best first.
    Candidates(Vec<S5bCandidate>),
    /// The other side connected to our candidate `cid` (§2.4).
    CandidateUsed(String),
    /// The other side could connect to none of ours (§2.4).
    CandidateError,
    /// The proxy candidate `cid` was activated by its owner (§2.5).
    Activated(String),
    /// The owner could not activate the proxy (§2.5).
    ProxyError,
}

/// An S5B transport's stream id and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S5bTransport {
    /// The transport's `sid`, hashed into the destination address.
    pub sid: String,
    /// What it carries.
    pub info: S5bInfo,
}

/// Reads xmpp-parsers' S5B transport; candidates it cannot use (a bad address) are dropped.
pub fn read_transport(transport: Transport) -> S5bTransport {
    let info = match transport.payload {
        TransportPayload::Candidates(candidates) => {
            let mut ours: Vec<S5bCandidate> = candidates
                .into_iter()
                .filter_map(S5bCandidate::from_candidate)
                .collect();
            ours.sort_by_key(|c| std::cmp::Reverse(c.priority));
            S5bInfo::Candidates(ours)
        }
        TransportPayload::None => S5bInfo::Candidates(Vec::new()),
        TransportPayload::CandidateUsed(cid) => S5bInfo::CandidateUsed(cid.0),
        TransportPayload::CandidateError => S5bInfo::CandidateError,
        TransportPayload::Activated(cid) => S5bInfo::Activated(cid.0),
        TransportPayload::ProxyError => S5bInfo::ProxyError,
    };
    S5bTransport {
        sid: transport.sid.0,
        info,
    }
}

/// Writes one as xmpp-parsers' type; `dstaddr` goes along with the candidates we offer.
pub fn write_transport(transport: &S5bTransport, dstaddr: Option<String>) -> Transport {
    let payload = match &transport.info {
        S5bInfo::Candidates(c) if c.is_empty() => TransportPayload::None,
        S5bInfo::Candidates(c) => {
            TransportPayload::Candidates(c.iter().map(S5bCandidate::to_candidate).collect())
        }
        S5bInfo::CandidateUsed(cid) => TransportPayload::CandidateUsed(CandidateId(cid.clone())),
        S5bInfo::CandidateError => TransportPayload::CandidateError,
        S5bInfo::Activated(cid) => TransportPayload::Activated(CandidateId(cid.clone())),
        S5bInfo::ProxyError => TransportPayload::ProxyError,
    };
    let mut out = Transport::new(StreamId(transport.sid.clone())).with_payload(payload);
    out.dstaddr = dstaddr;
    out
}

/// The destination address of a candidate (XEP-0260 §2.3, XEP-0065 §5.3.2): the hex SHA-1
/// of the transport's sid, the candidate's owner's full JID and the other party's.
pub fn dstaddr(sid: &str, owner: &FullJid, other: &FullJid) -> String {
    let mut hash = Sha1::new();
    hash.update(sid.as_bytes());
    hash.update(owner.to_string().as_bytes());
    hash.update(other.to_string().as_bytes());
    hex::encode(hash.finalize())
}

/// A disco#info says this is a SOCKS5 proxy (XEP-0065 §4: identity proxy/bytestreams).
pub fn is_proxy(info: &tokio_xmpp::parsers::disco::DiscoInfoResult) -> bool {
    info.identities
        .iter()
        .any(|i| i.category == "proxy" && i.type_ == "bytestreams")
}

/// Asks proxy `jid` for its network address (XEP-0065 §4, Example 5).
pub fn address_query(id: String, jid: Jid) -> Iq {
    Iq::Get {
        from: None,
        to: Some(jid),
        id,
        payload: Element::builder("query", BYTESTREAMS).build(),
    }
}

/// The proxy's `<streamhost/>` from its answer: (host, port).
///
/// Errors: no streamhost, or a host that is not an IP address (we connect to addresses).
pub fn read_address(payload: Option<Element>) -> Result<(IpAddr, u16), String> {
    let payload = payload.ok_or("the proxy gave no address")?;
    let host = payload
        .get_child("streamhost", BYTESTREAMS)
        .ok_or("the proxy gave no streamhost")?;
    let ip = host
        .attr("host")
        .and_then(|h| h.parse().ok())
        .ok_or("the proxy's host is not an IP address")?;
    let port = host
        .attr("port")
        .map_or(Some(1080), |p| p.parse().ok())
        .ok_or("the proxy's port is not a number")?;
    Ok((ip, port))
}

/// Asks proxy `proxy` to join our connection with `target`'s (XEP-0065 §6.3.5, Example 24).
pub fn activate(id: String, proxy: Jid, sid: &str, target: &FullJid) -> Iq {
    let query = Element::builder("query", BYTESTREAMS)
        .attr(tokio_xmpp::minidom::rxml::xml_ncname!("sid").into(), sid)
        .append(
            Element::builder("activate", BYTESTREAMS)
                .append(target.to_string())
                .build(),
        )
        .build();
    Iq::Set {
        from: None,
        to: Some(proxy),
        id,
        payload: query,
    }
}

/// A SOCKS5 handshake that did not go as XEP-0065 §5.3 says.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The connection broke.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The other side spoke something else.
    #[error("{0}")]
    Protocol(&'static str),
}

/// As a client (RFC 1928 §3, §4): no authentication, CONNECT to `dstaddr` (a domain name),
/// port 0. On success the stream carries the file.
pub async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    dstaddr: &str,
) -> Result<(), HandshakeError> {
    stream.write_all(&[5, 1, 0]).await?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await?;
    if choice != [5, 0] {
        return Err(HandshakeError::Protocol(
            "the SOCKS5 server wants authentication",
        ));
    }
    let name = dstaddr.as_bytes();
    let len = u8::try_from(name.len()).map_err(|_| HandshakeError::Protocol("address too long"))?;
    let mut request = vec![5, 1, 0, 3, len];
    request.extend_from_slice(name);
    request.extend_from_slice(&[0, 0]);
    stream.write_all(&request).await?;
    let mut head = [0u8; 4];
    stream.read_exact(&mut head).await?;
    if head[0] != 5 || head[1] != 0 {
        return Err(HandshakeError::Protocol(
            "the SOCKS5 server refused the connection",
        ));
    }
    // The bound address it echoes: skipped.
    let skip = match head[3] {
        1 => 4,
        4 => 16,
        3 => {
            let mut n = [0u8; 1];
            stream.read_exact(&mut n).await?;
            usize::from(n[0])
        }
        _ => return Err(HandshakeError::Protocol("bad SOCKS5 address type")),
    };
    let mut rest = vec![0u8; skip + 2];
    stream.read_exact(&mut rest).await?;
    Ok(())
}

/// As the server behind our direct candidate: takes the client's greeting and CONNECT, and
/// agrees only when it names `dstaddr`.
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    dstaddr: &str,
) -> Result<(), HandshakeError> {
    let mut greeting = [0u8; 2];
    stream.read_exact(&mut greeting).await?;
    if greeting[0] != 5 {
        return Err(HandshakeError::Protocol("not SOCKS5"));
    }
    let mut methods = vec![0u8; usize::from(greeting[1])];
    stream.read_exact(&mut methods).await?;
    if !methods.contains(&0) {
        stream.write_all(&[5, 0xff]).await?;
        return Err(HandshakeError::Protocol("the client wants authentication"));
    }
    stream.write_all(&[5, 0]).await?;
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).await?;
    if head[..4] != [5, 1, 0, 3] {
        return Err(HandshakeError::Protocol("not a CONNECT to a domain name"));
    }
    let mut name = vec![0u8; usize::from(head[4]) + 2];
    stream.read_exact(&mut name).await?;
    let host = &name[..usize::from(head[4])];
    if host != dstaddr.as_bytes() {
        // RFC 1928 §6: 0x02, connection not allowed.
        stream.write_all(&[5, 2, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Err(HandshakeError::Protocol("the client named another stream"));
    }
    let mut reply = vec![5, 0, 0, 3, head[4]];
    reply.extend_from_slice(host);
    reply.extend_from_slice(&[0, 0]);
    stream.write_all(&reply).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
