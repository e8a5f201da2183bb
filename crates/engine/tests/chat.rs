//! Stories about one-to-one chat between our engine and an independent slixmpp peer, on a real
//! Prosody.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use linnet_engine::EngineEvent;
use linnet_engine::MessageState;
use linnet_testkit::process_alive;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bobs_message_reaches_alice_and_her_reply_reaches_bob() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("chat")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    let mut peer = server.peer("bob", "bob-pw", true).await.unwrap();
    peer.send(&alice, "hello from slixmpp <b>&amp;</b>")
        .await
        .unwrap();
    let ev = wait_event(
        &mut rx,
        Duration::from_secs(10),
        "bob's message to be stored",
        |e| matches!(e, EngineEvent::MessagesChanged { peer, .. } if peer == &bob),
    )
    .await;
    let EngineEvent::MessagesChanged { ids, .. } = ev else {
        unreachable!()
    };
    let stored = engine
        .message(ids[0])
        .await
        .unwrap()
        .expect("the announced row exists");
    assert_eq!(
        stored.body, "hello from slixmpp <b>&amp;</b>",
        "the body is stored as the text bob sent"
    );
    assert!(!stored.outgoing);
    assert!(
        stored.stanza_id.is_some(),
        "Prosody's mod_mam stamps a stanza-id by our bare JID"
    );

    let sent = engine
        .send_message(account.id, &bob, "hi bob")
        .await
        .unwrap();
    assert_eq!(
        sent.state,
        MessageState::Pending,
        "a message is stored before it is sent"
    );
    let got = peer
        .wait_for(Duration::from_secs(10), "alice's reply", |e| {
            e["event"] == "message" && e["body"] == "hi bob"
        })
        .await
        .unwrap();
    assert_eq!(
        got["origin_id"],
        json!(sent.origin_id.clone().unwrap()),
        "the origin-id we stored is the one bob sees"
    );
    assert_eq!(got["receipt_request"], json!(true));
    // XEP-0198 ack from the server turns pending into sent.
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "the reply to be acked",
        |e| matches!(e, EngineEvent::MessagesChanged { ids, .. } if ids == &vec![sent.id]),
    )
    .await;
    for _ in 0..50 {
        if engine.message(sent.id).await.unwrap().unwrap().state == MessageState::Delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        engine.message(sent.id).await.unwrap().unwrap().state,
        MessageState::Delivered,
        "acked by the server (sent), then bob's client sent a receipt (XEP-0184)"
    );

    let conversations = engine.conversations().await.unwrap();
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0].last_body.as_deref(), Some("hi bob"));
    assert_eq!(
        conversations[0].unread, 1,
        "bob's message is unread until marked"
    );
    engine.mark_read(account.id, &bob).await.unwrap();
    assert_eq!(engine.conversations().await.unwrap()[0].unread, 0);

    peer.close().await;
    engine.shutdown().await;
    let pid = server.pid();
    server.shutdown().await;
    assert!(
        !process_alive(pid),
        "stopping the harness leaves no Prosody behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_written_offline_is_sent_after_connecting() {
    let mut server = server().await;
    let alice = server.register("carol", "carol-pw").await.unwrap();
    let bob = server.register("dave", "dave-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    let db = temp_db("outbox");
    let engine = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    // No password yet: the account cannot connect, the message waits in the outbox.
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    let row = engine
        .send_message(account.id, &bob, "written while offline")
        .await
        .unwrap();
    assert_eq!(row.state, MessageState::Pending);
    engine.shutdown().await;

    let mut peer = server.peer("dave", "dave-pw", true).await.unwrap();
    passwords.set(&alice, "carol-pw");
    let engine = common::engine(&server, Some(db), true, passwords).await;
    let got = peer
        .wait_for(Duration::from_secs(20), "the outbox message", |e| {
            e["event"] == "message" && e["body"] == "written while offline"
        })
        .await
        .unwrap();
    assert_eq!(got["origin_id"], json!(row.origin_id.unwrap()));
    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_a_missing_account_is_marked_failed_with_the_reason() {
    let mut server = server().await;
    let alice = server.register("ivan", "pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "pw");
    let engine = engine(&server, None, true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let row = engine
        .send_message(account.id, "nobody@localhost", "anyone there?")
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = engine.message(row.id).await.unwrap().unwrap();
        if now.state == MessageState::Failed {
            assert!(now.error.is_some(), "a failed message says why");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server's message error marks it failed (state {:?})",
            now.state
        );
        let _ = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    }
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_tls_login_works() {
    let mut server = server().await;
    let jid = server.register("judy", "pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&jid, "pw");
    let engine = engine(&server, None, true, passwords).await;
    let mut rx = engine.subscribe();
    let new = linnet_engine::NewAccount {
        jid: jid.clone(),
        host: Some(server.host()),
        port: Some(server.tls_port()),
        direct_tls: true,
    };
    let account = engine.add_account(new).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    engine.shutdown().await;
    server.shutdown().await;
}
