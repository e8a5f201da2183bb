//! Finding an account's server: SRV records for STARTTLS (`_xmpp-client._tcp`, RFC 6120
//! §3.2.1) and direct TLS (`_xmpps-client._tcp`, XEP-0368 §3) merged and ordered by priority
//! and weight (RFC 2782), else the domain itself on 5222 (RFC 6120 §3.2.2); each target's
//! addresses tried Happy Eyeballs style (RFC 8305: IPv6 and IPv4 interleaved, a new attempt
//! every 250 ms while earlier ones are still pending).
//!
//! DNS goes through hickory-resolver with the system's configuration, or through one given
//! name server ([`Dns::at`]; the tests run one on loopback).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;
use rand::Rng;
use tokio::net::TcpStream;

/// The default STARTTLS client port (RFC 6120 §3.2.1).
pub const STARTTLS_PORT: u16 = 5222;
/// The wait before the next address is tried while earlier attempts are pending (RFC 8305
/// §5, "Connection Attempt Delay").
const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Which DNS server answers: the system's, or one given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dns {
    nameserver: Option<SocketAddr>,
}

impl Dns {
    /// The system's resolver configuration (`/etc/resolv.conf` on Unix, the registry on
    /// Windows).
    pub fn system() -> Self {
        Self::default()
    }

    /// Only the name server at `addr` (UDP, then TCP for long answers).
    pub fn at(addr: SocketAddr) -> Self {
        Self {
            nameserver: Some(addr),
        }
    }

    fn resolver(&self) -> Result<TokioResolver, String> {
        let provider = TokioRuntimeProvider::default();
        let builder = match self.nameserver {
            None => TokioResolver::builder(provider).map_err(|e| e.to_string())?,
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![server]),
                    provider,
                )
            }
        };
        let mut builder = builder;
        // Both families, for Happy Eyeballs (the default asks for AAAA only when there is no A).
        builder.options_mut().ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        builder.build().map_err(|e| e.to_string())
    }
}

/// One place to connect to: a host name (or address) and port, with STARTTLS or direct TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// XEP-0368 direct TLS (from an `_xmpps-client` record) instead of STARTTLS.
    pub direct_tls: bool,
    /// Found through SRV records.
    pub from_srv: bool,
}

/// How the current connection of an account was made, for its connection details.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Route {
    /// The host connected to: an SRV target, the domain, or the host the user set.
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// The address the connection went to (`ip:port`).
    pub address: String,
    /// XEP-0368 direct TLS; else STARTTLS (RFC 6120 §5).
    pub direct_tls: bool,
    /// Found through the domain's SRV records (not set by hand, not the domain itself).
    pub from_srv: bool,
    /// The SASL mechanism that logged in (`SCRAM-SHA-1`, `HT-SHA-256-NONE` for a FAST
    /// token, …); `None` before the login.
    pub mechanism: Option<String>,
    /// Whether the login used SASL2 (XEP-0388).
    pub sasl2: bool,
}

/// One SRV record as far as ordering goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SrvTarget {
    pub priority: u16,
    pub weight: u16,
    pub endpoint: Endpoint,
}

/// Orders SRV targets (both services together, XEP-0368 §3) by RFC 2782: lowest priority
/// first; within one priority a weighted random order (weight 0 first in the list, so it is
/// picked only rarely when others weigh more). `random(sum)` returns a number in `0..=sum`.
pub(crate) fn order(
    mut targets: Vec<SrvTarget>,
    mut random: impl FnMut(u32) -> u32,
) -> Vec<Endpoint> {
    targets.sort_by_key(|t| (t.priority, t.weight != 0));
    let mut out = Vec::with_capacity(targets.len());
    let mut rest = targets.as_slice();
    while let Some(first) = rest.first() {
        let same = rest
            .iter()
            .take_while(|t| t.priority == first.priority)
            .count();
        let (group, tail) = rest.split_at(same);
        let mut left: Vec<&SrvTarget> = group.iter().collect();
        while !left.is_empty() {
            let sum: u32 = left.iter().map(|t| u32::from(t.weight)).sum();
            let pick = random(sum);
            let mut running = 0;
            let index = left
                .iter()
                .position(|t| {
                    running += u32::from(t.weight);
                    running >= pick
                })
                .unwrap_or(0);
            out.push(left.remove(index).endpoint.clone());
        }
        rest = tail;
    }
    out
}

