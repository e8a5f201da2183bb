//! Benchmark (not a test): what OMEMO costs the receiving side, against the same traffic in
//! plaintext. Prosody runs under eatmydata; python-omemo (the harness peer with `--omemo`,
//! `omemo_burst`: every message encrypted before the first is written, on a session already
//! confirmed) sends OMEMO 2 live and legacy OMEMO to the archive (its fallback body lets our
//! other client, which has no OMEMO, see each one arrive). Four runs, each with fresh
//! accounts:
//!
//! 1. live: `LINNET_BURST` (10,000) chat messages while the engine is online, plaintext;
//! 2. the same, encrypted;
//! 3. catch-up: `LINNET_ARCHIVE` (5,000) messages archived while the engine was closed
//!    (our other client, online, receives them, so they are archived, not kept offline),
//!    then the engine starts and catches up from MAM, plaintext;
//! 4. the same, encrypted (decrypted in archive order during the catch-up).
//!
//! Reported per run: wall time from the first message stored to the last (so the peer's own
//! encryption time is left out), for the catch-up also from engine start, and this process's
//! CPU time (the engine; the peer and Prosody are other processes).
//!
//! Run: `cargo bench -p linnet-engine --bench omemo_traffic` (needs the harness venv, see
//! scripts/test.sh).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use linnet_engine::{Engine, EngineEvent, NewAccount};
use linnet_testkit::{Peer, Server};
use serde_json::json;
use tokio::sync::broadcast;

mod common;

