//! The archive catch-up (XEP-0313) and the live stream against a real Prosody and the slixmpp
//! peer: the catch-up stops where live messages begin, the stored position follows what
//! arrived live (XEP-0359 stanza-ids), and nothing is skipped or stored twice on the way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use linnet_engine::store::Store;
use linnet_engine::{Engine, StoreOptions};

/// The stored catch-up position of the account's own archive and the stanza-id of the newest
/// message with `peer`, read from the database after the engine stopped.
async fn position_and_newest(db: &Path, account_id: i64, peer: &str) -> (Option<String>, String) {
    let store = Store::open(&StoreOptions {
        path: Some(db.to_path_buf()),
        key: None,
    })
    .await
    .unwrap();
    let position = store.archive_last_id(account_id, "").await.unwrap();
    let newest = store.messages(account_id, peer, None, 1).await.unwrap();
    let stanza_id = newest
        .last()
        .and_then(|r| r.stanza_id.clone())
        .expect("the newest message carries our server's stanza-id");
    store.close().await;
    (position, stanza_id)
}

async fn wait_count(engine: &Engine, account_id: i64, peer: &str, n: i64, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let count = engine.count_messages(account_id, peer).await.unwrap();
        if count >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {count} of {n}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_position_follows_live_messages_so_the_next_catch_up_starts_after_them() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("live-position");
    let engine1 = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = engine1.subscribe();
    let account = engine1.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine1, &mut rx, account.id).await;
    // The first catch-up (an empty archive) ends; then bob writes live.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut bob_peer = server.peer("bob", "bob-pw", false).await.unwrap();
    for i in 0..3 {
        bob_peer.send(&alice, &format!("live {i}")).await.unwrap();
    }
    wait_count(&engine1, account.id, &bob, 3, "live messages").await;
    engine1.shutdown().await;
    drop(engine1);

    let (position, newest) = position_and_newest(&db, account.id, &bob).await;
    assert_eq!(
        position.as_deref(),
        Some(newest.as_str()),
        "the stored position is the archive id of the newest message received live"
    );

    // The next session's catch-up starts there: what bob writes meanwhile arrives, once.
    bob_peer.send(&alice, "while closed").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let engine2 = engine(&server, Some(db.clone()), true, passwords).await;
    wait_count(&engine2, account.id, &bob, 4, "after the restart").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        all_bodies(&engine2, account.id, &bob).await,
        vec!["live 0", "live 1", "live 2", "while closed"]
    );
    engine2.shutdown().await;
    let (position, newest) = position_and_newest(&db, account.id, &bob).await;
    assert_eq!(position.as_deref(), Some(newest.as_str()));

    bob_peer.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_during_the_catch_up_is_stored_once_in_order_and_the_position_ends_at_its_end() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    // Alice's phone stays online, so what bob writes while Linnet is closed goes to the
    // archive (not the offline store): Linnet learns of it only through its catch-up.
    let mut phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let db = temp_db("catch-up-burst");
    let engine1 = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = engine1.subscribe();
    let account = engine1.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine1, &mut rx, account.id).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    engine1.shutdown().await;
    drop(engine1);

    let mut bob_peer = server.peer("bob", "bob-pw", false).await.unwrap();
    bob_peer.burst(&alice, 600, "archived ").await.unwrap();
    // All routed (the phone has the last) before Linnet connects: else the rest of this burst
    // would reach Linnet live too. Stored times are whole seconds: the live ones must also
    // sort after the archived ones.
    phone
        .wait_for(Duration::from_secs(60), "the last archived message", |e| {
            e["event"] == "message" && e["body"] == "archived 599"
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Linnet starts; while its catch-up pages through the 600 (Prosody gives 50 a page), bob
    // writes 400 more live.
    let engine2 = engine(&server, Some(db.clone()), true, passwords).await;
    let mut rx = engine2.subscribe();
    wait_online(&engine2, &mut rx, account.id).await;
    bob_peer.burst(&alice, 400, "live ").await.unwrap();
    wait_count(&engine2, account.id, &bob, 1000, "archived and live").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let expected: Vec<String> = (0..600)
        .map(|i| format!("archived {i}"))
        .chain((0..400).map(|i| format!("live {i}")))
        .collect();
    assert_eq!(
        all_bodies(&engine2, account.id, &bob).await,
        expected,
        "each once, in order"
    );
    engine2.shutdown().await;
    let (position, newest) = position_and_newest(&db, account.id, &bob).await;
    assert_eq!(
        position.as_deref(),
        Some(newest.as_str()),
        "the position ends at the newest live message"
    );

    phone.close().await;
    bob_peer.close().await;
    server.shutdown().await;
}
