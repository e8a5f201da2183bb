//! Displayed-state sync across our own clients (XEP-0490) on a real Prosody's PEP: another
//! client of ours (a slixmpp session of the same account, sending the XEP's XML) reads a
//! conversation and it is read here up to that message; reading here publishes the newest
//! message read for the other clients; a stranger's forged notification changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use linnet_engine::{Engine, EngineEvent};
use serde_json::json;

const NODE: &str = "urn:xmpp:mds:displayed:0";

async fn unread(engine: &Engine, peer: &str) -> i64 {
    let conversations = engine.conversations().await.unwrap();
    conversations
        .iter()
        .find(|c| c.peer == peer)
        .map_or(0, |c| c.unread)
}

async fn wait_unread(engine: &Engine, peer: &str, expected: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while unread(engine, peer).await != expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "unread stayed {} (expected {expected})",
            unread(engine, peer).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_on_one_client_reads_on_the_others() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    server.register("mallory", "mallory-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("mds")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(account(&server, &alice))
        .await
        .unwrap()
        .id;
    wait_online(&engine, &mut rx, account).await;
    let mut phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let mut bob_peer = server.peer("bob", "bob-pw", true).await.unwrap();
    let mut mallory = server.peer("mallory", "mallory-pw", true).await.unwrap();

    for body in ["one", "two", "three"] {
        bob_peer.send(&alice, body).await.unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine.count_messages(account, &bob).await.unwrap() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "bob's messages");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = engine.messages(account, &bob, None, 10).await.unwrap();
    let second = rows[1].stanza_id.clone().expect("our archive's stanza-id");
    assert_eq!(unread(&engine, &bob).await, 3);

    // A stranger's forged notification (XEP-0490 §4.3 shape, from mallory) is ignored.
    let forged = format!(
        "<message to='{alice}' type='headline'><event xmlns='http://jabber.org/protocol/pubsub#event'>\
           <items node='{NODE}'><item id='{bob}'><displayed xmlns='{NODE}'>\
             <stanza-id xmlns='urn:xmpp:sid:0' id='{}' by='{alice}'/>\
           </displayed></item></items></event></message>",
        rows[2].stanza_id.clone().unwrap()
    );
    mallory
        .command(json!({"cmd": "raw", "xml": forged}))
        .await
        .unwrap();

    // The phone reads up to bob's second message (XEP-0490 §4.2, example 3).
    let publish = format!(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='{NODE}'>\
           <item id='{bob}'><displayed xmlns='{NODE}'>\
             <stanza-id xmlns='urn:xmpp:sid:0' id='{second}' by='{alice}'/>\
           </displayed></item></publish>\
         <publish-options><x xmlns='jabber:x:data' type='submit'>\
           <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>\
           <field var='pubsub#persist_items'><value>true</value></field>\
           <field var='pubsub#max_items'><value>max</value></field>\
           <field var='pubsub#send_last_published_item'><value>never</value></field>\
           <field var='pubsub#access_model'><value>whitelist</value></field>\
         </x></publish-options></pubsub>"
    );
    let answer = phone
        .command(json!({"cmd": "iq", "type": "set", "to": alice, "xml": publish}))
        .await
        .unwrap();
    assert_eq!(answer["type"], "result", "{answer}");
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "the conversation read",
        |e| matches!(e, EngineEvent::ConversationsChanged),
    )
    .await;
    wait_unread(&engine, &bob, 1).await;

    // Reading here publishes bob's third message as read, for the phone to see.
    engine.mark_read(account, &bob).await.unwrap();
    let third = rows[2].stanza_id.clone().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let items = phone
            .command(json!({"cmd": "iq", "type": "get", "to": alice, "xml":
                format!("<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='{NODE}'/></pubsub>")}))
            .await
            .unwrap();
        let xml = items["xml"].as_str().unwrap_or_default().to_owned();
        if xml.contains(&third) {
            assert!(
                xml.contains(&format!("id=\"{bob}\"")) || xml.contains(&format!("id='{bob}'")),
                "{xml}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never published: {xml}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    phone.close().await;
    bob_peer.close().await;
    mallory.close().await;
}

/// The chat open during a burst: every batch is read at once, but the partner and our other
/// clients hear of it at most once per interval, and the last marker names the newest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_during_a_burst_sends_few_markers_and_the_last_is_the_newest() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("mds-burst")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(account(&server, &alice))
        .await
        .unwrap()
        .id;
    wait_online(&engine, &mut rx, account).await;
    let mut bob_peer = server.peer("bob", "bob-pw", true).await.unwrap();
    let markable = |n: u32| {
        format!(
            "<message xmlns='jabber:client' to='{alice}' type='chat' id='bob-{n}'><body>m{n}</body>\
             <markable xmlns='urn:xmpp:chat-markers:0'/></message>"
        )
    };
    for n in 1..=20 {
        bob_peer
            .command(json!({"cmd": "raw", "xml": markable(n)}))
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while engine.count_messages(account, &bob).await.unwrap() < i64::from(n) {
            assert!(tokio::time::Instant::now() < deadline, "bob's m{n}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        engine.mark_read(account, &bob).await.unwrap();
        assert_eq!(unread(&engine, &bob).await, 0, "read at once here");
    }
    let markers = bob_peer
        .collect(Duration::from_secs(5), |e| e["event"] == "marker")
        .await;
    assert!(
        !markers.is_empty() && markers.len() <= 6,
        "20 reads within about a second or two: a few markers, not 20: {markers:?}"
    );
    assert_eq!(
        markers.last().unwrap()["displayed"],
        "bob-20",
        "the last marker names the newest"
    );
    bob_peer.close().await;
}
