//! Connecting and logging in: TCP (SRV or host override), STARTTLS or direct TLS (XEP-0368),
//! certificate verification with per-account pins, SASL, and a tap that remembers the last
//! bytes read so a `<stream:error/>` the library swallows can still be told to the user.
//!
//! tokio-xmpp's own connectors retry forever on a bad password or certificate and trust only
//! system roots (tokio-xmpp 6.0); this module replaces them.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use tokio::io::BufStream;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;
use tokio_xmpp::parsers::stream_features::StreamFeatures;
use tokio_xmpp::parsers::{jid::Jid, ns, starttls};
use tokio_xmpp::xmlstream::{
    initiate_stream, FallibleStreamElement, ReadError, StreamHeader, Timeouts, XmlStream,
    XmppStreamElement,
};

use super::proxy::Proxy;
use super::resolve::{self, Dns, Endpoint, Route};
use super::sasl::TlsBinding;
pub use super::tap::StreamTap;
use super::tap::Tapped;
use super::tls::tls_config;
pub use super::tls::{fingerprint, TrustRoots};
use crate::event::CertificateInfo;

/// Where and how to connect one account.
#[derive(Debug, Clone)]
pub struct ConnectTarget {
    /// JID to log in as: bare, or full to request that resource.
    pub jid: Jid,
    /// Host override; `None` uses SRV records of the JID's domain (RFC 6120 §3.2).
    pub host: Option<String>,
    /// Port override (default 5222, or 5223 for direct TLS).
    pub port: Option<u16>,
    /// XEP-0368 direct TLS instead of STARTTLS.
    pub direct_tls: bool,
    /// Which DNS server finds the domain's SRV targets and addresses.
    pub dns: Dns,
    /// The proxy (SOCKS5 or HTTP CONNECT) every connection goes through, if any.
    pub proxy: Option<Proxy>,
}

/// Why a connection attempt failed, classified by what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// SASL failure: wrong password or account (RFC 6120 §6.5). Retrying cannot help.
    #[error("the server rejected the password ({0})")]
    Auth(String),
    /// The server's certificate is neither valid nor pinned.
    #[error("untrusted certificate: {}", .0.reason)]
    Certificate(CertificateInfo),
    /// The server ended the stream with an error (RFC 6120 §4.9).
    #[error("stream error from the server: {0}")]
    Stream(String),
    /// Could not reach the server or the connection broke during setup.
    #[error("network: {0}")]
    Network(String),
    /// The server does not offer TLS, or no acceptable SASL mechanism.
    #[error("{0}")]
    Policy(String),
    /// The login looks tampered with: a downgrade to PLAIN, a wrong SCRAM server signature,
    /// a SCRAM answer that is not valid. Retrying cannot help.
    #[error("{0}")]
    Tampered(String),
    /// Only PLAIN is offered and the user has not allowed it for this account.
    #[error(
        "the server accepts the password only in plain form (PLAIN), not allowed for this account"
    )]
    PlainNotAllowed,
    /// The server refused the stored FAST token (XEP-0484); the password may still work.
    #[error("the server refused the login token ({0})")]
    TokenRefused(String),
    /// Neither a password nor a usable FAST token.
    #[error("no password is stored for this account")]
    NoCredentials,
}

pub(crate) type Transport = BufStream<Tapped<tokio_rustls::client::TlsStream<TcpStream>>>;

fn net(e: impl std::fmt::Display) -> ConnectError {
    ConnectError::Network(e.to_string())
}

/// A stream inside verified TLS, its features read, before any login (RFC 6120 §6): where SASL
/// starts, or XEP-0077 registration.
pub(crate) type OpenStream = XmlStream<Transport, FallibleStreamElement>;

/// An open stream (see [`open_stream`]): its features, the stream reading elements as `T`,
/// how it was reached, and the channel binding its TLS gives.
pub(crate) struct Opened<T: xso::FromXml> {
    pub features: StreamFeatures,
    pub stream: XmlStream<Transport, T>,
    pub route: Route,
    pub binding: TlsBinding,
}