/// Where to connect for `domain`, in the order to try: the SRV targets of both services
/// (RFC 6120 §3.2.1, XEP-0368), else `domain:5222` with STARTTLS when there are none. A
/// record with the target `.` says the service is not offered (RFC 2782).
///
/// Errors, in words: the resolver could not be set up (no usable system configuration), or
/// the only records are `.` ones (no service at all: the domain is not tried either).
pub async fn endpoints(dns: &Dns, domain: &str) -> Result<Vec<Endpoint>, String> {
    let resolver = dns.resolver()?;
    let lookup = |service: &'static str| {
        let resolver = resolver.clone();
        let name = format!("{service}.{domain}.");
        async move {
            match resolver.srv_lookup(name.as_str()).await {
                Ok(found) => found
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::SRV(srv) => Some(srv.clone()),
                        _ => None,
                    })
                    .collect(),
                Err(e) => {
                    tracing::debug!("no SRV records at {name}: {e}");
                    Vec::new()
                }
            }
        }
    };
    let (starttls, direct) =
        tokio::join!(lookup("_xmpp-client._tcp"), lookup("_xmpps-client._tcp"));
    let mut targets = Vec::new();
    let mut declined = false;
    for (records, direct_tls) in [(starttls, false), (direct, true)] {
        for srv in records {
            let host = srv.target.to_ascii();
            let host = host.trim_end_matches('.');
            if host.is_empty() {
                declined = true; // "." : this service is decidedly not available here
                continue;
            }
            targets.push(SrvTarget {
                priority: srv.priority,
                weight: srv.weight,
                endpoint: Endpoint {
                    host: host.to_owned(),
                    port: srv.port,
                    direct_tls,
                    from_srv: true,
                },
            });
        }
    }
    if targets.is_empty() && declined {
        return Err(format!(
            "{domain} says in DNS that it offers no XMPP service"
        ));
    }
    if targets.is_empty() {
        return Ok(vec![Endpoint {
            host: domain.to_owned(),
            port: STARTTLS_PORT,
            direct_tls: false,
            from_srv: false,
        }]);
    }
    let mut rng = rand::rng();
    Ok(order(targets, |sum| rng.random_range(0..=sum)))
}

