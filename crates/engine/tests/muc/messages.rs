//! Private messages with a room occupant, kept out of the room; older room history from the
//! room's archive (MUC MAM).

use std::time::Duration;

use crate::common::server;
use crate::fixtures::{alice_online, enter, raw, wait_room};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_room_history_comes_from_the_rooms_archive() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("history@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    for i in 0..30 {
        raw(
            &mut bob,
            format!("<message to='{room}' type='groupchat'><body>old {i}</body></message>"),
        )
        .await;
    }
    bob.wait_for(Duration::from_secs(10), "the last one reflected", |e| {
        e["event"] == "message" && e["body"] == "old 29"
    })
    .await
    .unwrap();

    let (engine, _rx, account) = alice_online(&server, &alice, "muc-history").await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(&engine, account.id, &room, "alice joined", |s| s.joined).await;
    // The join brings the last 20; scrolling back asks the room's archive (MUC MAM).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine.count_messages(account.id, &room).await.unwrap() < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "join history never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut pages = 0;
    loop {
        let page = engine.fetch_history(account.id, &room).await.unwrap();
        pages += 1;
        assert!(pages < 10, "history paging never completes");
        if page.complete || page.stored == 0 {
            break;
        }
    }
    let rows = engine.messages(account.id, &room, None, 100).await.unwrap();
    let bodies: Vec<String> = rows.iter().map(|r| r.body.clone()).collect();
    let expected: Vec<String> = (0..30).map(|i| format!("old {i}")).collect();
    assert_eq!(bodies, expected, "all 30 once, in order");
    assert!(rows
        .iter()
        .all(|r| r.groupchat && r.sender.as_deref() == Some("Bob")));

    bob.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_messages_with_an_occupant_stay_out_of_the_room() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("quiet@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    let (engine, _rx, account) = alice_online(&server, &alice, "muc-pm").await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(&engine, account.id, &room, "alice joined", |s| s.joined).await;

    // Bob whispers to Alice through the room (XEP-0045 §7.5).
    let occupant = format!("{room}/Bob");
    raw(&mut bob, format!(
        "<message to='{room}/Alice' type='chat'><body>just between us</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>"
    )).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows = engine
            .messages(account.id, &occupant, None, 10)
            .await
            .unwrap();
        if !rows.is_empty() || tokio::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rows.len(), 1, "the private message is its own conversation");
    assert_eq!(rows[0].peer, occupant);
    assert!(!rows[0].groupchat);
    assert_eq!(
        engine.count_messages(account.id, &room).await.unwrap(),
        0,
        "nothing of it in the room's timeline"
    );

    // Alice answers privately: bob gets a chat message from room/Alice.
    let reply = engine
        .send_message(account.id, &occupant, "sure")
        .await
        .unwrap();
    assert_eq!(reply.peer, occupant);
    let got = bob
        .wait_for(Duration::from_secs(10), "alice's private answer", |e| {
            e["event"] == "message" && e["body"] == "sure"
        })
        .await
        .unwrap();
    assert_eq!(got["type"], "chat");
    assert_eq!(got["from"], format!("{room}/Alice"));

    bob.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}