/// Opens TCP, negotiates TLS (STARTTLS or direct, RFC 6120 §5, XEP-0368), verifies the
/// certificate against the roots and the account's pins, opens the XML stream and reads its
/// features.
///
/// Errors: [`ConnectError::Network`], [`ConnectError::Certificate`], [`ConnectError::Policy`]
/// (no TLS offered), [`ConnectError::Stream`].
pub(crate) async fn open_stream<T: xso::FromXml>(
    target: &ConnectTarget,
    roots: &TrustRoots,
    pins: &[String],
    tap: &StreamTap,
    timeouts: Timeouts,
) -> Result<Opened<T>, ConnectError> {
    let domain = target.jid.domain().as_str().to_owned();
    let endpoints = match &target.host {
        Some(host) => vec![Endpoint {
            host: host.clone(),
            port: target
                .port
                .unwrap_or(if target.direct_tls { 5223 } else { 5222 }),
            direct_tls: target.direct_tls,
            from_srv: false,
        }],
        None => {
            let mut found = resolve::endpoints(&target.dns, &domain)
                .await
                .map_err(ConnectError::Network)?;
            if target.direct_tls {
                // Direct TLS asked for: only `_xmpps-client` targets, else the domain on 5223.
                found.retain(|e| e.direct_tls);
                if found.is_empty() {
                    found.push(Endpoint {
                        host: domain.clone(),
                        port: 5223,
                        direct_tls: true,
                        from_srv: false,
                    });
                }
            }
            found
        }
    };
    // Each target in turn (RFC 6120 §3.2.1): one that cannot be reached, or breaks before
    // the stream opens, gives way to the next; a refused certificate or a server without
    // TLS ends the attempt (another target of the same domain would say the same).
    let mut last = String::from("no server to connect to");
    for endpoint in &endpoints {
        match open_at(&domain, endpoint, target, roots, pins, tap, timeouts).await {
            Ok((features, stream, address, binding)) => {
                tracing::info!(
                    %domain,
                    host = %endpoint.host,
                    port = endpoint.port,
                    %address,
                    direct_tls = endpoint.direct_tls,
                    "connected"
                );
                let route = Route {
                    host: endpoint.host.clone(),
                    port: endpoint.port,
                    address: address.to_string(),
                    direct_tls: endpoint.direct_tls,
                    from_srv: endpoint.from_srv,
                    mechanism: None,
                    sasl2: false,
                };
                return Ok(Opened {
                    features,
                    stream,
                    route,
                    binding,
                });
            }
            Err(ConnectError::Network(why)) => {
                tracing::info!(%domain, host = %endpoint.host, port = endpoint.port, "{why}");
                last = format!("{}:{}: {why}", endpoint.host, endpoint.port);
            }
            Err(other) => return Err(other),
        }
    }
    Err(ConnectError::Network(last))
}

/// [`open_stream`] at one target.
async fn open_at<T: xso::FromXml>(
    domain: &str,
    endpoint: &Endpoint,
    target: &ConnectTarget,
    roots: &TrustRoots,
    pins: &[String],
    tap: &StreamTap,
    timeouts: Timeouts,
) -> Result<
    (
        StreamFeatures,
        XmlStream<Transport, T>,
        std::net::SocketAddr,
        TlsBinding,
    ),
    ConnectError,
