//! Shared setup for engine integration tests: a real Prosody from the harness, an engine on a
//! temporary database trusting the harness CA, and helpers to wait for events.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use linnet_engine::{
    CredentialProvider, Engine, EngineConfig, EngineError, EngineEvent, NewAccount, StoreOptions,
    TrustRoots,
};
use linnet_testkit::Server;
use tokio::sync::broadcast;

pub mod omemo;
pub mod people;

/// Passwords held in memory, standing in for the OS keyring.
#[derive(Default)]
pub struct Passwords(pub Mutex<HashMap<String, String>>);

impl Passwords {
    pub fn set(&self, jid: &str, pw: &str) {
        self.0.lock().unwrap().insert(jid.to_owned(), pw.to_owned());
    }
}

impl CredentialProvider for Passwords {
    fn password(&self, _account_id: i64, jid: &str) -> Result<Option<String>, EngineError> {
        Ok(self.0.lock().unwrap().get(jid).cloned())
    }
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

pub async fn server() -> Server {
    init_tracing();
    Server::start()
        .await
        .expect("the Prosody harness must start (tests never skip silently)")
}

pub fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("linnet-test-{}-{}", name, uuid()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("linnet.sqlite")
}

fn uuid() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

pub async fn engine(
    server: &Server,
    db: Option<PathBuf>,
    trust_ca: bool,
    passwords: Arc<Passwords>,
) -> Engine {
    engine_with_self_ping(server, db, trust_ca, passwords, None).await
}

/// Like [`engine`], with the silence after which rooms are self-pinged (XEP-0410).
pub async fn engine_with_self_ping(
    server: &Server,
    db: Option<PathBuf>,
    trust_ca: bool,
    passwords: Arc<Passwords>,
    muc_self_ping_idle: Option<std::time::Duration>,
) -> Engine {
    let mut config = config(server, db, trust_ca);
    config.muc_self_ping_idle = muc_self_ping_idle;
    Engine::start(config, passwords).await.unwrap()
}

/// The engine configuration of these tests: the database `db` (in memory when `None`), the
/// harness CA trusted when `trust_ca`, everything else as the app has it.
pub fn config(server: &Server, db: Option<PathBuf>, trust_ca: bool) -> EngineConfig {
    let trust = if trust_ca {
        TrustRoots::from_pem_file(&server.ca_cert()).unwrap()
    } else {
        TrustRoots::default()
    };
    EngineConfig {
        store: StoreOptions {
            path: db,
            key: None,
        },
        trust,
        muc_self_ping_idle: None,
        nameserver: None,
        proxy: None,
    }
}

pub fn account(server: &Server, jid: &str) -> NewAccount {
    NewAccount {
        jid: jid.to_owned(),
        host: Some(server.host()),
        port: Some(server.c2s_port()),
        direct_tls: false,
    }
}

/// Waits for the first event matching `pred`.
pub async fn wait_event(
    rx: &mut broadcast::Receiver<EngineEvent>,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&EngineEvent) -> bool,
) -> EngineEvent {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(ev)) if pred(&ev) => return ev,
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(e)) => panic!("event channel closed while waiting for {what}: {e}"),
            Err(_) => panic!("timed out after {timeout:?} waiting for {what}"),
        }
    }
}

pub fn is_state(ev: &EngineEvent, id: i64, kind: &str) -> bool {
    match ev {
        EngineEvent::AccountState { account_id, state } if *account_id == id => {
            serde_json::to_value(state).unwrap()["kind"] == kind
        }
        _ => false,
    }
}

pub async fn wait_online(engine: &Engine, rx: &mut broadcast::Receiver<EngineEvent>, id: i64) {
    if serde_json::to_value(engine.state(id).await).unwrap()["kind"] == "online" {
        return;
    }
    wait_event(
        rx,
        Duration::from_secs(20),
        "the account to come online",
        |e| is_state(e, id, "online"),
    )
    .await;
}

/// Every message body of the conversation with `peer`, oldest first (paged through
/// `Engine::messages`).
pub async fn all_bodies(engine: &Engine, account_id: i64, peer: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let page = engine
            .messages(account_id, peer, before, 500)
            .await
            .unwrap();
        if page.is_empty() {
            return out;
        }
        before = Some(page[0].id);
        let mut chunk: Vec<String> = page.into_iter().map(|r| r.body).collect();
        chunk.append(&mut out);
        out = chunk;
    }
}
