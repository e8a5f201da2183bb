//! Stories about contacts: adding a contact, subscriptions both ways, presence, and a restart
//! that shows roster, history and pending requests before the network answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use linnet_engine::{EngineEvent, Show};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_adds_bob_both_see_presence_and_a_restart_keeps_everything() {
    let mut server = server().await;
    let alice = server.register("alice", "pw-a").await.unwrap();
    let bob = server.register("bob", "pw-b").await.unwrap();
    let carol = server.register("carol", "pw-c").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "pw-a");
    let db = temp_db("roster");
    let engine = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    // bob approves subscription requests and asks back (slixmpp --auto-accept).
    let mut peer = server.peer("bob", "pw-b", true).await.unwrap();
    engine
        .add_contact(account.id, &bob, Some("Bob".into()), vec!["Friends".into()])
        .await
        .unwrap();
    // bob's request back arrives as a subscription request; alice approves it.
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "bob's subscription request",
        |e| matches!(e, EngineEvent::SubscriptionRequest { jid, .. } if jid == &bob),
    )
    .await;
    engine.approve_subscription(account.id, &bob).await.unwrap();
    // alice sees bob online.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if engine.presence(account.id, &bob).show == Show::Available {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's presence never reached alice"
        );
        let _ = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
    }
    // bob sees alice's presence.
    peer.wait_for(Duration::from_secs(10), "alice's presence", |e| {
        e["event"] == "presence"
            && e["type"] == "available"
            && e["from"].as_str().unwrap_or("").starts_with(&alice)
    })
    .await
    .unwrap();
    // alice's own presence change reaches bob.
    engine
        .set_presence(account.id, Show::Dnd, Some("in a meeting".into()))
        .await
        .unwrap();
    peer.wait_for(Duration::from_secs(10), "alice's dnd", |e| {
        e["event"] == "presence" && e["show"] == "dnd" && e["status"] == "in a meeting"
    })
    .await
    .unwrap();
    // bob's status reaches alice.
    peer.command(json!({"cmd": "presence", "show": "away", "status": "lunch"}))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let p = engine.presence(account.id, &bob);
        if p.show == Show::Away && p.status.as_deref() == Some("lunch") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's away never reached alice"
        );
        let _ = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
    }
    let contacts = engine.contacts(account.id).await.unwrap();
    let bob_contact = contacts
        .iter()
        .find(|c| c.jid == bob)
        .expect("bob is in alice's roster");
    assert_eq!(bob_contact.subscription, "both");
    assert_eq!(bob_contact.name.as_deref(), Some("Bob"));
    assert_eq!(bob_contact.groups, vec!["Friends".to_owned()]);

    peer.send(&alice, "see you later").await.unwrap();
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "bob's message",
        |e| matches!(e, EngineEvent::MessagesChanged { peer, .. } if peer == &bob),
    )
    .await;
    // carol asks while alice is still online but alice does not answer.
    let carol_peer = server.peer("carol", "pw-c", false).await.unwrap();
    let mut carol_peer = carol_peer;
    carol_peer
        .command(json!({"cmd": "subscribe", "to": alice}))
        .await
        .unwrap();
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "carol's request",
        |e| matches!(e, EngineEvent::SubscriptionRequest { jid, .. } if jid == &carol),
    )
    .await;
    engine.shutdown().await;
    carol_peer.close().await;
    peer.close().await;

    // Restart on the same database with the server stopped: everything is there from the store.
    server.stop().await.unwrap();
    let engine = common::engine(&server, Some(db), true, passwords).await;
    let contacts = engine.contacts(account.id).await.unwrap();
    assert!(
        contacts
            .iter()
            .any(|c| c.jid == bob && c.subscription == "both"),
        "roster comes from the store"
    );
    let history = engine.messages(account.id, &bob, None, 50).await.unwrap();
    assert_eq!(
        history.last().map(|m| m.body.as_str()),
        Some("see you later"),
        "history comes from the store"
    );
    let requests = engine.subscription_requests(account.id).await.unwrap();
    assert!(
        requests.iter().any(|r| r.jid == carol),
        "carol's unanswered request is kept"
    );
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_in_one_engine_keep_their_data_apart() {
    let mut server = server().await;
    let a1 = server.register("one", "pw1").await.unwrap();
    let a2 = server.register("two", "pw2").await.unwrap();
    let peer_jid = server.register("peer", "pwp").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&a1, "pw1");
    passwords.set(&a2, "pw2");
    let engine = engine(&server, None, true, passwords).await;
    let mut rx = engine.subscribe();
    let acc1 = engine.add_account(account(&server, &a1)).await.unwrap();
    let acc2 = engine.add_account(account(&server, &a2)).await.unwrap();
    wait_online(&engine, &mut rx, acc1.id).await;
    wait_online(&engine, &mut rx, acc2.id).await;
    let mut peer = server.peer("peer", "pwp", true).await.unwrap();
    peer.send(&a1, "to one").await.unwrap();
    peer.send(&a2, "to two").await.unwrap();
    engine
        .send_message(acc1.id, &peer_jid, "from one")
        .await
        .unwrap();
    engine
        .send_message(acc2.id, &peer_jid, "from two")
        .await
        .unwrap();
    // Each reply comes from its own account (in either order).
    let mut seen = std::collections::HashSet::new();
    while seen.len() < 2 {
        let ev = peer
            .wait_for(Duration::from_secs(10), "both replies", |e| {
                e["event"] == "message"
            })
            .await
            .unwrap();
        let from = ev["from"].as_str().unwrap_or("").to_owned();
        match ev["body"].as_str() {
            Some("from one") => assert!(
                from.starts_with(&a1),
                "'from one' comes from {a1}, not {from}"
            ),
            Some("from two") => assert!(
                from.starts_with(&a2),
                "'from two' comes from {a2}, not {from}"
            ),
            other => panic!("unexpected message {other:?}"),
        }
        seen.insert(ev["body"].as_str().unwrap_or("").to_owned());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let h1 = engine.messages(acc1.id, &peer_jid, None, 10).await.unwrap();
        let h2 = engine.messages(acc2.id, &peer_jid, None, 10).await.unwrap();
        if h1.len() == 2 && h2.len() == 2 {
            assert!(h1
                .iter()
                .all(|m| m.account_id == acc1.id && !m.body.contains("two")));
            assert!(h2
                .iter()
                .all(|m| m.account_id == acc2.id && !m.body.contains("one")));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "each account gets its own two messages: {h1:?} {h2:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Disabling one account leaves the other online.
    engine.set_account_enabled(acc1.id, false).await.unwrap();
    assert_eq!(
        serde_json::to_value(engine.state(acc1.id).await).unwrap()["kind"],
        "offline"
    );
    assert_eq!(
        serde_json::to_value(engine.state(acc2.id).await).unwrap()["kind"],
        "online"
    );
    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_versioning_keeps_the_cache_and_picks_up_changes_made_elsewhere() {
    let mut server = server().await;
    let alice = server.register("alice", "pw-a").await.unwrap();
    let bob = server.register("bob", "pw-b").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "pw-a");
    let engine = engine(&server, Some(temp_db("rosterver")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    engine
        .add_contact(account.id, &bob, Some("Bob".into()), vec![])
        .await
        .unwrap();
    let ver_with_bob = wait_for_ver(&engine, account.id, None).await;

    // Offline, another client of alice's adds dave (XEP-0237: the server holds the new version).
    engine.set_account_enabled(account.id, false).await.unwrap();
    let mut other = server.peer("alice", "pw-a", false).await.unwrap();
    let answer = other
        .command(json!({"cmd": "iq", "type": "set", "to": alice,
            "xml": "<query xmlns='jabber:iq:roster'><item jid='dave@localhost' name='Dave'/></query>"}))
        .await
        .unwrap();
    assert_eq!(answer["type"], "result", "{answer}");
    other.close().await;

    // Back online we send our version and get what changed since: dave appears, bob stays.
    engine.set_account_enabled(account.id, true).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    // (Another push for bob, e.g. his pending subscription, may have moved the version before
    // we went offline, so wait for the contacts rather than for any new version.)
    let want = vec![bob.clone(), "dave@localhost".to_owned()];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut jids = contact_jids(&engine, account.id).await;
    while jids != want && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        jids = contact_jids(&engine, account.id).await;
    }
    assert_eq!(jids, want);
    let ver_with_dave = wait_for_ver(&engine, account.id, Some(&ver_with_bob)).await;

    // Nothing changed: same version, same contacts, nothing lost from the cache.
    engine.set_account_enabled(account.id, false).await.unwrap();
    engine.set_account_enabled(account.id, true).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ver_again = engine.roster_version(account.id).await.unwrap().unwrap();
    assert_eq!(ver_again, ver_with_dave);
    assert_eq!(
        contact_jids(&engine, account.id).await,
        vec![bob, "dave@localhost".to_owned()]
    );
    engine.shutdown().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presence_error_is_surfaced_on_the_contact() {
    let mut server = server().await;
    let alice = server.register("alice", "pw-a").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "pw-a");
    let engine = engine(&server, None, true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    // The harness server has no federation, so a remote domain bounces with an error.
    let ghost = "ghost@elsewhere.example";
    engine
        .add_contact(account.id, ghost, None, vec![])
        .await
        .unwrap();
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "the presence error",
        |e| matches!(e, EngineEvent::PresenceChanged { jid, .. } if jid == ghost),
    )
    .await;
    let presence = engine.presence(account.id, ghost);
    assert_eq!(presence.show, Show::Offline);
    let error = presence.error.expect("the error is kept on the contact");
    // Prosody 0.12 without s2s: "not-allowed: Communication with remote domains is not enabled".
    let condition = error.split(':').next().unwrap();
    assert!(
        [
            "not-allowed",
            "remote-server-not-found",
            "service-unavailable"
        ]
        .contains(&condition),
        "{error}"
    );
    let contact = engine
        .contacts(account.id)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.jid == ghost)
        .unwrap();
    assert_eq!(contact.presence.error.as_deref(), Some(error.as_str()));
    engine.shutdown().await;
    server.stop().await.unwrap();
}

async fn contact_jids(engine: &linnet_engine::Engine, account_id: i64) -> Vec<String> {
    let mut jids: Vec<String> = engine
        .contacts(account_id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.jid)
        .collect();
    jids.sort();
    jids
}

/// Waits until the stored roster version is set and differs from `previous`.
async fn wait_for_ver(
    engine: &linnet_engine::Engine,
    account_id: i64,
    previous: Option<&str>,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ver = engine.roster_version(account_id).await.unwrap();
        if let Some(ver) = ver {
            if Some(ver.as_str()) != previous {
                return ver;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "roster version never changed from {previous:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
