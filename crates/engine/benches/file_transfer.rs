//! Benchmark (not a test): HTTP File Upload (XEP-0363) throughput and memory on loopback,
//! against `curl` on the same server as the floor. Prosody (`mod_http_file_share` over HTTPS,
//! under eatmydata) takes a `LINNET_FILE_MB` (200) MB file:
//!
//! 1. curl PUTs it to a slot the harness peer asked for, then GETs it (the server's floor);
//! 2. the engine sends it (`Engine::send_file`: disco, slot, PUT streamed from disk), from the
//!    call until the message carries its URL;
//! 3. the engine downloads it (`Engine::save_file`, streamed into the folder);
//! 4. the same file in an encrypted chat would be sealed whole in memory (XEP-0454); that
//!    run is left to `LINNET_FILE_ENCRYPTED=1`, which also needs a contact with OMEMO, so it
//!    only reports the memory of sealing the file.
//!
//! Reported: wall time and MB/s, this process's CPU (the engine), Prosody's CPU, and this
//! process's peak RSS during each engine run (VmHWM, reset before each through
//! `/proc/self/clear_refs`).
//!
//! Run: `cargo bench -p linnet-engine --bench file_transfer` (needs the harness venv and curl).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;
use std::time::{Duration, Instant};

use linnet_engine::NewAccount;
use linnet_testkit::Server;
use serde_json::json;

mod common;

use common::{cpu_seconds, cpu_seconds_of, make_file, online, peak_rss_mib, start_engine};

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

struct Figures {
    wall: f64,
    engine_cpu: f64,
    prosody_cpu: f64,
    peak_rss: Option<f64>,
}

fn report(what: &str, mb: usize, f: &Figures) {
    let rss = f
        .peak_rss
        .map(|r| format!(", peak RSS {r:.0} MiB"))
        .unwrap_or_default();
    println!(
        "{what:<32} {:>6.2} s  {:>7.1} MB/s  engine CPU {:>5.2} s  Prosody CPU {:>5.2} s{rss}",
        f.wall,
        mb as f64 / f.wall,
        f.engine_cpu,
        f.prosody_cpu
    );
}

async fn measure<T>(
    server: &Server,
    rss: bool,
    run: impl std::future::Future<Output = T>,
) -> (T, Figures) {
    let pid = server.pid().to_string();
    if rss {
        reset_peak_rss();
    }
    let (cpu0, prosody0, t0) = (cpu_seconds(), cpu_seconds_of(&pid), Instant::now());
    let out = run.await;
    let figures = Figures {
        wall: t0.elapsed().as_secs_f64(),
        engine_cpu: cpu_seconds() - cpu0,
        prosody_cpu: cpu_seconds_of(&pid) - prosody0,
        peak_rss: rss.then(peak_rss_mib),
    };
    (out, figures)
}

fn curl(args: &[&str]) {
    let status = Command::new("curl")
        .args(["-sS", "--fail", "-o", "/dev/null"])
        .args(args)
        .status()
        .expect("curl must be installed");
    assert!(status.success(), "curl {args:?} failed");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mb: usize = std::env::var("LINNET_FILE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let limit = (mb as u64 + 10) * 1_000_000;
    let mut server = Server::start_with(&[
        "--eatmydata",
        "--upload-https",
        "--upload-limit",
        &limit.to_string(),
    ])
    .await
    .expect("Prosody harness");
    let alice = server.register("alice", "pw").await.unwrap();
    let bob = server.register("bob", "pw").await.unwrap();
    let dir = std::env::temp_dir().join(format!("linnet-bench-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = make_file(&dir, "big file.bin", mb);
    println!(
        "file: {mb} MB; this process's RSS before: {:.0} MiB",
        rss_mib()
    );

    // 1. curl against a slot of the same service: the floor.
    let mut peer = server.peer("bob", "pw", true).await.unwrap();
    let slot = peer
        .command(json!({"cmd": "slot", "filename": "curl.bin", "size": mb * 1_000_000}))
        .await
        .unwrap();
    let ca = server.ca_cert();
    let ca = ca.to_str().unwrap();
    let mut put_args = vec![
        "--cacert".to_owned(),
        ca.to_owned(),
        "-T".to_owned(),
        file.to_str().unwrap().to_owned(),
        "-H".to_owned(),
        "Content-Type: application/octet-stream".to_owned(),
        // No "Expect: 100-continue" round trip: the body goes at once, as ours does.
        "-H".to_owned(),
        "Expect:".to_owned(),
    ];
    for (name, value) in slot["headers"].as_object().unwrap() {
        put_args.push("-H".into());
        put_args.push(format!("{name}: {}", value.as_str().unwrap_or_default()));
    }
    put_args.push(slot["put"].as_str().unwrap().to_owned());
    let put_args: Vec<&str> = put_args.iter().map(String::as_str).collect();
    let ((), f) = measure(&server, false, async { curl(&put_args) }).await;
    report("curl PUT (floor)", mb, &f);
    let get = slot["get"].as_str().unwrap().to_owned();
    let ((), f) = measure(&server, false, async { curl(&["--cacert", ca, &get]) }).await;
    report("curl GET (floor)", mb, &f);

    // 2. The engine's upload.
    let engine = start_engine(&server, dir.join("linnet.sqlite"), &alice).await;
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
    engine.upload_limit(account.id).await.unwrap(); // disco outside the timing
    let (row, f) = measure(&server, true, async {
        let row = engine.send_file(account.id, &bob, &file).await.unwrap();
        loop {
            let now = engine.message(row.id).await.unwrap().unwrap();
            if now.file.as_ref().is_some_and(|f| f.url.is_some()) {
                return now;
            }
            assert!(now.error.is_none(), "upload failed: {:?}", now.error);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    report("Linnet upload (send_file)", mb, &f);

    // 3. The engine's download of the same file.
    let downloads = dir.join("downloads");
    let (saved, f) = measure(&server, true, engine.save_file(row.id, &downloads)).await;
    let saved = saved.unwrap();
    assert_eq!(
        std::fs::metadata(&saved).unwrap().len(),
        (mb * 1_000_000) as u64
    );
    report("Linnet download (save_file)", mb, &f);

    // 4. What sealing the file whole (an encrypted chat, XEP-0454) costs in memory.
    if std::env::var("LINNET_FILE_ENCRYPTED").is_ok_and(|v| v == "1") {
        let (sealed, f) = measure(&server, true, async {
            let plain = tokio::fs::read(&file).await.unwrap();
            linnet_omemo::media::encrypt_file(&plain, &mut linnet_omemo::OsEntropy).unwrap()
        })
        .await;
        drop(sealed);
        report("sealing for an encrypted chat", mb, &f);
    }

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
