//! The bytes of a Jingle file transfer over SOCKS5 Bytestreams (XEP-0260 on XEP-0065): our
//! candidates (a listener on the address we reach our server from, and the server's proxy
//! found by disco), connecting to the other side's in priority order, telling and hearing
//! which one each side could use, picking one as §2.4 says, activating a proxy (§2.5), and
//! moving the file over the chosen TCP connection. `None` from [`Session::negotiate`] means
//! no candidate worked: the caller falls back to IBB (§3).

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_xmpp::parsers::disco::{DiscoItemsQuery, DiscoItemsResult};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::jingle::Reason;

use super::ibb::read_block;
use super::sink::Sink;
use super::{End, Session, IDLE};
use crate::api::files::Progress;
use crate::features::jingle::{OfferedFile, SessionAction};
use crate::features::s5b::{self, S5bCandidate, S5bInfo};
use crate::features::transfers::{Proxy, Signal};
use crate::store::TransferState;
use crate::*;

/// One connection attempt (TCP connect, then the SOCKS5 handshake).
const CONNECT_WAIT: Duration = Duration::from_secs(5);
/// How long we wait for the other side's candidate report or activation.
const REPORT_WAIT: Duration = Duration::from_secs(30);
/// Pieces the file is read and written in.
const CHUNK: usize = 64 * 1024;

/// Our candidates, and the listener behind the direct one.
pub(super) struct Candidates {
    pub list: Vec<S5bCandidate>,
    listener: Option<TcpListener>,
}

/// Stops a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    /// Our S5B candidates (XEP-0260 §2.2): a listener on the local address our server is
    /// reached from (direct), and each SOCKS5 proxy our server lists (disco#items, then
    /// disco#info identity proxy/bytestreams, then its address, XEP-0065 §4). Either may be
    /// missing; none at all still lets the other side's candidates be tried.
    pub(super) async fn s5b_candidates(&self, account_id: i64, me: &FullJid) -> Candidates {
        let mut list = Vec::new();
        let mut listener = None;
        if let Some(ip) = self.local_address(account_id).await {
            if let Ok(bound) = TcpListener::bind(SocketAddr::new(ip, 0)).await {
                if let Ok(addr) = bound.local_addr() {
                    list.push(S5bCandidate {
                        cid: features::new_id(),
                        host: addr.ip(),
                        port: addr.port(),
                        jid: Jid::from(me.clone()),
                        priority: S5bCandidate::priority_for(false, u16::MAX),
                        proxy: false,
                    });
                    listener = Some(bound);
                }
            }
        }
        for (jid, host, port) in self.s5b_proxies(account_id, me).await {
            list.push(S5bCandidate {
                cid: features::new_id(),
                host,
                port,
                jid,
                priority: S5bCandidate::priority_for(true, u16::MAX),
                proxy: true,
            });
        }
        Candidates { list, listener }
    }

    /// The local address the OS would use to reach the account's server (its configured
    /// host, else its domain): a UDP socket "connected" there sends nothing.
    async fn local_address(&self, account_id: i64) -> Option<IpAddr> {
        let account = self.inner.store.account(account_id).await.ok()?;
        let domain = parse_jid(&account.jid).ok()?.domain().to_string();
        let host = account.host.clone().unwrap_or(domain);
        let port = account
            .port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(5222);
        let server = tokio::net::lookup_host((host.as_str(), port))
            .await
            .ok()?
            .next()?;
        let any: SocketAddr = if server.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = std::net::UdpSocket::bind(any).ok()?;
        socket.connect(server).ok()?;
        Some(socket.local_addr().ok()?.ip())
    }

    /// The SOCKS5 proxies our server offers, with their addresses: asked once per session.
    async fn s5b_proxies(&self, account_id: i64, me: &FullJid) -> Vec<Proxy> {
        if let Some(known) = self.inner.transfers.proxies(account_id) {
            return known;
        }
        let found = self.find_proxies(account_id, me).await;
        self.inner.transfers.set_proxies(account_id, found.clone());
        found
    }

    async fn find_proxies(&self, account_id: i64, me: &FullJid) -> Vec<Proxy> {
        let domain = Jid::from(me.domain().to_owned());
        let query = Iq::from_get(
            features::new_id(),
            DiscoItemsQuery {
                node: None,
                rsm: None,
            },
        )
        .with_to(domain);
        let items = match self.request(account_id, query).await {
            Ok(Some(payload)) => DiscoItemsResult::try_from(payload)
                .map(|r| r.items)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut proxies = Vec::new();
        for item in items.into_iter().filter(|i| i.node.is_none()) {
            let Some(info) = self.disco_info(account_id, item.jid.clone()).await else {
                continue;
            };
            if !s5b::is_proxy(&info) {
                continue;
            }
            let query = s5b::address_query(features::new_id(), item.jid.clone());
            match self.request(account_id, query).await {
                Ok(payload) => match s5b::read_address(payload) {
                    Ok((host, port)) => proxies.push((item.jid, host, port)),
                    Err(e) => tracing::info!("proxy {} unusable: {e}", item.jid),
                },
                Err(e) => tracing::info!("proxy {} gave no address: {e}", item.jid),
            }
        }
        proxies
    }
}

