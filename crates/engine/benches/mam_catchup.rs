//! Benchmark (not a test): MAM catch-up (XEP-0313). While Linnet is closed, 50,000 messages
//! reach alice's other client (so they are archived, not kept as offline messages); then the
//! engine starts on its database and catches up. We measure the time from engine start until
//! all are stored, the engine process's CPU time, and its peak resident memory (VmHWM; the
//! whole bench process, so it includes the harness plumbing too).
//!
//! Run: `cargo bench -p linnet-engine --bench mam_catchup` (needs the harness venv, see
//! scripts/test.sh). `LINNET_ARCHIVE=<n>` changes the count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use linnet_engine::{ConnectionState, EngineEvent, NewAccount};
use linnet_testkit::Server;

mod common;

use common::{cpu_seconds, cpu_seconds_of, peak_rss_mib, start_engine};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: usize = std::env::var("LINNET_ARCHIVE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let mut server = Server::start_with(&["--eatmydata"])
        .await
        .expect("Prosody harness");
    let alice = server.register("alice", "pw").await.unwrap();
    let bob = server.register("bob", "pw").await.unwrap();
    let dir = std::env::temp_dir().join(format!("linnet-bench-mam-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("bench.sqlite");

    // First run: the account exists and has caught up with its empty archive.
    let engine = start_engine(&server, db.clone(), &alice).await;
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
    tokio::time::sleep(Duration::from_secs(1)).await;
    engine.shutdown().await;
    drop(rx);
    drop(engine);

    // While Linnet is closed, alice's phone receives the messages; the archive keeps them.
    let phone = server
        .peer_with_resource("alice", "pw", false, Some("phone"))
        .await
        .unwrap();
    let mut peer = server.peer("bob", "pw", false).await.unwrap();
    let t_fill = Instant::now();
    peer.burst(&alice, u32::try_from(count).unwrap(), "archived ")
        .await
        .unwrap();
    // Until the phone has the last one, the server is still routing (and archiving); what it
    // has not routed when the phone leaves would become offline messages instead.
    let last = format!("archived {}", count - 1);
    let mut phone = phone;
    phone
        .wait_for(
            Duration::from_secs(600),
            "the last message at the phone",
            |e| e["event"] == "message" && e["body"] == last.as_str(),
        )
        .await
        .unwrap();
    println!(
        "mam: {count} messages archived in {:.1} s (server side)",
        t_fill.elapsed().as_secs_f64()
    );
    phone.close().await;

    let prosody = server.pid().to_string();
    let server_cpu0 = cpu_seconds_of(&prosody);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let engine = start_engine(&server, db, &alice).await;
    let mut rx = engine.subscribe();
    let mut online_at = None;
    let mut events = 0usize;
    let mut stored = 0usize;
    while stored < count {
        match tokio::time::timeout(Duration::from_secs(120), rx.recv()).await {
            Ok(Ok(EngineEvent::MessagesChanged { ids, .. })) => {
                events += 1;
                stored += ids.len();
            }
            Ok(Ok(EngineEvent::AccountState {
                state: ConnectionState::Online,
                ..
            })) => online_at = Some(t0.elapsed()),
            Ok(_) => {}
            Err(_) => panic!("only {stored} of {count} stored after waiting 120 s"),
        }
    }
    let all = t0.elapsed();
    let cpu = cpu_seconds() - cpu0;
    let server_cpu = cpu_seconds_of(&prosody) - server_cpu0;
    let in_db = engine.count_messages(account.id, &bob).await.unwrap();
    println!(
        "mam: online after {:.2} s; all {in_db} stored after {:.2} s in {events} events; engine process CPU {:.2} s; Prosody CPU {:.2} s; peak RSS {:.0} MiB",
        online_at.map(|d| d.as_secs_f64()).unwrap_or(f64::NAN),
        all.as_secs_f64(),
        cpu,
        server_cpu,
        peak_rss_mib()
    );
    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
