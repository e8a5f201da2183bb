//! Blocking (XEP-0191) on a real Prosody (`mod_blocklist`) with slixmpp on the other side:
//! blocked, the contact's message is refused by our server (the sender's client gets the
//! error) and never reaches us; unblocked, it does. A block made by another client of ours
//! (XEP-0191 §3.3 Example 6, as literal XML) arrives as a push and shows in the blocklist. A
//! stranger blocked with a spam report (XEP-0377) is blocked all the same and heard no more.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::omemo::bodies_until;
use common::*;
use linnet_engine::EngineEvent;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_contact_cannot_reach_us_and_another_clients_block_is_pushed() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let carol = server.register("carol", "carol-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("blocking")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut bob_peer = server.peer("bob", "bob-pw", true).await.unwrap();

    assert_eq!(
        engine.blocklist(account.id).await.unwrap(),
        Vec::<String>::new()
    );
    engine.block(account.id, &bob).await.unwrap();
    assert_eq!(
        engine.blocklist(account.id).await.unwrap(),
        vec![bob.clone()]
    );

    // Blocked: our server refuses it (XEP-0191 §3.5) and we never see it.
    bob_peer
        .command(json!({"cmd": "send", "to": alice, "body": "while blocked"}))
        .await
        .unwrap();
    let refused = bob_peer
        .wait_for(Duration::from_secs(10), "the refusal", |e| {
            e["event"] == "message" && e["type"] == "error"
        })
        .await
        .expect("the sender's client is told");
    assert_eq!(refused["error"], "service-unavailable", "{refused}");
    assert!(all_bodies(&engine, account.id, &bob).await.is_empty());

    // Unblocked: it arrives.
    engine.unblock(account.id, &bob).await.unwrap();
    assert!(engine.blocklist(account.id).await.unwrap().is_empty());
    bob_peer
        .command(json!({"cmd": "send", "to": alice, "body": "after"}))
        .await
        .unwrap();
    bodies_until(
        &engine,
        account.id,
        &bob,
        "the message after unblocking",
        |b| b == "after",
    )
    .await;
    assert_eq!(all_bodies(&engine, account.id, &bob).await, vec!["after"]);

    // Another client of ours blocks carol: the push reaches us as BlocklistChanged.
    let mut other = server.peer("alice", "alice-pw", true).await.unwrap();
    let mut pushes = engine.subscribe();
    other
        .command(json!({"cmd": "raw", "xml": format!(
            "<iq xmlns='jabber:client' type='set' id='block1'><block xmlns='urn:xmpp:blocking'><item jid='{carol}'/></block></iq>")}))
        .await
        .unwrap();
    wait_event(
        &mut pushes,
        Duration::from_secs(10),
        "the blocklist push",
        |e| matches!(e, EngineEvent::BlocklistChanged { account_id } if *account_id == account.id),
    )
    .await;
    assert_eq!(
        engine.blocklist(account.id).await.unwrap(),
        vec![carol.clone()]
    );

    other.close().await;
    bob_peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_blocked_and_reported_as_spam_reaches_us_no_more() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let spammer = server.register("spammer", "spammer-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("blocking-report")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    // Not in our roster, and never asked: a stranger.
    let mut peer = server.peer("spammer", "spammer-pw", false).await.unwrap();
    peer.command(json!({"cmd": "send", "to": alice, "body": "cheap pills"}))
        .await
        .unwrap();
    bodies_until(&engine, account.id, &spammer, "the spam", |b| {
        b == "cheap pills"
    })
    .await;

    // XEP-0377 in the XEP-0191 block: Prosody (no reporting module) still blocks.
    engine.block_and_report(account.id, &spammer).await.unwrap();
    wait_event(
        &mut rx,
        Duration::from_secs(5),
        "the blocklist change",
        |e| matches!(e, EngineEvent::BlocklistChanged { .. }),
    )
    .await;
    assert_eq!(
        engine.blocklist(account.id).await.unwrap(),
        vec![spammer.clone()]
    );
    peer.command(json!({"cmd": "send", "to": alice, "body": "more pills"}))
        .await
        .unwrap();
    peer.wait_for(Duration::from_secs(10), "the refusal", |e| {
        e["event"] == "message" && e["type"] == "error"
    })
    .await
    .expect("the sender's client is told");
    assert_eq!(
        all_bodies(&engine, account.id, &spammer).await,
        vec!["cheap pills"]
    );
}
