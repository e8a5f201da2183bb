//! Two federated Prosody servers on loopback: `a.test` and `b.test`, each on its own
//! address in 127.0.0.0/8 with server-to-server (s2s, RFC 6120 §2.5) on port 5269, finding
//! each other only through a private hosts file (no DNS leaves the machine, nothing in
//! `/etc/hosts`), their certificates signed by one test CA and verified both ways.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::PathBuf;

use crate::{HarnessError, Server};

/// The two servers; `a` and `b` are ordinary [`Server`]s (accounts, peers, stop/restart).
pub struct Federation {
    /// `a.test`.
    pub a: Server,
    /// `b.test`.
    pub b: Server,
    dir: PathBuf,
}

/// The s2s port every federated server listens on (one address each).
const S2S_PORT: u16 = 5269;

impl Federation {
    /// Starts `a.test` and `b.test`, sharing one CA (so a client trusting
    /// [`Server::ca_cert`] of either trusts both).
    ///
    /// Errors: [`HarnessError`] when no free pair of loopback addresses is found or a server
    /// does not start.
    pub async fn start() -> Result<Self, HarnessError> {
        let [a_ip, b_ip] = free_pair()?;
        let dir = std::env::temp_dir().join(format!(
            "linnet-federation-{}-{}",
            std::process::id(),
            a_ip.octets()[1..3]
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join("-")
        ));
        std::fs::create_dir_all(&dir)?;
        let hosts = dir.join("hosts");
        let line = |ip: Ipv4Addr, domain: &str| {
            format!("{ip} {domain} conference.{domain} upload.{domain} proxy.{domain}\n")
        };
        std::fs::write(&hosts, line(a_ip, "a.test") + &line(b_ip, "b.test"))?;
        let ca = dir.join("ca");
        let start = |domain: &'static str, ip: Ipv4Addr| {
            let args = [
                "--domain".to_owned(),
                domain.to_owned(),
                "--address".to_owned(),
                ip.to_string(),
                "--s2s-hosts".to_owned(),
                hosts.display().to_string(),
                "--ca-dir".to_owned(),
                ca.display().to_string(),
            ];
            async move {
                let flags: Vec<&str> = args.iter().map(String::as_str).collect();
                Server::start_with(&flags).await
            }
        };
        // One after the other: the first makes the CA the second signs with.
        let a = start("a.test", a_ip).await?;
        let b = start("b.test", b_ip).await?;
        Ok(Self { a, b, dir })
    }

    /// Stops both servers and deletes their files.
    pub async fn shutdown(self) {
        self.a.shutdown().await;
        self.b.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Two addresses 127.N.M.2 and 127.N.M.3 whose s2s port is free, N and M varied by process
/// and attempt so that tests running side by side get pairs of their own.
fn free_pair() -> Result<[Ipv4Addr; 2], HarnessError> {
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
    for attempt in 0..64u32 {
        let n = seed.wrapping_add(attempt.wrapping_mul(7919));
        let (hi, lo) = (((n >> 8) % 250 + 1) as u8, (n % 250 + 1) as u8);
        let pair = [Ipv4Addr::new(127, hi, lo, 2), Ipv4Addr::new(127, hi, lo, 3)];
        let free = pair
            .iter()
            .all(|ip| TcpListener::bind(SocketAddrV4::new(*ip, S2S_PORT)).is_ok());
        if free {
            return Ok(pair);
        }
    }
    Err(HarnessError::Harness(
        "no free pair of loopback addresses for federation".to_owned(),
    ))
}
