//! OMEMO sessions kept working against python-omemo (the harness peer with `--omemo`) on a
//! real Prosody (XEP-0384 §7): a key exchange is answered by an empty message that completes
//! the session, a long receiving chain gets a heartbeat, a session we lost is rebuilt from
//! the sender's bundle so that their next message decrypts, and one the sender replaced is
//! taken up. Tampered, replayed and forged input gives a clear line and breaks nothing.
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
    let engine = common::engine(&server, Some(db.clone()), true, passwords.clone()).await;
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
    bodies_with(&engine, account.id, &bob, "chain 59").await;
    assert_eq!(
        empties(&mut bob_peer, &alice, Duration::from_secs(3)).await,
        1,
        "one heartbeat for the long chain"
    );

    // Our sessions are lost (a restored backup, a bug): Bob's next message cannot be
    // decrypted; the line says so, and we start a new session with his device, which he
    // receives as an empty key-exchange message. His message after that decrypts.
    engine.shutdown().await;
    drop(engine);
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
    let engine = common::engine(&server, Some(db.clone()), true, passwords).await;
    let mut rx = engine.subscribe();
    wait_online(&engine, &mut rx, account.id).await;
    empties(&mut bob_peer, &alice, Duration::from_millis(200)).await; // before the loss
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

    // Bob's side suspects its session and starts a new one (python-omemo's replace_sessions,
    // an empty key exchange): we take it, and both directions go on.
    let replaced = bob_peer
        .command(json!({"cmd": "omemo_replace_sessions", "jid": alice}))
        .await
        .unwrap();
    assert!(
        !replaced["replaced"].as_array().unwrap().is_empty(),
        "{replaced}"
    );
    bob_peer
        .command(json!({"cmd": "omemo_send", "to": alice, "body": "on the new session", "generation": "omemo2"}))
        .await
        .unwrap();
    bodies_with(&engine, account.id, &bob, "on the new session").await;
    let sent = engine
        .send_message(account.id, &bob, "still reaching you")
        .await
        .unwrap();
    bob_peer
        .wait_for(
            Duration::from_secs(15),
            "our message on his new session",
            |e| e["event"] == "message" && e["body"] == "still reaching you",
        )
        .await
        .unwrap();
    assert_delivered(&settled(&engine, sent.id).await);

    bob_peer.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_replayed_and_forged_input_gives_a_clear_line_and_nothing_breaks() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("omemo-negative")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut bob_peer = server
        .peer_with_flags("bob", "bob-pw", &["--omemo"])
        .await
        .unwrap();
    devices_of(&mut bob_peer, &alice).await;
    let send = |body: &str, generation: &str, extra: serde_json::Value| {
        let mut cmd =
            json!({"cmd": "omemo_send", "to": alice, "body": body, "generation": generation});
        if let (Some(cmd), Some(extra)) = (cmd.as_object_mut(), extra.as_object()) {
            cmd.extend(extra.clone());
        }
        cmd
    };
    bob_peer
        .command(send("hello", "omemo2", json!({})))
        .await
        .unwrap();
    assert_eq!(next_message(&engine, &mut rx, &bob).await.body, "hello");
    bob_peer
        .command(send("hello in legacy", "legacy", json!({})))
        .await
        .unwrap();
    assert_eq!(
        next_message(&engine, &mut rx, &bob).await.body,
        "hello in legacy"
    );

    // Each bad message is one line saying why; never its text shown as encrypted.
    let cases = [
        (
            "a changed payload",
            "omemo2",
            json!({"tamper": "payload"}),
            "failed its integrity check",
        ),
        (
            "a changed key",
            "legacy",
            json!({"tamper": "key"}),
            "failed its integrity check",
        ),
    ];
    for (body, generation, extra, reason) in cases {
        while rx.try_recv().is_ok() {}
        bob_peer
            .command(send(body, generation, extra))
            .await
            .unwrap();
        let row = next_message(&engine, &mut rx, &bob).await;
        assert_eq!(row.encryption, "undecryptable", "{body}: {row:?}");
        assert!(row.body.contains(reason), "{body}: {}", row.body);
        assert!(!row.body.contains(body), "{}", row.body);
        // The next honest message reads again.
        let after = format!("after {body}");
        bob_peer
            .command(send(&after, generation, json!({})))
            .await
            .unwrap();
        bodies_with(&engine, account.id, &bob, &after).await;
    }

    // A replayed copy (same element, another stanza id) is refused; the original stands.
    while rx.try_recv().is_ok() {}
    bob_peer
        .command(send("said once", "omemo2", json!({"copies": 2})))
        .await
        .unwrap();
    let bodies = bodies_until(&engine, account.id, &bob, "the replay's line", |b| {
        b.contains("a replayed copy")
    })
    .await;
    assert_eq!(
        bodies.iter().filter(|b| *b == "said once").count(),
        1,
        "{bodies:?}"
    );

    // Forged device-list items (a bundle with a bad signature; a device with no bundle): our
    // message still reaches Bob's real device, and the forged ones are never trusted.
    for (generation, device_id, kind) in [
        ("omemo2", 424_242, "bad_signature"),
        ("legacy", 434_343, "no_bundle"),
    ] {
        bob_peer
            .command(
                json!({"cmd": "omemo_forge_device", "generation": generation,
                "device_id": device_id, "kind": kind}),
            )
            .await
            .unwrap();
    }
    let sent = engine
        .send_message(account.id, &bob, "to the real device")
        .await
        .unwrap();
    assert_eq!(sent.encryption, "omemo");
    let got = bob_peer
        .wait_for(Duration::from_secs(15), "our message", |e| {
            e["event"] == "message" && e["body"] == "to the real device"
        })
        .await
        .unwrap();
    let rids: Vec<u64> = got["omemo_rids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    assert!(
        !rids.contains(&424_242) && !rids.contains(&434_343),
        "{rids:?}"
    );
    assert_delivered(&settled(&engine, sent.id).await);
    let devices = engine.omemo_devices(account.id, &bob).await.unwrap();
    assert!(
        devices
            .iter()
            .all(|d| d.device_id != 424_242 && d.device_id != 434_343),
        "{devices:?}"
    );

    bob_peer.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_silent_for_a_month_is_left_out_until_it_writes_again() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("omemo-stale");
    let engine = common::engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut phone = server
        .peer_with_flags("bob", "bob-pw", &["--omemo", "--resource", "phone"])
        .await
        .unwrap();
    let mut laptop = server
        .peer_with_flags("bob", "bob-pw", &["--omemo", "--resource", "laptop"])
        .await
        .unwrap();
    let laptop_id = laptop.command(json!({"cmd": "omemo_info"})).await.unwrap()["device_id"]
        .as_u64()
        .unwrap();
    devices_of(&mut phone, &alice).await;
    for (peer, body) in [
        (&mut phone, "from the phone"),
        (&mut laptop, "from the laptop"),
    ] {
        peer.command(
            json!({"cmd": "omemo_send", "to": alice, "body": body, "generation": "omemo2"}),
        )
        .await
        .unwrap();
        bodies_with(&engine, account.id, &bob, body).await;
    }

    // A month later: the laptop has not written for 40 days, and 150 of our messages to it went
    // unanswered.
    engine.shutdown().await;
    drop(engine);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let forty_days_ago = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64)
        - 40 * 24 * 3600 * 1000;
    let changed = sqlx::query(
        "UPDATE omemo_identities SET last_heard = ?, first_seen = ?, unanswered = 150 WHERE device_id = ?",
    )
    .bind(forty_days_ago)
    .bind(forty_days_ago)
    .bind(i64::try_from(laptop_id).unwrap())
    .execute(&pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(changed, 1);
    pool.close().await;
    let engine = common::engine(&server, Some(db.clone()), true, passwords).await;
    let mut rx = engine.subscribe();
    wait_online(&engine, &mut rx, account.id).await;
    let devices = engine.omemo_devices(account.id, &bob).await.unwrap();
    let stale: Vec<bool> = devices.iter().map(|d| d.stale).collect();
    assert_eq!(stale.iter().filter(|s| **s).count(), 1, "{devices:?}");
    assert!(devices
        .iter()
        .any(|d| d.stale && u64::from(d.device_id) == laptop_id));

    // Our message reaches the phone only.
    let sent = engine
        .send_message(account.id, &bob, "not for the old laptop")
        .await
        .unwrap();
    let got = phone
        .wait_for(Duration::from_secs(15), "our message on the phone", |e| {
            e["event"] == "message" && e["body"] == "not for the old laptop"
        })
        .await
        .unwrap();
    assert!(
        !got["omemo_rids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_u64() == Some(laptop_id)),
        "{got}"
    );
    assert_delivered(&settled(&engine, sent.id).await);

    // The laptop writes again: it is active, and our next message reaches it too.
    laptop
        .command(
            json!({"cmd": "omemo_send", "to": alice, "body": "I am back", "generation": "omemo2"}),
        )
        .await
        .unwrap();
    bodies_with(&engine, account.id, &bob, "I am back").await;
    let devices = engine.omemo_devices(account.id, &bob).await.unwrap();
    assert!(devices.iter().all(|d| !d.stale), "{devices:?}");
    engine
        .send_message(account.id, &bob, "for both again")
        .await
        .unwrap();
    laptop
        .wait_for(Duration::from_secs(15), "our message on the laptop", |e| {
            e["event"] == "message" && e["body"] == "for both again"
        })
        .await
        .unwrap();

    for p in [phone, laptop] {
        p.close().await;
    }
    server.shutdown().await;
}
