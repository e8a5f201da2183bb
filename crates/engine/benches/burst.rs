//! Benchmark (not a test): the slixmpp peer sends 10,000 chat messages in a burst; we measure
//! the time until all are stored by the engine and the engine process's CPU time.
//! Prosody runs under eatmydata so the figure is the client's, not the server's fsyncs.
//!
//! Run: `cargo bench -p linnet-engine --bench burst` (needs the harness venv, see
//! scripts/test.sh). `LINNET_BURST=<n>` changes the count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use linnet_engine::{
    ConnectionState, Engine, EngineConfig, EngineEvent, NewAccount, StoreOptions, TrustRoots,
};
use linnet_testkit::Server;

mod common;

use common::{cpu_seconds, Passwords};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: u32 = std::env::var("LINNET_BURST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut server = Server::start_with(&["--eatmydata"])
        .await
        .expect("Prosody harness");
    let alice = server.register("alice", "pw").await.unwrap();
    let bob = server.register("bob", "pw").await.unwrap();
    let dir = std::env::temp_dir().join(format!("linnet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let passwords = Arc::new(Passwords(Mutex::new(HashMap::from([(
        alice.clone(),
        "pw".to_owned(),
    )]))));
    let config = EngineConfig {
        store: StoreOptions {
            path: Some(dir.join("bench.sqlite")),
            key: None,
        },
        trust: TrustRoots::from_pem_file(&server.ca_cert()).unwrap(),
        muc_self_ping_idle: None,
        nameserver: None,
        proxy: None,
    };
    let engine = Engine::start(config, passwords).await.unwrap();
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(NewAccount {
            jid: alice.clone(),
            host: Some(server.host()),
            port: Some(server.c2s_port()),
            direct_tls: false,
        })
        .await
        .unwrap();
    while engine.state(account.id).await != ConnectionState::Online {
        let _ = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await;
    }
    let mut peer = server.peer("bob", "pw", false).await.unwrap();

    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    peer.burst(&alice, count, "burst ").await.unwrap();
    let written = t0.elapsed();
    // Count events rather than polling the database, so the measurement adds no load.
    let mut stored: usize = 0;
    while stored < count as usize {
        match tokio::time::timeout(Duration::from_secs(120), rx.recv()).await {
            Ok(Ok(EngineEvent::MessagesChanged { ids, .. })) => stored += ids.len(),
            Ok(_) => {}
            Err(_) => panic!("only {stored} of {count} messages stored after waiting 120 s"),
        }
    }
    let all_stored = t0.elapsed();
    let cpu = cpu_seconds() - cpu0;
    let in_db = engine.count_messages(account.id, &bob).await.unwrap();
    println!(
        "burst: {count} messages; peer finished writing after {:.2} s",
        written.as_secs_f64()
    );
    println!(
        "burst: all {in_db} stored after {:.2} s; engine process CPU {:.2} s",
        all_stored.as_secs_f64(),
        cpu
    );
    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
