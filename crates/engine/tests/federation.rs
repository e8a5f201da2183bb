//! Across two servers (RFC 6120 §2.5, server-to-server): Linnet on `a.test` and a slixmpp
//! peer on `b.test`, two Prosody processes federating on loopback with verified
//! certificates (`linnet_testkit::Federation`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    account, all_bodies, engine, init_tracing, temp_db, wait_event, wait_online, Passwords,
};
use linnet_engine::{Engine, EngineEvent, MessageState, Show};
use linnet_testkit::{Federation, Peer};
use serde_json::json;

async fn federation() -> Federation {
    init_tracing();
    Federation::start()
        .await
        .expect("two federated Prosody servers must start (tests never skip silently)")
}

/// Polls until the stored row `id` is in `state`.
async fn wait_state(engine: &Engine, id: i64, state: MessageState, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let row = engine.message(id).await.unwrap().unwrap();
        if row.state == state {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: the message stayed {:?}",
            row.state
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls until the conversation with `peer` holds `bodies`, in order.
async fn wait_bodies(engine: &Engine, account_id: i64, peer: &str, bodies: &[&str]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = all_bodies(engine, account_id, peer).await;
        if now == bodies {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the conversation with {peer} holds {now:?}, not {bodies:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_on_another_server_is_added_sees_presence_chats_and_sends_receipts() {
    let mut fed = federation().await;
    let alice = fed.a.register("alice", "pw-a").await.unwrap();
    let bob = fed.b.register("bob", "pw-b").await.unwrap();
    assert_eq!(
        (alice.as_str(), bob.as_str()),
        ("alice@a.test", "bob@b.test")
    );
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "pw-a");
    let engine = engine(&fed.a, Some(temp_db("federation-chat")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&fed.a, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    // bob (on b.test) approves and asks back (--auto-accept).
    let mut peer: Peer = fed.b.peer("bob", "pw-b", true).await.unwrap();
    engine
        .add_contact(account.id, &bob, Some("Bob".into()), vec![])
        .await
        .unwrap();
    wait_event(
        &mut rx,
        Duration::from_secs(20),
        "bob's subscription request over s2s",
        |e| matches!(e, EngineEvent::SubscriptionRequest { jid, .. } if jid == &bob),
    )
    .await;
    engine.approve_subscription(account.id, &bob).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while engine.presence(account.id, &bob).show != Show::Available {
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's presence never crossed to alice"
        );
        let _ = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
    }
    peer.wait_for(Duration::from_secs(20), "alice's presence at bob", |e| {
        e["event"] == "presence"
            && e["type"] == "available"
            && e["from"].as_str().unwrap_or("").starts_with(&alice)
    })
    .await
    .unwrap();
    let contact = engine
        .contacts(account.id)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.jid == bob)
        .expect("bob is in alice's roster");
    assert_eq!(contact.subscription, "both");

    // Alice writes; bob's client receipt (XEP-0184) crosses back and marks it delivered.
    let sent = engine
        .send_message(account.id, &bob, "hello from a.test")
        .await
        .unwrap();
    let got = peer
        .wait_for(Duration::from_secs(20), "alice's message at bob", |e| {
            e["event"] == "message" && e["body"] == "hello from a.test"
        })
        .await
        .unwrap();
    assert!(got["from"].as_str().unwrap().starts_with("alice@a.test/"));
    wait_state(&engine, sent.id, MessageState::Delivered, "bob's receipt").await;

    // Bob answers; it is stored once, after hers.
    peer.send(&alice, "hello from b.test").await.unwrap();
    wait_bodies(
        &engine,
        account.id,
        &bob,
        &["hello from a.test", "hello from b.test"],
    )
    .await;

    peer.close().await;
    engine.shutdown().await;
    fed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_on_another_server_is_joined_and_talked_in() {
    let mut fed = federation().await;
    let alice = fed.a.register("alice", "pw-a").await.unwrap();
    fed.b.register("bob", "pw-b").await.unwrap();
    let room = format!("lounge@{}", fed.b.info["muc"].as_str().unwrap());
    assert_eq!(room, "lounge@conference.b.test");
    let mut bob = fed.b.peer("bob", "pw-b", false).await.unwrap();
    bob.command(json!({
        "cmd": "raw",
        "xml": format!("<presence to='{room}/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
    }))
    .await
    .unwrap();
    bob.wait_for(Duration::from_secs(10), "bob in his room", |e| {
        e["event"] == "presence" && e["from"] == format!("{room}/Bob")
    })
    .await
    .unwrap();

    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "pw-a");
    let engine = engine(&fed.a, Some(temp_db("federation-room")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&fed.a, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    bob.wait_for(Duration::from_secs(20), "alice entering over s2s", |e| {
        e["event"] == "presence" && e["from"] == format!("{room}/Alice")
    })
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let state = engine.room(account.id, &room);
        if state.joined && state.occupants.iter().any(|o| o.nick == "Bob") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "alice never saw herself joined with bob: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Alice's message goes to the room on b.test and comes back reflected (delivered).
    let sent = engine
        .send_message(account.id, &room, "hello, b.test room")
        .await
        .unwrap();
    let got = bob
        .wait_for(Duration::from_secs(20), "alice's group message", |e| {
            e["event"] == "message" && e["body"] == "hello, b.test room"
        })
        .await
        .unwrap();
    assert_eq!(got["type"], "groupchat");
    assert_eq!(got["from"], format!("{room}/Alice"));
    wait_state(
        &engine,
        sent.id,
        MessageState::Delivered,
        "the room's reflection",
    )
    .await;

    // Bob's message reaches alice through the room.
    bob.command(json!({
        "cmd": "raw",
        "xml": format!("<message to='{room}' type='groupchat'><body>welcome, a.test</body></message>")
    }))
    .await
    .unwrap();
    wait_bodies(
        &engine,
        account.id,
        &room,
        &["hello, b.test room", "welcome, a.test"],
    )
    .await;

    bob.close().await;
    engine.shutdown().await;
    fed.shutdown().await;
}
