//! Connections through a SOCKS5 proxy (RFC 1928, RFC 1929) that we did not write: pproxy, run
//! by the test on loopback (`linnet_testkit::SocksProxy`), in front of the harness's Prosody.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{account, init_tracing, is_state, temp_db, wait_event, wait_online, Passwords};
use linnet_engine::account::proxy::Proxy;
use linnet_engine::{ConnectionSettings, ConnectionState, Engine, ErrorCode};
use linnet_testkit::{Server, SocksProxy};

async fn engine_via(server: &Server, proxy: Proxy, db: &str, jid: &str) -> Engine {
    let passwords = Arc::new(Passwords::default());
    passwords.set(jid, "alice-pw");
    let mut config = common::config(server, Some(temp_db(db)), true);
    config.proxy = Some(proxy);
    Engine::start(config, passwords).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_goes_through_the_proxy_with_or_without_a_password() {
    init_tracing();
    let mut server = Server::start().await.unwrap();
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let target = format!("127.0.0.1:{}", server.c2s_port());

    // No authentication, host names resolved by the proxy (socks5h).
    let socks = SocksProxy::start(None).await.unwrap();
    let proxy = Proxy::parse(&socks.url("socks5h")).unwrap();
    let engine = engine_via(&server, proxy, "proxy-open", &alice).await;
    let mut rx = engine.subscribe();
    let acc = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;
    assert!(
        socks.relayed_to(&target),
        "the XMPP connection went through the proxy: {:?}",
        socks.connections()
    );
    engine.shutdown().await;

    // A proxy that wants a user name and password (RFC 1929).
    let socks = SocksProxy::start(Some(("linnet", "proxy-pw")))
        .await
        .unwrap();
    let url = socks.url("socks5").replace("://", "://linnet:proxy-pw@");
    let engine = engine_via(&server, Proxy::parse(&url).unwrap(), "proxy-auth", &alice).await;
    let mut rx = engine.subscribe();
    let acc = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;
    assert!(socks.relayed_to(&target), "{:?}", socks.connections());
    engine.shutdown().await;

    // The wrong proxy password: no connection, never direct. (A fresh pproxy: it lets an
    // address that logged in once in without asking again.)
    let socks = SocksProxy::start(Some(("linnet", "proxy-pw")))
        .await
        .unwrap();
    let url = socks.url("socks5").replace("://", "://linnet:wrong@");
    let before = socks.connections().len();
    let engine = engine_via(&server, Proxy::parse(&url).unwrap(), "proxy-wrong", &alice).await;
    let acc = engine.add_account(account(&server, &alice)).await.unwrap();
    // A refused SOCKS login is a failed attempt (retried with backoff), never online.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    loop {
        let state = engine.state(acc.id).await;
        match state {
            ConnectionState::Reconnecting { .. } => break,
            ConnectionState::Online => panic!("online through a proxy that refused us"),
            _ => {}
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed attempt: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(socks.connections().len(), before, "nothing got through");
    assert_eq!(before, 0);
    engine.shutdown().await;

    // A proxy setting that cannot be read stops connections rather than going direct.
    let engine = engine_via(
        &server,
        Proxy::unusable("ALL_PROXY: http://x is not SOCKS5".into()),
        "proxy-unusable",
        &alice,
    )
    .await;
    let mut rx = engine.subscribe();
    let acc = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_event(&mut rx, Duration::from_secs(20), "a failed attempt", |e| {
        is_state(e, acc.id, "reconnecting")
    })
    .await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_goes_through_an_http_connect_proxy_and_a_wrong_password_stops_it() {
    init_tracing();
    let mut server = Server::start().await.unwrap();
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let target = format!("127.0.0.1:{}", server.c2s_port());

    // Basic Proxy-Authorization with the right user name and password.
    let http = SocksProxy::start_http(Some(("linnet", "proxy-pw")))
        .await
        .unwrap();
    let url = http.url("http").replace("://", "://linnet:proxy-pw@");
    let engine = engine_via(&server, Proxy::parse(&url).unwrap(), "http-ok", &alice).await;
    let mut rx = engine.subscribe();
    let acc = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;
    assert!(
        http.relayed_to(&target),
        "the XMPP connection went through the HTTP proxy: {:?}",
        http.connections()
    );
    engine.shutdown().await;

    // The wrong password: the proxy answers 407, the attempt fails and is retried, never
    // direct.
    let http = SocksProxy::start_http(Some(("linnet", "proxy-pw")))
        .await
        .unwrap();
    let url = http.url("http").replace("://", "://linnet:wrong@");
    let engine = engine_via(&server, Proxy::parse(&url).unwrap(), "http-wrong", &alice).await;
    let mut rx = engine.subscribe();
    let acc = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_event(&mut rx, Duration::from_secs(30), "a failed attempt", |e| {
        is_state(e, acc.id, "reconnecting")
    })
    .await;
    assert!(http.connections().is_empty(), "{:?}", http.connections());
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_can_have_its_own_proxy_without_a_password() {
    init_tracing();
    let mut server = Server::start().await.unwrap();
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let target = format!("127.0.0.1:{}", server.c2s_port());
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    // No system proxy: only the account's.
    let config = common::config(&server, Some(temp_db("proxy-account")), true);
    let engine = Engine::start(config, passwords).await.unwrap();
    let mut rx = engine.subscribe();
    let acc = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;

    let socks = SocksProxy::start(None).await.unwrap();
    let settings = |proxy: &str| ConnectionSettings {
        host: Some(server.host()),
        port: Some(server.c2s_port()),
        direct_tls: false,
        allow_plain: None,
        proxy: Some(proxy.to_owned()),
    };
    // A proxy with a password is refused in words: it would have to be kept in the database.
    let refused = engine
        .update_account(acc.id, settings("socks5://u:secret@127.0.0.1:1080"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidProxy);
    assert!(refused.to_string().contains("keyring"), "{refused}");
    assert_eq!(
        engine.account(acc.id).await.unwrap().proxy,
        None,
        "nothing kept"
    );

    let view = engine
        .update_account(acc.id, settings(&socks.url("socks5h")))
        .await
        .unwrap();
    assert_eq!(view.proxy, Some(socks.url("socks5h")));
    wait_online(&engine, &mut rx, acc.id).await;
    assert!(
        socks.relayed_to(&target),
        "the account's connection went through its proxy: {:?}",
        socks.connections()
    );
    engine.shutdown().await;
    server.shutdown().await;
}
