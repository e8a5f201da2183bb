//! Full-text search over history received from a slixmpp contact on a real Prosody: words
//! in any order, the last as a prefix, accents ignored, FTS5 syntax typed by a person taken
//! as text, one conversation or all, retracted text gone from the index, a hit in context.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_words_across_conversations_and_shows_the_hit_in_context() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let carol = server.register("carol", "carol-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("search")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(account(&server, &alice))
        .await
        .unwrap()
        .id;
    wait_online(&engine, &mut rx, account).await;
    let mut bob_peer = server.peer("bob", "bob-pw", true).await.unwrap();
    let mut carol_peer = server.peer("carol", "carol-pw", true).await.unwrap();

    let bob_says = [
        "good morning",
        "Lunch at the Café Royal tomorrow?",
        "bring the blue folder",
        "see you then",
    ];
    let mut ids = Vec::new();
    for body in bob_says {
        ids.push(bob_peer.send(&alice, body).await.unwrap());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine.count_messages(account, &bob).await.unwrap() < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's messages to arrive"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    carol_peer
        .send(&alice, "is lunch still on? the café was closed")
        .await
        .unwrap();
    while engine.count_messages(account, &carol).await.unwrap() < 1 {
        assert!(tokio::time::Instant::now() < deadline, "messages to arrive");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Words in any order, accents ignored, the last word a prefix; newest first.
    let hits = engine
        .search_messages(None, None, "cafe lun", 20)
        .await
        .unwrap();
    let bodies: Vec<&str> = hits.iter().map(|h| h.message.body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "is lunch still on? the café was closed",
            "Lunch at the Café Royal tomorrow?"
        ]
    );
    assert!(
        hits[1].snippet.contains("\u{2}Café\u{3}") && hits[1].snippet.contains("\u{2}Lunch\u{3}"),
        "matches are marked: {:?}",
        hits[1].snippet
    );

    // One conversation only.
    let hits = engine
        .search_messages(Some(account), Some(&bob), "lunch", 20)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].message.peer, bob);

    // What a person types is text, never FTS5 syntax: no error, no surprise.
    for typed in [
        "lunch OR",
        "\"folder",
        "blue*",
        "NEAR(blue folder)",
        "-- ;",
        "col:umn",
    ] {
        let found = engine.search_messages(None, None, typed, 20).await;
        assert!(found.is_ok(), "{typed:?}: {found:?}");
    }
    let hits = engine
        .search_messages(None, None, "(blue) \"folder", 20)
        .await
        .unwrap();
    assert_eq!(
        hits.len(),
        1,
        "brackets and quotes are punctuation around words"
    );

    // The hit in context: the messages around it, in order.
    let folder = engine
        .search_messages(None, None, "folder", 20)
        .await
        .unwrap();
    let around = engine
        .messages_around(account, &bob, folder[0].message.id, 1)
        .await
        .unwrap();
    let context: Vec<&str> = around.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        context,
        [
            "Lunch at the Café Royal tomorrow?",
            "bring the blue folder",
            "see you then"
        ]
    );

    // Bob retracts the café message: its words are no longer found.
    bob_peer
        .command(json!({"cmd": "retract", "to": alice, "target_id": ids[1]}))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let hits = engine
            .search_messages(None, None, "royal", 20)
            .await
            .unwrap();
        if hits.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "retracted text still found"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bob_peer.close().await;
    carol_peer.close().await;
}