/// Addresses in the order RFC 8305 §4 tries them: IPv6 first, then alternating families.
pub(crate) fn interleave(addrs: Vec<IpAddr>) -> Vec<IpAddr> {
    let (mut v6, mut v4): (Vec<_>, Vec<_>) = addrs.into_iter().partition(IpAddr::is_ipv6);
    v6.reverse();
    v4.reverse();
    let mut out = Vec::new();
    loop {
        match (v6.pop(), v4.pop()) {
            (None, None) => return out,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
}

/// The addresses of `host` in the order to try them ([`interleave`]); an IP address as it is.
///
/// Errors: no address, in words.
pub(crate) async fn addresses(dns: &Dns, host: &str) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let resolver = dns.resolver()?;
    let found = resolver
        .lookup_ip(host)
        .await
        .map_err(|e| format!("{host} has no address: {e}"))?;
    Ok(interleave(found.iter().collect()))
}

/// Opens TCP to `host:port`: an IP address as it is, else its A and AAAA records, attempts
/// staggered by 250 ms, the first to connect wins and the others are dropped.
///
/// Errors: no address, or every attempt failed, in words.
pub async fn connect(dns: &Dns, host: &str, port: u16) -> Result<TcpStream, String> {
    let addrs = addresses(dns, host).await?;
    let mut next = addrs.into_iter().peekable();
    let mut pending = FuturesUnordered::new();
    let mut last_error = format!("{host} has no address");
    loop {
        if let Some(ip) = next.next() {
            let addr = SocketAddr::new(ip, port);
            pending.push(async move { (addr, TcpStream::connect(addr).await) });
        }
        if pending.is_empty() {
            return Err(last_error);
        }
        // An attempt ends, or the next one starts after the delay (at once after a
        // failure, RFC 8305 §5).
        let more = next.peek().is_some();
        tokio::select! {
            Some((addr, result)) = pending.next() => match result {
                Ok(stream) => return Ok(stream),
                Err(e) => last_error = format!("{addr}: {e}"),
            },
            () = tokio::time::sleep(ATTEMPT_DELAY), if more => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn target(priority: u16, weight: u16, host: &str, direct_tls: bool) -> SrvTarget {
        SrvTarget {
            priority,
            weight,
            endpoint: Endpoint {
                host: host.into(),
                port: 5222,
                direct_tls,
                from_srv: true,
            },
        }
    }

    fn hosts(endpoints: &[Endpoint]) -> Vec<&str> {
        endpoints.iter().map(|e| e.host.as_str()).collect()
    }

    #[test]
    fn lower_priority_goes_first_across_both_services() {
        let ordered = order(
            vec![
                target(20, 0, "backup", false),
                target(5, 0, "tls", true),
                target(10, 0, "main", false),
            ],
            |_| 0,
        );
        assert_eq!(hosts(&ordered), ["tls", "main", "backup"]);
        assert!(ordered[0].direct_tls && !ordered[1].direct_tls);
    }

    #[test]
    fn within_a_priority_the_running_sum_of_weights_picks() {
        // RFC 2782: weight 0 first in the list, then the running sums 0, 10, 40. A random
        // number of 11..=40 picks the 30-weight one; then 1..=10 of the remaining sum
        // picks the 10-weight one; the weight-0 one comes last.
        let mut picks = [25, 7, 0].into_iter();
        let ordered = order(
            vec![
                target(1, 10, "ten", false),
                target(1, 30, "thirty", false),
                target(1, 0, "zero", false),
            ],
            |_| picks.next().unwrap(),
        );
        assert_eq!(hosts(&ordered), ["thirty", "ten", "zero"]);
        // A random 0 picks the weight-0 record first (its "very small chance").
        let ordered = order(
            vec![target(1, 10, "ten", false), target(1, 0, "zero", false)],
            |_| 0,
        );
        assert_eq!(hosts(&ordered), ["zero", "ten"]);
    }

    #[test]
    fn weighted_order_follows_the_weights_over_many_draws() {
        let mut rng = rand::rng();
        let mut heavy_first = 0;
        for _ in 0..2000 {
            let ordered = order(
                vec![target(1, 1, "light", false), target(1, 9, "heavy", false)],
                |sum| rng.random_range(0..=sum),
            );
            heavy_first += usize::from(ordered[0].host == "heavy");
        }
        // Expected 9/10 (with 0 counting for the light one: 9/11 at worst).
        assert!((1500..2000).contains(&heavy_first), "{heavy_first}");
    }

    #[test]
    fn addresses_alternate_families_starting_with_ipv6() {
        let v4a: IpAddr = "192.0.2.1".parse().unwrap();
        let v4b: IpAddr = "192.0.2.2".parse().unwrap();
        let v6a: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(interleave(vec![v4a, v4b, v6a]), vec![v6a, v4a, v4b]);
    }

    #[tokio::test]
    async fn the_first_address_that_answers_wins() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = connect(&Dns::system(), "127.0.0.1", port).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        drop(listener);
        let refused = connect(&Dns::system(), "127.0.0.1", port).await;
        assert!(refused.is_err(), "nothing listens any more");
    }
}
