//! Connecting through a proxy, set system-wide (`EngineConfig::proxy`, which the app takes
//! from the `ALL_PROXY` or `all_proxy` environment variable, the setting curl, Git and most
//! desktop programs read) or for one account (`ConnectionSettings::proxy`). Two kinds:
//! - SOCKS5 (RFC 1928, user name and password by RFC 1929; tokio-socks): `socks5h://` lets
//!   the proxy resolve host names (nothing about the server's address is asked of our DNS
//!   but its SRV records); `socks5://` resolves them here and hands the proxy an address.
//! - HTTP `CONNECT` (RFC 9110 §9.3.6; hyper): `http://`, the proxy resolves the name; a user
//!   name and password go as Basic `Proxy-Authorization` (RFC 9110 §11.7.1), in the clear to
//!   the proxy, as with every `http://` proxy. XMPP's own TLS runs inside the tunnel.

use std::net::SocketAddr;

use tokio::net::TcpStream;
use tokio_socks::tcp::Socks5Stream;
use tokio_socks::TargetAddr;

use super::resolve::{self, Dns};

/// The proxy protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// SOCKS5 (`socks5://`, `socks5h://`).
    Socks5,
    /// HTTP `CONNECT` (`http://`).
    HttpConnect,
}

/// A proxy to connect through.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    /// SOCKS5 or HTTP CONNECT.
    pub kind: ProxyKind,
    /// `host:port` of the proxy, as shown.
    pub server: String,
    /// The proxy's host name or address (an IPv6 one without brackets).
    host: String,
    /// The proxy's port.
    port: u16,
    /// The proxy resolves host names (`socks5h://`).
    pub remote_dns: bool,
    /// User name and password (RFC 1929), when the URL has them.
    credentials: Option<(String, String)>,
    /// Why the configured proxy cannot be used: every connection fails with it rather than
    /// going out directly.
    broken: Option<String>,
}

impl std::fmt::Debug for Proxy {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("server", &self.server)
            .field("remote_dns", &self.remote_dns)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(user, _)| user),
            )
            .finish()
    }
}

/// `text` with any `user:password@` of its authority replaced by `…@`, for messages.
fn redacted(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}…{}", &text[..scheme_end + 3], &text[at..])
        }
        _ => text.to_owned(),
    }
}

