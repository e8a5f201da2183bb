//! OMEMO sessions kept working against python-omemo (the harness peer with `--omemo`) on a
//! real Prosody (XEP-0384 §7): a key exchange is answered by an empty message that completes
//! the session, a long receiving chain gets a heartbeat, and a session we lost is rebuilt
//! from the sender's bundle so that their next message decrypts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::omemo::*;
use common::*;
use serde_json::json;

/// The empty OMEMO messages (completion, heartbeat, new session) from `from` the peer saw.
async fn empties(peer: &mut linnet_testkit::Peer, from: &str, within: Duration) -> usize {
    peer.collect(within, |e| {
        e["event"] == "omemo_empty" && e["from"].as_str().unwrap_or("").starts_with(from)
    })
    .await
    .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_exchange_is_completed_a_long_chain_gets_a_heartbeat_and_a_lost_session_is_rebuilt() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("omemo-sessions");
    let engine = engine(&server, Some(db.clone()), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut bob_peer = server
        .peer_with_flags("bob", "bob-pw", &["--omemo"])
        .await
        .unwrap();
    devices_of(&mut bob_peer, &alice).await;

    // Bob's first message carries a key exchange: we answer it with an empty message at once,
    // without the user writing anything.
    bob_peer
        .command(json!({"cmd": "omemo_send", "to": alice, "body": "hello", "generation": "omemo2"}))
        .await
        .unwrap();
    assert_eq!(next_message(&engine, &mut rx, &bob).await.body, "hello");
    bob_peer
        .wait_for(Duration::from_secs(10), "our session completion", |e| {
            e["event"] == "omemo_empty" && e["from"].as_str().unwrap_or("").starts_with(&alice)
        })
        .await
        .unwrap();

    // 60 more messages on one chain while we stay silent: one heartbeat past the 53rd,
    // not one per message.
    for i in 0..60 {
        let body = format!("chain {i}");
        bob_peer
            .command(
                json!({"cmd": "omemo_send", "to": alice, "body": body, "generation": "omemo2"}),
            )
            .await
            .unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !all_bodies(&engine, account.id, &bob)
        .await
        .iter()
        .any(|b| b == "chain 59")
    {
        assert!(tokio::time::Instant::now() < deadline, "the chain arrives");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        empties(&mut bob_peer, &alice, Duration::from_secs(3)).await,
        1,
        "one heartbeat for the long chain"
    );

    // Our sessions are lost (a restored backup, a bug): Bob's next message cannot be
    // decrypted; the line says so, and we start a new session with his device, which he
    // receives as an empty key-exchange message. His message after that decrypts.
    let url = format!("sqlite://{}", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let lost = sqlx::query("DELETE FROM omemo_sessions WHERE jid = ?")
        .bind(&bob)
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected();
    assert!(lost > 0, "a session with Bob was stored");
    pool.close().await;
    while rx.try_recv().is_ok() {} // the chain's announcements
    bob_peer
        .command(json!({"cmd": "omemo_send", "to": alice, "body": "lost in transit", "generation": "omemo2"}))
        .await
        .unwrap();
    let broken = next_message(&engine, &mut rx, &bob).await;
    assert_eq!(broken.encryption, "undecryptable");
    assert!(
        broken.body.contains("no session with the sender's device"),
        "{}",
        broken.body
    );
    bob_peer
        .wait_for(Duration::from_secs(10), "our new session", |e| {
            e["event"] == "omemo_empty" && e["from"].as_str().unwrap_or("").starts_with(&alice)
        })
        .await
        .unwrap();
    bob_peer
        .command(json!({"cmd": "omemo_send", "to": alice, "body": "after the repair", "generation": "omemo2"}))
        .await
        .unwrap();
    let repaired = next_message(&engine, &mut rx, &bob).await;
    assert_eq!(
        (repaired.body.as_str(), repaired.encryption.as_str()),
        ("after the repair", "omemo2")
    );
    // And our replies reach him on the new session.
    let sent = engine
        .send_message(account.id, &bob, "we are back")
        .await
        .unwrap();
    let got = bob_peer
        .wait_for(Duration::from_secs(15), "our reply", |e| {
            e["event"] == "message" && e["body"] == "we are back"
        })
        .await
        .unwrap();
    assert_eq!(got["encrypted"], "omemo2", "{got}");
    assert_delivered(&settled(&engine, sent.id).await);

    bob_peer.close().await;
    server.shutdown().await;
}
