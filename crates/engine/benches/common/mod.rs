//! Shared by the engine benchmarks: an in-memory credential provider and /proc readings.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use linnet_engine::{
    ConnectionState, CredentialProvider, Engine, EngineConfig, EngineError, EngineEvent,
    StoreOptions, TrustRoots,
};
use linnet_testkit::Server;
use tokio::sync::broadcast;

/// Passwords held in memory, standing in for the OS keyring.
pub struct Passwords(pub Mutex<HashMap<String, String>>);
impl CredentialProvider for Passwords {
    fn password(&self, _: i64, jid: &str) -> Result<Option<String>, EngineError> {
        Ok(self.0.lock().unwrap().get(jid).cloned())
    }
}

/// User + system CPU seconds of this process, from /proc/self/stat (Linux).
pub fn cpu_seconds() -> f64 {
    cpu_seconds_of("self")
}

/// User + system CPU seconds of process `pid` ("self" for this one), from /proc (Linux).
pub fn cpu_seconds_of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (field(11) + field(12)) / 100.0
}

/// Peak resident set size of this process in MiB (VmHWM, Linux).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// An engine on `db` trusting the harness CA, with `jid`'s password "pw".
pub async fn start_engine(server: &Server, db: std::path::PathBuf, jid: &str) -> Engine {
    let passwords = Arc::new(Passwords(Mutex::new(HashMap::from([(
        jid.to_owned(),
        "pw".to_owned(),
    )]))));
    let config = EngineConfig {
        store: StoreOptions {
            path: Some(db),
            key: None,
        },
        trust: TrustRoots::from_pem_file(&server.ca_cert()).unwrap(),
        muc_self_ping_idle: None,
        nameserver: None,
        proxy: None,
    };
    Engine::start(config, passwords).await.unwrap()
}

/// Waits until `account` is online.
pub async fn online(engine: &Engine, rx: &mut broadcast::Receiver<EngineEvent>, account: i64) {
    while engine.state(account).await != ConnectionState::Online {
        let _ = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await;
    }
}

/// A file of `mb` MB of varied bytes (xorshift) named `name` in `dir`, written 1 MB at a time.
pub fn make_file(dir: &std::path::Path, name: &str, mb: usize) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut chunk = vec![0u8; 1_000_000];
    let mut x: u32 = 0x9e37_79b9;
    for _ in 0..mb {
        for b in chunk.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        out.write_all(&chunk).unwrap();
    }
    out.flush().unwrap();
    path
}
