//! Connecting through a SOCKS5 proxy (RFC 1928, user name and password by RFC 1929), set
//! system-wide: `EngineConfig::proxy`, which the app takes from the `ALL_PROXY` (or
//! `all_proxy`) environment variable, the setting curl, Git and most desktop programs read.
//!
//! `socks5h://` lets the proxy resolve host names (nothing about the server's address is
//! asked of our DNS but its SRV records); `socks5://` resolves them here and hands the proxy
//! an address. The handshake is tokio-socks'.

use std::net::SocketAddr;

use tokio::net::TcpStream;
use tokio_socks::tcp::Socks5Stream;
use tokio_socks::TargetAddr;

use super::resolve::{self, Dns};

/// A SOCKS5 proxy to connect through.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
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
            .field("server", &self.server)
            .field("remote_dns", &self.remote_dns)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(user, _)| user),
            )
            .finish()
    }
}

impl Proxy {
    /// Reads `socks5://[user:password@]host:port` or `socks5h://…` (port 1080 when none).
    ///
    /// Errors, in words: not a URL, another scheme (HTTP proxies are not supported yet), or
    /// no host.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text.trim())
            .map_err(|e| format!("the proxy {text:?} is not a URL: {e}"))?;
        let remote_dns = match url.scheme() {
            "socks5h" => true,
            "socks5" => false,
            other => {
                return Err(format!(
                    "the proxy {text:?} is {other}://; Linnet connects through SOCKS5 proxies \
                     (socks5:// or socks5h://) only"
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("the proxy {text:?} names no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = url.port().unwrap_or(1080);
        let server = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let host = host.to_owned();
        let credentials = (!url.username().is_empty()).then(|| {
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
            server: String::new(),
            host: String::new(),
            port: 0,
            remote_dns: true,
            credentials: None,
            broken: Some(reason),
        }
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
    /// after the other.
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
        let http = Proxy::parse("http://proxy.example:3128").unwrap_err();
        assert!(http.contains("SOCKS5"), "{http}");
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
