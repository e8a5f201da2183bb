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

/// Alice (`account_id`, on a.test) and bob (on b.test, a slixmpp peer that approves and asks
/// back) share presence both ways; bob's peer is returned.
async fn befriend(
    engine: &Engine,
    rx: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    account_id: i64,
    fed: &Federation,
    alice: &str,
    bob: &str,
) -> Peer {
    let peer = fed.b.peer("bob", "pw-b", true).await.unwrap();
    let mut peer = peer;
    engine
        .add_contact(account_id, bob, Some("Bob".into()), vec![])
        .await
        .unwrap();
    wait_event(
        rx,
        Duration::from_secs(20),
        "bob's subscription request over s2s",
        |e| matches!(e, EngineEvent::SubscriptionRequest { jid, .. } if jid == bob),
    )
    .await;
    engine.approve_subscription(account_id, bob).await.unwrap();
    wait_available(engine, rx, account_id, bob).await;
    peer.wait_for(Duration::from_secs(20), "alice's presence at bob", |e| {
        e["event"] == "presence"
            && e["type"] == "available"
            && e["from"].as_str().unwrap_or("").starts_with(alice)
    })
    .await
    .unwrap();
    let contact = engine
        .contacts(account_id)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.jid == bob)
        .expect("bob is in alice's roster");
    assert_eq!(contact.subscription, "both");
    peer
}

/// Waits until `jid` is seen available.
async fn wait_available(
    engine: &Engine,
    rx: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    account_id: i64,
    jid: &str,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while engine.presence(account_id, jid).show != Show::Available {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{jid}'s presence never crossed to alice"
        );
        let _ = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
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
    let mut peer = befriend(&engine, &mut rx, account.id, &fed, &alice, &bob).await;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_written_while_the_other_server_is_down_waits_and_is_delivered_once_it_is_back() {
    let mut fed = federation().await;
    let alice = fed.a.register("alice", "pw-a").await.unwrap();
    let bob = fed.b.register("bob", "pw-b").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "pw-a");
    let engine = engine(&fed.a, Some(temp_db("federation-outage")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&fed.a, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let peer = befriend(&engine, &mut rx, account.id, &fed, &alice, &bob).await;

    // b.test goes down: a.test cannot connect to it and bounces the message
    // (remote-server-not-found). It waits, pending, with the reason in words.
    peer.close().await;
    fed.b.stop().await.unwrap();
    let sent = engine
        .send_message(account.id, &bob, "written during the outage")
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let waiting = loop {
        let row = engine.message(sent.id).await.unwrap().unwrap();
        if row.error.is_some() {
            break row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bounce never arrived: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(waiting.state, MessageState::Pending, "{waiting:?}");
    assert!(
        waiting
            .error
            .as_deref()
            .unwrap()
            .contains("b.test cannot be reached now"),
        "{waiting:?}"
    );

    // b.test is back and bob signs in: his presence crosses to alice, and the waiting
    // message goes at once (not after its 15 s retry time), exactly once.
    fed.b.restart().await.unwrap();
    let mut peer = fed.b.peer("bob", "pw-b", true).await.unwrap();
    let started = tokio::time::Instant::now();
    wait_available(&engine, &mut rx, account.id, &bob).await;
    wait_state(
        &engine,
        sent.id,
        MessageState::Delivered,
        "bob's receipt after the outage",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "sent when bob's server was heard from, not by the retry timer"
    );
    let copies = peer
        .collect(Duration::from_secs(3), |e| {
            e["event"] == "message" && e["body"] == "written during the outage"
        })
        .await;
    assert_eq!(copies.len(), 1, "delivered once: {copies:?}");
    assert_eq!(
        engine.message(sent.id).await.unwrap().unwrap().error,
        None,
        "the waiting reason is gone"
    );

    peer.close().await;
    engine.shutdown().await;
    fed.shutdown().await;
}