/// Connects to `candidate` and asks for the stream `dstaddr`.
async fn open(candidate: &S5bCandidate, dstaddr: &str) -> Option<TcpStream> {
    let attempt = async {
        let mut stream = TcpStream::connect((candidate.host, candidate.port))
            .await
            .ok()?;
        s5b::connect(&mut stream, dstaddr).await.ok()?;
        Some(stream)
    };
    tokio::time::timeout(CONNECT_WAIT, attempt).await.ok()?
}

impl Session<'_> {
    /// Runs the candidate exchange (XEP-0260 §2.3–2.5) as `initiator` or responder, with our
    /// `ours` and their `theirs` candidates of transport `tsid`. The chosen connection, or
    /// `None` when no candidate worked (or the proxy could not be activated).
    pub(super) async fn negotiate(
        &self,
        initiator: bool,
        me: &FullJid,
        tsid: &str,
        ours: Candidates,
        mut theirs: Vec<S5bCandidate>,
        inbox: &mut mpsc::Receiver<Signal>,
    ) -> Result<Option<TcpStream>, End> {
        let dst_ours = s5b::dstaddr(tsid, me, self.peer);
        let dst_theirs = s5b::dstaddr(tsid, self.peer, me);
        // Connections to our direct candidate: the first with the right address is kept.
        let (arrived, mut incoming) = mpsc::channel::<TcpStream>(1);
        let _accepting = ours.listener.map(|listener| {
            let dst = dst_ours.clone();
            AbortOnDrop(tokio::spawn(async move {
                loop {
                    let Ok((mut stream, _)) = listener.accept().await else {
                        return;
                    };
                    let shaken =
                        tokio::time::timeout(CONNECT_WAIT, s5b::accept(&mut stream, &dst)).await;
                    if matches!(shaken, Ok(Ok(()))) {
                        let _ = arrived.send(stream).await;
                        return;
                    }
                }
            }))
        });
        // Theirs, best first (§2.3).
        theirs.sort_by_key(|c| std::cmp::Reverse(c.priority));
        let mut used = None;
        for candidate in theirs {
            if let Some(stream) = open(&candidate, &dst_theirs).await {
                used = Some((candidate, stream));
                break;
            }
        }
        tracing::debug!(sid = self.sid, used = ?used.as_ref().map(|u| &u.0), "s5b: tried theirs");
        let report = match &used {
            Some((c, _)) => S5bInfo::CandidateUsed(c.cid.clone()),
            None => S5bInfo::CandidateError,
        };
        self.s5b_info(tsid, report).await?;
        // Theirs about ours.
        let chosen_by_them = loop {
            match self.next(inbox, REPORT_WAIT).await? {
                Signal::Session(SessionAction::TransportInfo(t)) if t.sid == tsid => match t.info {
                    S5bInfo::CandidateUsed(cid) => {
                        break ours.list.iter().find(|c| c.cid == cid).cloned()
                    }
                    S5bInfo::CandidateError => break None,
                    _ => continue,
                },
                _ => continue,
            }
        };
        tracing::debug!(sid = self.sid, chosen_by_them = ?chosen_by_them, "s5b: their report");
        // §2.4: the higher priority wins; on a tie, the candidate the initiator chose.
        let take_theirs = match (&chosen_by_them, &used) {
            (None, None) => return Ok(None),
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(o), Some((t, _))) => {
                t.priority > o.priority || (t.priority == o.priority && initiator)
            }
        };
        if take_theirs {
            let Some((candidate, stream)) = used else {
                return Ok(None);
            };
            if !candidate.proxy {
                return Ok(Some(stream));
            }
            // Their proxy: they activate it (§2.5).
            loop {
                match self.next(inbox, REPORT_WAIT).await? {
                    Signal::Session(SessionAction::TransportInfo(t)) if t.sid == tsid => {
                        match t.info {
                            S5bInfo::Activated(cid) if cid == candidate.cid => {
                                tracing::debug!(sid = self.sid, "s5b: their proxy activated");
                                return Ok(Some(stream));
                            }
                            S5bInfo::ProxyError => return Ok(None),
                            _ => continue,
                        }
                    }
                    _ => continue,
                }
            }
        }
        let Some(candidate) = chosen_by_them else {
            return Ok(None);
        };
        if !candidate.proxy {
            return match tokio::time::timeout(CONNECT_WAIT, incoming.recv()).await {
                Ok(Some(stream)) => Ok(Some(stream)),
                _ => Ok(None),
            };
        }
        // Our proxy: we connect to it too, activate it, and say so.
        let Some(stream) = open(&candidate, &dst_ours).await else {
            self.s5b_info(tsid, S5bInfo::ProxyError).await?;
            return Ok(None);
        };
        let activate = s5b::activate(features::new_id(), candidate.jid.clone(), tsid, self.peer);
        if self.request(activate).await.is_err() {
            self.s5b_info(tsid, S5bInfo::ProxyError).await?;
            return Ok(None);
        }
        self.s5b_info(tsid, S5bInfo::Activated(candidate.cid.clone()))
            .await?;
        Ok(Some(stream))
    }

    /// Writes the file into the chosen connection, then waits for the receiver to end the
    /// session. `Ok(true)`: they ended it with success.
    pub(super) async fn send_stream(
        &self,
        mut stream: TcpStream,
        file: &OfferedFile,
        inbox: &mut mpsc::Receiver<Signal>,
        path: &Path,
    ) -> Result<bool, End> {
        let mut reader = tokio::fs::File::open(path)
            .await
            .map_err(|e| End::failed(format!("The file can no longer be read ({e}).")))?;
        let mut progress = Progress::new(self.engine, self.row, true, file.size);
        progress.tell();
        let broken = |e: std::io::Error| {
            End(
                TransferState::Failed,
                format!("The connection for the file broke ({e})."),
                Some(Reason::ConnectivityError),
            )
        };
        let mut buf = vec![0u8; CHUNK];
        loop {
            while let Ok(signal) = inbox.try_recv() {
                if let Some(end) = End::of(&signal) {
                    return Err(end);
                }
            }
            let n = read_block(&mut reader, &mut buf)
                .await
                .map_err(|e| End::failed(format!("The file can no longer be read ({e}).")))?;
            if n == 0 {
                break;
            }
            tokio::time::timeout(IDLE, stream.write_all(&buf[..n]))
                .await
                .map_err(|_| broken(std::io::ErrorKind::TimedOut.into()))?
                .map_err(broken)?;
            progress.add(n as u64);
        }
        let _ = stream.shutdown().await;
        self.await_end(inbox).await
    }

    /// Reads the file from the chosen connection into `sink`: until its size (or the
    /// connection's end when it gave none). `Ok(true)`: the sender ended the session.
    pub(super) async fn receive_stream(
        &self,
        mut stream: TcpStream,
        sink: &mut Sink,
        inbox: &mut mpsc::Receiver<Signal>,
    ) -> Result<bool, End> {
        let mut buf = vec![0u8; CHUNK];
        loop {
            if sink.missing() == Some(0) {
                return Ok(false);
            }
            tokio::select! {
                read = tokio::time::timeout(IDLE, stream.read(&mut buf)) => {
                    let n = match read {
                        Ok(Ok(n)) => n,
                        Ok(Err(e)) => return Err(End(
                            TransferState::Failed,
                            format!("The connection for the file broke ({e})."),
                            Some(Reason::ConnectivityError),
                        )),
                        Err(_) => {
                            tracing::debug!(sid = self.sid, missing = ?sink.missing(), "s5b: silence");
                            return Err(End(
                            TransferState::Failed,
                            "The sender stopped sending.".into(),
                            Some(Reason::Timeout),
                        ))},
                    };
                    if n == 0 {
                        tracing::debug!(sid = self.sid, missing = ?sink.missing(), "s5b: stream ended");
                        return Ok(false);
                    }
                    sink.write(&buf[..n]).await?;
                }
                signal = inbox.recv() => match signal {
                    Some(Signal::Session(SessionAction::Terminate { reason, .. }))
                        if reason == "success" && sink.whole() => return Ok(true),
                    Some(other) => {
                        if let Some(end) = End::of(&other) {
                            return Err(end);
                        }
                    }
                    None => return Err(End::failed("The transfer was stopped.")),
                },
            }
        }
    }
}
