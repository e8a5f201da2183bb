//! Benchmark (not a test): Jingle file transfer (XEP-0234) throughput and memory on loopback,
//! between two Linnet engines in this process on one Prosody (under eatmydata): a
//! `LINNET_FILE_MB` (200) MB file over SOCKS5 Bytestreams (XEP-0260, the direct candidate),
//! then a `LINNET_IBB_MB` (20) MB file to a slixmpp peer over In-Band Bytestreams (XEP-0261:
//! every 8 KiB block an IQ through the server). Each is timed from `send_file_direct` until
//! the sender's message says done (the receiver checked the SHA-256 and kept the file).
//!
//! Reported: wall time and MB/s, this process's CPU (both engines for S5B), Prosody's CPU,
//! and this process's peak RSS (VmHWM, reset before each run).
//!
//! Run: `cargo bench -p linnet-engine --bench jingle` (needs the harness venv).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use linnet_engine::{Engine, NewAccount, Show, TransferState};
use linnet_testkit::Server;
use serde_json::json;

mod common;

use common::{cpu_seconds, cpu_seconds_of, make_file, online, peak_rss_mib, start_engine};

async fn account(server: &Server, engine: &Engine, jid: &str) -> i64 {
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(NewAccount {
            jid: jid.to_owned(),
            host: Some(server.host()),
            port: Some(server.c2s_port()),
            direct_tls: false,
        })
        .await
        .unwrap();
    online(engine, &mut rx, account.id).await;
    account.id
}

async fn wait_done(engine: &Engine, id: i64) {
    loop {
        let row = engine.message(id).await.unwrap().unwrap();
        let t = row.file.unwrap().transfer.unwrap();
        if t.state.ended() {
            assert_eq!(t.state, TransferState::Done, "{:?}", t.reason);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn report(what: &str, mb: usize, wall: f64, cpu: f64, prosody: f64, rss: f64) {
    println!(
        "{what:<34} {wall:>6.2} s  {:>7.1} MB/s  Linnet CPU {cpu:>5.2} s  Prosody CPU {prosody:>5.2} s  peak RSS {rss:.0} MiB",
        mb as f64 / wall
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (mb, ibb_mb) = (env("LINNET_FILE_MB", 200), env("LINNET_IBB_MB", 20));
    let mut server = Server::start_with(&["--eatmydata"]).await.expect("Prosody");
    let alice = server.register("alice", "pw").await.unwrap();
    let bob = server.register("bob", "pw").await.unwrap();
    let carol = server.register("carol", "pw").await.unwrap();
    let dir = std::env::temp_dir().join(format!("linnet-bench-jingle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = make_file(&dir, "big.bin", mb);
    let small = make_file(&dir, "small.bin", ibb_mb);

    let a = start_engine(&server, dir.join("a.sqlite"), &alice).await;
    let b = start_engine(&server, dir.join("b.sqlite"), &bob).await;
    let (aid, bid) = (
        account(&server, &a, &alice).await,
        account(&server, &b, &bob).await,
    );
    // Alice sees Bob's presence (she asked, he approved).
    a.add_contact(aid, &bob, None, vec![]).await.unwrap();
    loop {
        let _ = b.approve_subscription(bid, &alice).await;
        if a.presence(aid, &bob).show != Show::Offline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // 1. SOCKS5, engine to engine.
    let downloads = dir.join("downloads");
    let pid = server.pid().to_string();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let (cpu0, srv0, t0) = (cpu_seconds(), cpu_seconds_of(&pid), Instant::now());
    let row = a.send_file_direct(aid, &bob, &big).await.unwrap();
    let offer = loop {
        let rows = b.messages(bid, &alice, None, 5).await.unwrap();
        if let Some(r) = rows.into_iter().find(|r| r.file.is_some()) {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    b.accept_transfer(offer.id, &downloads).await.unwrap();
    wait_done(&a, row.id).await;
    let wall = t0.elapsed().as_secs_f64();
    report(
        "S5B direct, Linnet to Linnet",
        mb,
        wall,
        cpu_seconds() - cpu0,
        cpu_seconds_of(&pid) - srv0,
        peak_rss_mib(),
    );
    assert_eq!(
        std::fs::metadata(downloads.join("big.bin")).unwrap().len(),
        (mb * 1_000_000) as u64
    );

    // 2. IBB to a slixmpp peer (its client announces no S5B).
    let mut peer = server.peer("carol", "pw", true).await.unwrap();
    a.add_contact(aid, &carol, None, vec![]).await.unwrap();
    while a.presence(aid, &carol).show == Show::Offline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let (cpu0, srv0, t0) = (cpu_seconds(), cpu_seconds_of(&pid), Instant::now());
    let row = a.send_file_direct(aid, &carol, &small).await.unwrap();
    let offer = peer
        .wait_for(Duration::from_secs(30), "the offer", |e| {
            e["event"] == "jingle_offer"
        })
        .await
        .unwrap();
    peer.command(json!({"cmd": "jingle_accept", "sid": offer["sid"]}))
        .await
        .unwrap();
    wait_done(&a, row.id).await;
    report(
        "IBB, Linnet to slixmpp",
        ibb_mb,
        t0.elapsed().as_secs_f64(),
        cpu_seconds() - cpu0,
        cpu_seconds_of(&pid) - srv0,
        peak_rss_mib(),
    );

    peer.close().await;
    a.shutdown().await;
    b.shutdown().await;
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
