//! A loopback TCP proxy in front of the test server whose faults the test controls: cut every
//! open connection, refuse new ones, blackhole bytes in either direction, or delay them. Used
//! to prove delivery guarantees across lost connections (XEP-0198 resumption, reconnects).
//!
//! It listens on 127.0.0.1 only and forwards to one loopback target. TLS passes through
//! untouched (the client still verifies the server's certificate for the XMPP domain).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does to traffic right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Faults {
    /// New connections are closed at once.
    refuse: bool,
    /// Client-to-server bytes are read and dropped.
    drop_upstream: bool,
    /// Server-to-client bytes are read and dropped.
    drop_downstream: bool,
    /// Each chunk waits this long before it is forwarded.
    delay: Duration,
}

/// A running proxy; stops (closing every connection) when dropped.
pub struct FaultProxy {
    port: u16,
    faults: watch::Sender<Faults>,
    /// Bumped by [`FaultProxy::cut`]; each connection closes when it changes.
    generation: watch::Sender<u64>,
    accepted: Arc<Mutex<u64>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port forwarding to `target` (a loopback address).
    ///
    /// Errors: binding the listener failed, or `target` is not a loopback address.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        if !target.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("tests only talk to loopback, not {target}"),
            ));
        }
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let (faults, faults_rx) = watch::channel(Faults::default());
        let (generation, generation_rx) = watch::channel(0u64);
        let accepted = Arc::new(Mutex::new(0u64));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if let Ok(mut n) = counter.lock() {
                    *n += 1;
                }
                if faults_rx.borrow().refuse {
                    drop(client);
                    continue;
                }
                tokio::spawn(relay(
                    client,
                    target,
                    faults_rx.clone(),
                    generation_rx.clone(),
                ));
            }
        });
        Ok(Self {
            port,
            faults,
            generation,
            accepted,
            task,
        })
    }

    /// The loopback port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connections accepted so far (including refused ones).
    pub fn accepted(&self) -> u64 {
        self.accepted.lock().map(|n| *n).unwrap_or(0)
    }

    /// Closes every open connection now (both ends see the TCP connection end).
    pub fn cut(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// While on, new connections are closed as soon as they are accepted.
    pub fn refuse(&self, on: bool) {
        self.faults.send_modify(|f| f.refuse = on);
    }

    /// While on, bytes in the given directions are swallowed: the connection stays open but
    /// nothing arrives (a silent network drop).
    pub fn blackhole(&self, upstream: bool, downstream: bool) {
        self.faults.send_modify(|f| {
            f.drop_upstream = upstream;
            f.drop_downstream = downstream;
        });
    }

    /// Delays every forwarded chunk by `delay` (zero to stop).
    pub fn delay(&self, delay: Duration) {
        self.faults.send_modify(|f| f.delay = delay);
    }

    /// Back to a clean pipe: no refusal, no blackhole, no delay. Open connections stay.
    pub fn heal(&self) {
        self.faults.send_replace(Faults::default());
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn relay(
    client: TcpStream,
    target: SocketAddr,
    faults: watch::Receiver<Faults>,
    mut generation: watch::Receiver<u64>,
) {
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    generation.mark_unchanged();
    let (client_r, client_w) = client.into_split();
    let (server_r, server_w) = server.into_split();
    let up = pump(client_r, server_w, faults.clone(), true);
    let down = pump(server_r, client_w, faults, false);
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = generation.changed() => {}
    }
    // Dropping the halves closes both connections.
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    faults: watch::Receiver<Faults>,
    upstream: bool,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let now = *faults.borrow();
        if (upstream && now.drop_upstream) || (!upstream && now.drop_downstream) {
            continue;
        }
        if !now.delay.is_zero() {
            tokio::time::sleep(now.delay).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