> {
    let domain = domain.to_owned();
    let tcp = match &target.proxy {
        Some(proxy) => {
            proxy
                .connect(&target.dns, &endpoint.host, endpoint.port)
                .await
        }
        None => resolve::connect(&target.dns, &endpoint.host, endpoint.port).await,
    }
    .map_err(ConnectError::Network)?;
    let address = tcp.peer_addr().map_err(net)?;
    // XMPP is request/answer traffic of small writes (IQs, XEP-0198 acks): without
    // TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~100 ms to each round trip, e.g.
    // every page of a MAM catch-up. A failure only costs speed.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!("TCP_NODELAY not set: {e}");
    }
    let tcp = if endpoint.direct_tls {
        tcp
    } else {
        starttls_handshake(tcp, &domain, timeouts).await?
    };

    let refused = Arc::new(Mutex::new(None));
    let mut config = tls_config(roots, pins, refused.clone())?;
    if endpoint.direct_tls {
        // XEP-0368 §3: the ALPN protocol of XMPP client connections.
        config.alpn_protocols = vec![b"xmpp-client".to_vec()];
    }
    let server_name = ServerName::try_from(domain.clone())
        .map_err(|e| ConnectError::Policy(format!("bad server name {domain}: {e}")))?;
    let tls = match TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
    {
        Ok(tls) => tls,
        Err(e) => {
            let info = refused.lock().ok().and_then(|mut s| s.take());
            return Err(match info {
                Some(info) => ConnectError::Certificate(info),
                None => net(format!("TLS handshake failed: {e}")),
            });
        }
    };
    let binding = tls_binding(tls.get_ref().1);
    let io: Transport = BufStream::new(Tapped {
        inner: tls,
        tap: tap.clone(),
    });
    // Inside TLS the stream says who we are (RFC 6120 §4.7.1), which XEP-0484 servers need
    // to offer the account's FAST mechanisms.
    let header = StreamHeader {
        to: Some(Cow::Owned(domain.clone())),
        from: Some(Cow::Owned(target.jid.to_bare().to_string())),
        id: None,
    };
    let stream = initiate_stream(io, ns::JABBER_CLIENT, header, timeouts)
        .await
        .map_err(net)?;
    let (features, stream) = stream
        .recv_features::<T>()
        .await
        .map_err(|e| ConnectError::Stream(e.to_string()))?;
    Ok((features, stream, address, binding))
}

/// The RFC 9266 `tls-exporter` channel binding of a TLS 1.3 connection (32 bytes, label
/// `EXPORTER-Channel-Binding`, no context); none on TLS 1.2, where it is not defined
/// without the extended master secret.
fn tls_binding(connection: &tokio_rustls::rustls::ClientConnection) -> TlsBinding {
    use tokio_rustls::rustls::ProtocolVersion;
    if connection.protocol_version() != Some(ProtocolVersion::TLSv1_3) {
        return TlsBinding::default();
    }
    TlsBinding {
        exporter: connection
            .export_keying_material(vec![0u8; 32], b"EXPORTER-Channel-Binding", None)
            .ok(),
    }
}

/// RFC 6120 §5.4: plain stream header, `<starttls/>`, wait for `<proceed/>`, return the TCP
/// stream ready for the TLS handshake. Refuses servers that do not offer STARTTLS.
async fn starttls_handshake(
    tcp: TcpStream,
    domain: &str,
    timeouts: Timeouts,
) -> Result<TcpStream, ConnectError> {
    let header = StreamHeader {
        to: Some(Cow::Owned(domain.to_owned())),
        from: None,
        id: None,
    };
    let stream = initiate_stream(BufStream::new(tcp), ns::JABBER_CLIENT, header, timeouts)
        .await
        .map_err(net)?;
    let (features, mut stream) = stream
        .recv_features::<FallibleStreamElement>()
        .await
        .map_err(|e| ConnectError::Stream(e.to_string()))?;
    if !features.can_starttls() {
        return Err(ConnectError::Policy(
            "the server does not offer TLS (STARTTLS); Linnet never logs in without it".into(),
        ));
    }
    stream
        .send(&XmppStreamElement::Starttls(starttls::Nonza::Request(
            starttls::Request,
        )))
        .await
        .map_err(net)?;
    loop {
        match stream
            .next()
            .await
            .map(|v| v.and_then(|v| v.into_read_error()))
        {
            Some(Ok(XmppStreamElement::Starttls(starttls::Nonza::Proceed(_)))) => break,
            Some(Ok(_)) | Some(Err(ReadError::SoftTimeout)) => (),
            Some(Err(ReadError::HardError(e))) => return Err(net(e)),
            Some(Err(ReadError::ParseError(e))) => return Err(net(e)),
            None | Some(Err(ReadError::StreamFooterReceived)) => {
                return Err(ConnectError::Network(
                    "the server closed the stream during STARTTLS".into(),
                ))
            }
        }
    }
    Ok(stream.into_inner().into_inner())
}