use common::{cpu_seconds, cpu_seconds_of, online, start_engine};

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Waits for the peer's client to see one of `jid`'s OMEMO devices.
async fn sees_device(peer: &mut Peer, jid: &str) {
    for _ in 0..100 {
        let answer = peer
            .command(json!({"cmd": "omemo_devices", "jid": jid}))
            .await
            .unwrap();
        if answer["devices"].as_array().is_some_and(|d| !d.is_empty()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("the peer never saw {jid}'s OMEMO device");
}

/// Counts stored messages from announcements until `count`: (first stored, last stored).
async fn stored(
    rx: &mut broadcast::Receiver<EngineEvent>,
    t0: Instant,
    count: usize,
) -> (Duration, Duration) {
    let mut first = None;
    let mut n = 0usize;
    while n < count {
        match tokio::time::timeout(Duration::from_secs(300), rx.recv()).await {
            Ok(Ok(EngineEvent::MessagesChanged { ids, .. })) => {
                first.get_or_insert_with(|| t0.elapsed());
                n += ids.len();
            }
            Ok(_) => {}
            Err(_) => panic!("only {n} of {count} stored after waiting 300 s"),
        }
    }
    (first.unwrap_or_default(), t0.elapsed())
}

/// One encrypted message, and the receiver's answer to its key exchange: the session is
/// confirmed, as in a conversation under way (otherwise every message of a burst written
/// before that answer is read carries the key exchange).
async fn warm_up(peer: &mut Peer, to: &str, generation: &str) {
    peer.command(json!({"cmd": "omemo_send", "to": to, "body": "warm-up",
        "generation": generation}))
        .await
        .unwrap();
    peer.wait_for(Duration::from_secs(20), "the session completed", |e| {
        e["event"] == "omemo_empty"
    })
    .await
    .unwrap();
}

/// Sends `count` messages from `peer` to `to` with stanza ids `<prefix>0..`: plaintext
/// (`burst`) or encrypted in `generation` (`omemo_burst`).
async fn send(peer: &mut Peer, to: &str, count: usize, generation: Option<&str>, prefix: &str) {
    let (cmd, timeout) = match generation {
        Some(generation) => (
            json!({"cmd": "omemo_burst", "to": to, "count": count, "prefix": prefix,
                "id_prefix": prefix, "generation": generation}),
            1800,
        ),
        None => (
            json!({"cmd": "burst", "to": to, "count": count, "prefix": prefix,
                "id_prefix": prefix}),
            600,
        ),
    };
    let answer = peer
        .command_with_timeout(cmd, Duration::from_secs(timeout))
        .await
        .unwrap();
    if let Some(prepared) = answer["prepared_s"].as_f64() {
        println!("  (python-omemo encrypted them in {prepared:.1} s before writing)");
    }
}

/// A fresh pair of accounts; alice's engine on a new database, online; bob's client, with
/// OMEMO when `encrypted` (once it sees alice's device).
async fn accounts(
    server: &mut Server,
    run: &str,
    encrypted: bool,
) -> (
    Engine,
    broadcast::Receiver<EngineEvent>,
    String,
    Peer,
    std::path::PathBuf,
) {
    let alice = server
        .register(&format!("alice-{run}"), "pw")
        .await
        .unwrap();
    let bob_user = format!("bob-{run}");
    server.register(&bob_user, "pw").await.unwrap();
    let dir = std::env::temp_dir().join(format!("linnet-bench-omemo-{run}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let engine = start_engine(server, dir.join("bench.sqlite"), &alice).await;
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
    online(&engine, &mut rx, account.id).await;
    let flags: &[&str] = if encrypted { &["--omemo"] } else { &[] };
    let mut bob = server
        .peer_with_flags(&bob_user, "pw", flags)
        .await
        .unwrap();
    if encrypted {
        sees_device(&mut bob, &alice).await;
    }
    (engine, rx, alice, bob, dir)
}

async fn live(server: &mut Server, run: &str, count: usize, encrypted: bool) {
    let (engine, mut rx, alice, mut bob, dir) = accounts(server, run, encrypted).await;
    let generation = encrypted.then_some("omemo2");
    if let Some(generation) = generation {
        warm_up(&mut bob, &alice, generation).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        while rx.try_recv().is_ok() {}
    }
    let prosody = server.pid().to_string();
    let server_cpu0 = cpu_seconds_of(&prosody);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let ((), (first, last)) = tokio::join!(
        send(&mut bob, &alice, count, generation, "m"),
        stored(&mut rx, t0, count)
    );
    let cpu = cpu_seconds() - cpu0;
    let server_cpu = cpu_seconds_of(&prosody) - server_cpu0;
    println!(
        "{run}: {count} live messages stored in {:.2} s (first to last); engine CPU {:.2} s; Prosody CPU {:.2} s",
        (last - first).as_secs_f64(),
        cpu,
        server_cpu
    );
    bob.close().await;
    engine.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

async fn catch_up(server: &mut Server, run: &str, count: usize, encrypted: bool) {
    // First run: the account exists (with its OMEMO device published) and is caught up.
    let (engine, rx, alice, mut bob, dir) = accounts(server, run, encrypted).await;
    // Legacy: its messages carry a fallback body, so the phone (no OMEMO) sees each one.
    let generation = encrypted.then_some("legacy");
    if let Some(generation) = generation {
        warm_up(&mut bob, &alice, generation).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    engine.shutdown().await;
    drop(rx);
    drop(engine);

    // While Linnet is closed, alice's phone receives them (without OMEMO: python-omemo would
    // answer every message past the 53rd of a chain with an empty one).
    let mut phone = server
        .peer_with_flags(&format!("alice-{run}"), "pw", &["--resource", "phone"])
        .await
        .unwrap();
    send(&mut bob, &alice, count, generation, "archived-").await;
    let last = format!("archived-{}", count - 1);
    phone
        .wait_for(
            Duration::from_secs(900),
            "the last message at the phone",
            |e| e["event"] == "message" && e["id"] == last.as_str(),
        )
        .await
        .unwrap();
    phone.close().await;

    let prosody = server.pid().to_string();
    let server_cpu0 = cpu_seconds_of(&prosody);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let engine = start_engine(server, dir.join("bench.sqlite"), &alice).await;
    let mut rx = engine.subscribe();
    let (first, last) = stored(&mut rx, t0, count).await;
    let cpu = cpu_seconds() - cpu0;
    let server_cpu = cpu_seconds_of(&prosody) - server_cpu0;
    println!(
        "{run}: {count} archived messages caught up in {:.2} s from engine start ({:.2} s first to last); engine CPU {:.2} s; Prosody CPU {:.2} s",
        last.as_secs_f64(),
        (last - first).as_secs_f64(),
        cpu,
        server_cpu
    );
    bob.close().await;
    engine.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let burst = env_count("LINNET_BURST", 10_000);
    let archive = env_count("LINNET_ARCHIVE", 5_000);
    let mut server = Server::start_with(&["--eatmydata"])
        .await
        .expect("Prosody harness");
    live(&mut server, "live-plain", burst, false).await;
    live(&mut server, "live-omemo", burst, true).await;
    catch_up(&mut server, "mam-plain", archive, false).await;
    catch_up(&mut server, "mam-omemo", archive, true).await;
    server.shutdown().await;
}
