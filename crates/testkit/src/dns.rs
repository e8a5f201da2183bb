//! A DNS server on loopback for tests: answers SRV and A records the test sets (for the
//! names it holds; NXDOMAIN for others), over UDP, with messages encoded and decoded by
//! hickory-proto.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, SRV};
use hickory_proto::rr::{Name, RData, Record};
use tokio::net::UdpSocket;

/// A running DNS server on 127.0.0.1 (its task ends when this is dropped).
pub struct DnsServer {
    addr: SocketAddr,
    records: Arc<Mutex<Vec<Record>>>,
    queries: Arc<Mutex<Vec<(String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl DnsServer {
    /// Binds a free UDP port on 127.0.0.1 and starts answering.
    ///
    /// Errors: the socket could not be bound.
    pub async fn start() -> std::io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let addr = socket.local_addr()?;
        let records: Arc<Mutex<Vec<Record>>> = Arc::default();
        let queries: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let task = tokio::spawn(serve(socket, records.clone(), queries.clone()));
        Ok(Self {
            addr,
            records,
            queries,
            task,
        })
    }

    /// Where to send questions.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds an SRV record `name` (e.g. `_xmpp-client._tcp.example.test`) pointing at
    /// `target:port` (`.` for "no such service", RFC 2782).
    ///
    /// # Panics
    /// On a name that is not a valid domain name (a mistake in the test).
    pub fn add_srv(&self, name: &str, priority: u16, weight: u16, port: u16, target: &str) {
        let srv = SRV::new(priority, weight, port, fqdn(target));
        self.add(Record::from_rdata(fqdn(name), 60, RData::SRV(srv)));
    }

    /// Adds an A record.
    ///
    /// # Panics
    /// On a name that is not a valid domain name (a mistake in the test).
    pub fn add_a(&self, name: &str, ip: Ipv4Addr) {
        self.add(Record::from_rdata(fqdn(name), 60, RData::A(A(ip))));
    }

    /// The questions asked so far: (name without the final dot, type such as `SRV`, `A`).
    pub fn queries(&self) -> Vec<(String, String)> {
        self.queries.lock().map(|q| q.clone()).unwrap_or_default()
    }

    fn add(&self, record: Record) {
        if let Ok(mut records) = self.records.lock() {
            records.push(record);
        }
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[allow(clippy::expect_used)]
fn fqdn(name: &str) -> Name {
    let mut name = Name::from_ascii(name).expect("a valid domain name in the test");
    name.set_fqdn(true);
    name
}

async fn serve(
    socket: UdpSocket,
    records: Arc<Mutex<Vec<Record>>>,
    queries: Arc<Mutex<Vec<(String, String)>>>,
) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((len, from)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let Ok(request) = Message::from_vec(&buf[..len]) else {
            continue;
        };
        let mut response = Message::response(request.metadata.id, OpCode::Query);
        response.metadata.authoritative = true;
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        let mut known_name = false;
        for query in &request.queries {
            response.add_query(query.clone());
            let name = query.name().to_ascii();
            if let Ok(mut q) = queries.lock() {
                q.push((
                    name.trim_end_matches('.').to_owned(),
                    query.query_type().to_string(),
                ));
            }
            let Ok(records) = records.lock() else {
                continue;
            };
            for record in records.iter() {
                if record.name.to_ascii().eq_ignore_ascii_case(&name) {
                    known_name = true;
                    if record.record_type() == query.query_type() {
                        response.add_answer(record.clone());
                    }
                }
            }
        }
        if !known_name {
            response.metadata.response_code = ResponseCode::NXDomain;
        }
        if let Ok(bytes) = response.to_vec() {
            let _ = socket.send_to(&bytes, from).await;
        }
    }
}