impl Proxy {
    /// Reads `socks5://[user:password@]host:port`, `socks5h://…` or `http://…` (port 1080
    /// for SOCKS and 80 for HTTP when none).
    ///
    /// Errors, in words (the URL's user name and password left out): not a URL, another
    /// scheme (`https://` proxies are not supported), or no host.
    pub fn parse(input: &str) -> Result<Self, String> {
        // Errors name the proxy without its user information.
        let text = redacted(input.trim());
        let url = url::Url::parse(input.trim())
            .map_err(|e| format!("the proxy {text:?} is not a URL: {e}"))?;
        let (kind, remote_dns) = match url.scheme() {
            "socks5h" => (ProxyKind::Socks5, true),
            "socks5" => (ProxyKind::Socks5, false),
            "http" => (ProxyKind::HttpConnect, true),
            other => {
                return Err(format!(
                    "the proxy {text:?} is {other}://; Linnet connects through SOCKS5 \
                     (socks5:// or socks5h://) and HTTP (http://) proxies"
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("the proxy {text:?} names no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        // `url` drops a port equal to the scheme's default (80 for http), so http's default
        // is the known one; SOCKS has none in `url`, and 1080 is its registered port.
        let port = match kind {
            ProxyKind::HttpConnect => url.port_or_known_default().unwrap_or(80),
            ProxyKind::Socks5 => url.port().unwrap_or(1080),
        };
        let server = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let host = host.to_owned();
        let credentials = (!url.username().is_empty() || url.password().is_some()).then(|| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (
                decode(url.username()),
                decode(url.password().unwrap_or_default()),
            )
        });
        Ok(Self {
            kind,
            server,
            host,
            port,
            remote_dns,
            credentials,
            broken: None,
        })
    }

    /// A proxy setting that could not be read: connections fail with `reason` instead of
    /// going out without the proxy the user asked for.
    pub fn unusable(reason: String) -> Self {
        Self {
            kind: ProxyKind::Socks5,
            server: String::new(),
            host: String::new(),
            port: 0,
            remote_dns: true,
            credentials: None,
            broken: Some(reason),
        }
    }

    /// Whether the URL carried a user name (and password).
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// The proxy the environment names (`ALL_PROXY`, else `all_proxy`); `None` when neither
    /// is set or the value is empty.
    ///
    /// Errors: as [`Self::parse`].
    pub fn from_env() -> Option<Result<Self, String>> {
        ["ALL_PROXY", "all_proxy"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
            .map(|v| Self::parse(&v))
    }

    /// Opens TCP to `host:port` through the proxy: the proxy by its address (looked up
    /// here), then the SOCKS5 CONNECT to the host name (remote DNS) or to its addresses, one
    /// after the other, or the HTTP CONNECT to the host name.
    ///
    /// Errors, in words: the proxy is unreachable, refuses, or cannot reach the server.
    pub(crate) async fn connect(
        &self,
        dns: &Dns,
        host: &str,
        port: u16,
    ) -> Result<TcpStream, String> {
        if let Some(reason) = &self.broken {
            return Err(format!(
                "the proxy setting is not usable ({reason}), so Linnet does not connect without it"
            ));
        }
        if self.kind == ProxyKind::HttpConnect {
            let socket = resolve::connect(dns, &self.host, self.port)
                .await
                .map_err(|e| format!("the proxy {} cannot be reached: {e}", self.server))?;
            return self.http_connect(socket, host, port).await;
        }
        let targets: Vec<TargetAddr<'_>> =
            if self.remote_dns || host.parse::<std::net::IpAddr>().is_ok() {
                vec![TargetAddr::Domain(host.into(), port)]
            } else {
                resolve::addresses(dns, host)
                    .await?
                    .into_iter()
                    .map(|ip| TargetAddr::Ip(SocketAddr::new(ip, port)))
                    .collect()
            };
        let mut last = format!("{host} has no address");
        for target in targets {
            let socket = resolve::connect(dns, &self.host, self.port)
                .await
                .map_err(|e| format!("the proxy {} cannot be reached: {e}", self.server))?;
            let done = match &self.credentials {
                None => Socks5Stream::connect_with_socket(socket, target).await,
                Some((user, pass)) => {
                    Socks5Stream::connect_with_password_and_socket(socket, target, user, pass).await
                }
            };
            match done {
                Ok(stream) => return Ok(stream.into_inner()),
                Err(e) => {
                    last = format!(
                        "the proxy {} could not connect to {host}:{port}: {e}",
                        self.server
                    )
                }
            }
        }
        Err(last)
    }

    /// Asks an HTTP proxy on `socket` for a tunnel to `host:port` (RFC 9110 §9.3.6) and
    /// returns the socket once it answers 2xx.
    ///
    /// Errors, in words: the proxy refuses (its status: 407 is a wrong or missing password),
    /// or the exchange breaks.
    async fn http_connect(
        &self,
        socket: TcpStream,
        host: &str,
        port: u16,
    ) -> Result<TcpStream, String> {
        use base64::Engine as _;
        use hyper_util::rt::TokioIo;
        let failed = |e: &dyn std::fmt::Display| {
            format!(
                "the proxy {} could not connect to {host}:{port}: {e}",
                self.server
            )
        };
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = http::Request::builder()
            .method(http::Method::CONNECT)
            .uri(&authority)
            .header(http::header::HOST, &authority);
        if let Some((user, pass)) = &self.credentials {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            request = request.header(http::header::PROXY_AUTHORIZATION, format!("Basic {basic}"));
        }
        let request = request.body(String::new()).map_err(|e| failed(&e))?;
        // Header names as RFC 9110 writes them: some proxies (pproxy) match them by case.
        let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
            .title_case_headers(true)
            .handshake::<_, String>(TokioIo::new(socket))
            .await
            .map_err(|e| failed(&e))?;
        let driver = tokio::spawn(connection.with_upgrades());
        let response = sender.send_request(request).await.map_err(|e| failed(&e))?;
        let status = response.status();
        if !status.is_success() {
            driver.abort();
            let why = if status == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
                "it wants another user name or password (407)".to_owned()
            } else {
                format!("it answered {status}")
            };
            return Err(failed(&why));
        }
        let upgraded = hyper::upgrade::on(response).await.map_err(|e| failed(&e))?;
        // The tunnel is the same socket: take it back, so the connection is a TCP stream like
        // every other (TCP_NODELAY, QUICKACK). The server speaks only after us, so nothing
        // may have been read past the proxy's answer.
        match upgraded.downcast::<TokioIo<TcpStream>>() {
            Ok(parts) if parts.read_buf.is_empty() => Ok(parts.io.into_inner()),
            Ok(_) => Err(failed(&"it sent data before we did")),
            Err(_) => Err(failed(&"the tunnel is not the socket")),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn socks5_urls_are_read_with_their_dns_mode_and_credentials() {
        let p = Proxy::parse("socks5h://127.0.0.1:9050").unwrap();
        assert_eq!(
            (p.server.as_str(), p.remote_dns, p.credentials.is_none()),
            ("127.0.0.1:9050", true, true)
        );
        let p = Proxy::parse("socks5://al%40ice:s%3Acret@proxy.example:1081").unwrap();
        assert_eq!(p.server, "proxy.example:1081");
        assert!(!p.remote_dns);
        assert_eq!(p.credentials, Some(("al@ice".into(), "s:cret".into())));
        assert_eq!(Proxy::parse("socks5://[::1]").unwrap().server, "[::1]:1080");
        assert!(
            !format!("{p:?}").contains("s:cret"),
            "the password stays out of logs"
        );
    }

    #[test]
    fn other_schemes_and_nonsense_are_refused_in_words() {
        let http = Proxy::parse("http://u:p@proxy.example:3128").unwrap();
        assert_eq!(
            (http.kind, http.server.as_str(), http.remote_dns),
            (ProxyKind::HttpConnect, "proxy.example:3128", true)
        );
        let https = Proxy::parse("https://u:pw@proxy.example:3128").unwrap_err();
        assert!(
            https.contains("SOCKS5") && https.contains("http://"),
            "{https}"
        );
        assert!(
            !https.contains("pw"),
            "the password stays out of messages: {https}"
        );
        assert_eq!(Proxy::parse("http://proxy.example:80").unwrap().port, 80);
        assert_eq!(Proxy::parse("http://proxy.example").unwrap().port, 80);
        assert!(Proxy::parse("http://:secret@proxy.example:3128")
            .unwrap()
            .has_credentials());
        assert!(Proxy::parse("not a url").is_err());
        assert!(Proxy::parse("socks5://").is_err());
    }

    #[test]
    fn host_and_port_are_split_for_both_families() {
        let v4 = Proxy::parse("socks5://127.0.0.1:1080").unwrap();
        assert_eq!((v4.host.as_str(), v4.port), ("127.0.0.1", 1080));
        let v6 = Proxy::parse("socks5://[::1]:9050").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 9050));
    }
}
