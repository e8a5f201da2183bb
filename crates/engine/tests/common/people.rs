//! A pair for the people tests (avatars, profiles): alice (us, the engine) and bob (the
//! slixmpp peer, auto-accepting) sharing presence both ways.

use std::sync::Arc;
use std::time::Duration;

use linnet_engine::EngineEvent;
use linnet_testkit::{Peer, Server};
use tokio::sync::broadcast;

use super::*;

pub struct Pair {
    pub server: Server,
    pub engine: linnet_engine::Engine,
    pub rx: broadcast::Receiver<EngineEvent>,
    pub account: i64,
    pub alice: String,
    pub bob: String,
    pub peer: Peer,
    /// The engine's database, for a restart on it.
    pub db: std::path::PathBuf,
    pub passwords: Arc<Passwords>,
}

/// alice (us) and bob (slixmpp, auto-accepting) sharing presence both ways, on a Prosody
/// started with harness `flags`.
pub async fn pair(name: &str, flags: &[&str]) -> Pair {
    init_tracing();
    let mut server = Server::start_with(flags)
        .await
        .expect("the Prosody harness must start (tests never skip silently)");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db(name);
    let engine = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(account(&server, &alice))
        .await
        .unwrap()
        .id;
    wait_online(&engine, &mut rx, account).await;
    let peer = server.peer("bob", "bob-pw", true).await.unwrap();
    engine
        .add_contact(account, &bob, Some("Bob".into()), vec![])
        .await
        .unwrap();
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "bob's request back",
        |e| matches!(e, EngineEvent::SubscriptionRequest { jid, .. } if jid == &bob),
    )
    .await;
    engine.approve_subscription(account, &bob).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while engine.presence(account, &bob).show != linnet_engine::Show::Available {
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's presence never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Pair {
        server,
        engine,
        rx,
        account,
        alice,
        bob,
        peer,
        db,
        passwords,
    }
}
