//! Finding the server by DNS (RFC 6120 §3.2, XEP-0368, RFC 2782) against a DNS server the
//! test runs on loopback (`linnet_testkit::DnsServer`) and Prosody serving `srv.test`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::net::Ipv4Addr;
use std::sync::Arc;

use common::{init_tracing, temp_db, wait_online, Passwords};
use linnet_engine::account::resolve::{self, Dns, Endpoint, Route};
use linnet_engine::{Engine, NewAccount};
use linnet_testkit::{DnsServer, Server};

const DOMAIN: &str = "srv.test";
const LOOPBACK: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

/// A loopback port nothing listens on (bound, then released).
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Alice's engine asking only `dns`, her account added with no host so that DNS finds the
/// server, and online.
async fn alice_online(dns: &DnsServer, server: &Server, db: &str, alice: &str) -> (Engine, i64) {
    let passwords = Arc::new(Passwords::default());
    passwords.set(alice, "alice-pw");
    let mut config = common::config(server, Some(temp_db(db)), true);
    config.nameserver = Some(dns.addr());
    let engine = Engine::start(config, passwords).await.unwrap();
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(NewAccount {
            jid: alice.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    (engine, account.id)
}

/// The A questions asked, in order.
fn address_questions(dns: &DnsServer) -> Vec<String> {
    dns.queries()
        .into_iter()
        .filter(|(_, t)| t == "A")
        .map(|(name, _)| name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_srv_target_down_gives_way_to_the_next_by_priority() {
    init_tracing();
    let mut server = Server::start_with(&["--domain", DOMAIN]).await.unwrap();
    let alice = server.register("alice", "alice-pw").await.unwrap();
    assert_eq!(alice, "alice@srv.test");
    let dns = DnsServer::start().await.unwrap();
    // Given out of order; priority 10 is down, priority 20 is Prosody.
    dns.add_srv(
        "_xmpp-client._tcp.srv.test",
        20,
        0,
        server.c2s_port(),
        "up.srv.test",
    );
    dns.add_srv(
        "_xmpp-client._tcp.srv.test",
        10,
        0,
        dead_port(),
        "down.srv.test",
    );
    dns.add_a("down.srv.test", LOOPBACK);
    dns.add_a("up.srv.test", LOOPBACK);

    let (engine, account_id) = alice_online(&dns, &server, "srv-priority", &alice).await;
    let asked = dns.queries();
    for service in ["_xmpp-client._tcp.srv.test", "_xmpps-client._tcp.srv.test"] {
        assert!(
            asked.iter().any(|(n, t)| n == service && t == "SRV"),
            "both services are looked up: {asked:?}"
        );
    }
    assert_eq!(
        address_questions(&dns),
        ["down.srv.test", "up.srv.test"],
        "priority 10 first, then 20"
    );
    let via = engine.account(account_id).await.unwrap().connected_via;
    assert_eq!(
        via,
        Some(Route {
            host: "up.srv.test".into(),
            port: server.c2s_port(),
            address: format!("127.0.0.1:{}", server.c2s_port()),
            direct_tls: false,
            from_srv: true,
            mechanism: Some("SCRAM-SHA-1".into()),
            sasl2: false,
        }),
        "the connection details name the SRV target used"
    );
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_tls_target_of_better_priority_is_used_first() {
    init_tracing();
    let mut server = Server::start_with(&["--domain", DOMAIN]).await.unwrap();
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let dns = DnsServer::start().await.unwrap();
    dns.add_srv(
        "_xmpp-client._tcp.srv.test",
        10,
        0,
        server.c2s_port(),
        "starttls.srv.test",
    );
    dns.add_srv(
        "_xmpps-client._tcp.srv.test",
        5,
        0,
        server.tls_port(),
        "tls.srv.test",
    );
    dns.add_a("starttls.srv.test", LOOPBACK);
    dns.add_a("tls.srv.test", LOOPBACK);

    let (engine, account_id) = alice_online(&dns, &server, "srv-direct-tls", &alice).await;
    assert_eq!(
        address_questions(&dns),
        ["tls.srv.test"],
        "the direct TLS target answered, so the STARTTLS one was never needed"
    );
    let via = engine
        .account(account_id)
        .await
        .unwrap()
        .connected_via
        .unwrap();
    assert!(via.direct_tls && via.from_srv, "{via:?}");
    assert_eq!(
        (via.host.as_str(), via.port),
        ("tls.srv.test", server.tls_port())
    );
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn without_srv_records_the_domain_itself_is_tried_and_a_dot_target_is_no_service() {
    init_tracing();
    let dns = DnsServer::start().await.unwrap();
    let endpoints = resolve::endpoints(&Dns::at(dns.addr()), "plain.test")
        .await
        .unwrap();
    assert_eq!(
        endpoints,
        [Endpoint {
            host: "plain.test".into(),
            port: 5222,
            direct_tls: false,
            from_srv: false,
        }],
        "RFC 6120 §3.2.2: the domain on 5222"
    );
    // "." for direct TLS: not offered; the STARTTLS target stays.
    dns.add_srv("_xmpps-client._tcp.dot.test", 0, 0, 0, ".");
    dns.add_srv("_xmpp-client._tcp.dot.test", 0, 0, 5333, "xmpp.dot.test");
    let endpoints = resolve::endpoints(&Dns::at(dns.addr()), "dot.test")
        .await
        .unwrap();
    assert_eq!(
        endpoints,
        [Endpoint {
            host: "xmpp.dot.test".into(),
            port: 5333,
            direct_tls: false,
            from_srv: true,
        }]
    );
    // Only "." records: no XMPP service at all, said in words, the domain not tried.
    dns.add_srv("_xmpp-client._tcp.none.test", 0, 0, 0, ".");
    let refused = resolve::endpoints(&Dns::at(dns.addr()), "none.test").await;
    assert_eq!(
        refused,
        Err("none.test says in DNS that it offers no XMPP service".to_owned())
    );
}
