//! Joining a room, its occupants with roles and affiliations, nickname changes and leaves (with
//! group messages, unread and mention counts and notifications on the way); a room we create
//! is unlocked for others; a password-protected room.

use std::sync::Arc;
use std::time::Duration;

use linnet_engine::{Affiliation, MessageState, Role};
use linnet_engine::{EngineEvent, RoomNotify};
use serde_json::json;

use crate::common::{
    account, engine, init_tracing, server, temp_db, wait_event, wait_online, Passwords,
};
use crate::fixtures::{alice_online, enter, nicks, raw, room_iq, wait_room};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_in_a_room_messages_occupants_nick_change_and_leave() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("lounge@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    server.register("carol", "carol-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    let mut carol = server.peer("carol", "carol-pw", false).await.unwrap();
    // Bob creates the room (instant room: Prosody's muc_room_locking is off in the harness).
    enter(&mut bob, &room, "Bob").await;
    raw(
        &mut carol,
        format!(
            "<presence to='{room}/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        ),
    )
    .await;
    raw(
        &mut bob,
        format!("<message to='{room}' type='groupchat'><body>before alice came</body></message>"),
    )
    .await;

    let (engine, mut rx, account) = alice_online(&server, &alice, "muc").await;

    // A taken nickname is explained, not retried.
    engine.join_room(account.id, &room, "Bob").await.unwrap();
    let state = wait_room(&engine, account.id, &room, "the nickname conflict", |s| {
        s.error.is_some()
    })
    .await;
    assert!(!state.joined);
    assert!(state.error.unwrap().contains("nickname is already taken"));

    engine.join_room(account.id, &room, "Alice").await.unwrap();
    let state = wait_room(
        &engine,
        account.id,
        &room,
        "alice joined with everyone listed",
        |s| s.joined && s.occupants.len() == 3,
    )
    .await;
    assert_eq!(nicks(&state), vec!["Alice", "Bob", "Carol"]);
    // Joining here bookmarked the room for alice's other clients (XEP-0402).
    let mut phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let answer = phone
        .command(json!({"cmd": "iq", "type": "get", "to": alice,
            "xml": "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub>"}))
        .await
        .unwrap();
    let xml = answer["xml"].as_str().unwrap_or_default();
    assert!(
        xml.contains(&format!("id='{room}'")) || xml.contains(&format!("id=\"{room}\"")),
        "{answer}"
    );
    assert!(
        xml.contains("Alice"),
        "the bookmark has our nickname: {xml}"
    );
    phone.close().await;
    let bob_entry = state.occupants.iter().find(|o| o.nick == "Bob").unwrap();
    assert_eq!(
        bob_entry.affiliation,
        Affiliation::Owner,
        "bob created the room"
    );
    assert_eq!(bob_entry.role, Role::Moderator);

    // Room history on join arrives once, with the sender's nickname.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine.count_messages(account.id, &room).await.unwrap() < 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "room history never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Messages both ways; our own reflection is not stored twice.
    raw(
        &mut carol,
        format!("<message to='{room}' type='groupchat'><body>hi all, Alice too</body></message>"),
    )
    .await;
    // A mention of our nickname may notify (live); a plain group message does not.
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "carol's mention, live",
        |e| matches!(e, EngineEvent::MessagesChanged { peer, live: true, .. } if peer == &room),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine.count_messages(account.id, &room).await.unwrap() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "carol's message never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The room counts two unread messages, both naming alice ("before alice came", "hi all,
    // Alice too").
    let conversation = engine
        .conversations()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.peer == room)
        .unwrap();
    assert_eq!((conversation.unread, conversation.mentions), (2, 2));
    let sent = engine
        .send_message(account.id, &room, "hello room")
        .await
        .unwrap();
    assert_eq!(sent.state, MessageState::Pending);
    let got = bob
        .wait_for(
            Duration::from_secs(10),
            "alice's group message at bob",
            |e| e["event"] == "message" && e["body"] == "hello room",
        )
        .await
        .unwrap();
    assert_eq!(got["type"], "groupchat");
    assert_eq!(got["from"], format!("{room}/Alice"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let row = engine.message(sent.id).await.unwrap().unwrap();
        if row.state == MessageState::Delivered {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "reflection never marked ours: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows = engine.messages(account.id, &room, None, 50).await.unwrap();
    let summary: Vec<(Option<String>, String, bool)> = rows
        .iter()
        .map(|r| (r.sender.clone(), r.body.clone(), r.outgoing))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some("Bob".into()), "before alice came".into(), false),
            (Some("Carol".into()), "hi all, Alice too".into(), false),
            (None, "hello room".into(), true),
        ],
        "each once, ours not duplicated by the reflection"
    );
    assert!(rows.iter().all(|r| r.groupchat));

    raw(
        &mut bob,
        format!("<message to='{room}' type='groupchat'><body>just chatting</body></message>"),
    )
    .await;
    let ev = wait_event(&mut rx, Duration::from_secs(10), "bob's plain message", |e| {
        matches!(e, EngineEvent::MessagesChanged { peer, ids, .. } if peer == &room && !ids.contains(&sent.id))
    })
    .await;
    assert!(
        matches!(ev, EngineEvent::MessagesChanged { live: false, .. }),
        "{ev:?}"
    );

    // Carol becomes Caroline, then bob leaves: the occupant list follows.
    raw(&mut carol, format!("<presence to='{room}/Caroline'/>")).await;
    wait_room(&engine, account.id, &room, "carol's new nickname", |s| {
        nicks(s) == vec!["Alice", "Bob", "Caroline"]
    })
    .await;
    raw(
        &mut bob,
        format!("<presence to='{room}/Bob' type='unavailable'/>"),
    )
    .await;
    wait_room(&engine, account.id, &room, "bob gone", |s| {
        nicks(s) == vec!["Alice", "Caroline"]
    })
    .await;
    // Both show as system lines in the room's timeline.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let lines = loop {
        let lines: Vec<String> = engine
            .messages(account.id, &room, None, 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.state == MessageState::System)
            .map(|r| r.body)
            .collect();
        if lines.len() >= 2 || tokio::time::Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        lines,
        vec!["Carol is now known as Caroline.", "Bob left the room."]
    );
    // "just chatting" is unread too, but names nobody; system lines count for neither.
    let conversation = engine
        .conversations()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.peer == room)
        .unwrap();
    assert_eq!((conversation.unread, conversation.mentions), (3, 2));

    // Per-room notifications: all, then none.
    engine
        .set_room_notify(account.id, &room, RoomNotify::All)
        .await
        .unwrap();
    raw(
        &mut carol,
        format!(
            "<message to='{room}' type='groupchat'><body>plain but notify all</body></message>"
        ),
    )
    .await;
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "a plain message notifying with 'all'",
        |e| matches!(e, EngineEvent::MessagesChanged { peer, live: true, .. } if peer == &room),
    )
    .await;
    engine
        .set_room_notify(account.id, &room, RoomNotify::None)
        .await
        .unwrap();
    raw(&mut carol, format!("<message to='{room}' type='groupchat'><body>Alice, even a mention stays quiet</body></message>")).await;
    let ev = wait_event(
        &mut rx,
        Duration::from_secs(10),
        "the mention with 'none'",
        |e| matches!(e, EngineEvent::MessagesChanged { peer, .. } if peer == &room),
    )
    .await;
    assert!(
        matches!(ev, EngineEvent::MessagesChanged { live: false, .. }),
        "{ev:?}"
    );

    // Reconnecting rejoins the room by itself.
    engine.set_account_enabled(account.id, false).await.unwrap();
    engine.set_account_enabled(account.id, true).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    wait_room(
        &engine,
        account.id,
        &room,
        "the room rejoined after reconnecting",
        |s| s.joined,
    )
    .await;
    // The room sends its recent history again on join: nothing is stored twice.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        engine.count_messages(account.id, &room).await.unwrap(),
        8,
        "room history after rejoining is deduplicated by the room's stanza-id"
    );

    // Leaving here retracts the bookmark (XEP-0402 §4.4) for alice's other clients.
    engine.leave_room(account.id, &room).await.unwrap();
    let mut phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = phone
            .command(json!({"cmd": "iq", "type": "get", "to": alice,
                "xml": "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub>"}))
            .await
            .unwrap();
        let xml = answer["xml"].as_str().unwrap_or_default().to_owned();
        if !xml.contains(&room) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still bookmarked: {xml}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    phone.close().await;

    bob.close().await;
    carol.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_we_create_is_unlocked_for_others() {
    init_tracing();
    // Prosody's default: a new room stays locked until its owner configures it (§10.1).
    let mut server = linnet_testkit::Server::start_with(&["--muc-locking"])
        .await
        .expect("the Prosody harness must start");
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("fresh@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let (engine, _rx, account) = alice_online(&server, &alice, "muc-create").await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    let state = wait_room(&engine, account.id, &room, "alice created the room", |s| {
        s.joined
    })
    .await;
    assert_eq!(state.occupants[0].affiliation, Affiliation::Owner);

    // Bob can enter: the room was configured as an instant room.
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    raw(
        &mut bob,
        format!("<presence to='{room}/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>"),
    )
    .await;
    let got = bob
        .wait_for(Duration::from_secs(10), "bob's entry or refusal", |e| {
            e["event"] == "presence" && e["from"] == format!("{room}/Bob")
        })
        .await
        .unwrap();
    assert_eq!(got["type"], "available", "bob entered: {got}");
    wait_room(&engine, account.id, &room, "bob listed", |s| {
        s.occupants.len() == 2
    })
    .await;

    // A reserved room (§10.1.3): locked until alice submits its configuration form.
    let reserved = format!("reserved@{muc}");
    engine
        .join_room_with_options(account.id, &reserved, "Alice", None, true)
        .await
        .unwrap();
    let state = wait_room(&engine, account.id, &reserved, "the reserved room", |s| {
        s.joined
    })
    .await;
    assert!(state.awaiting_configuration);
    raw(
        &mut bob,
        format!(
            "<presence to='{reserved}/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        ),
    )
    .await;
    let got = bob
        .wait_for(Duration::from_secs(10), "bob refused", |e| {
            e["event"] == "presence" && e["from"] == format!("{reserved}/Bob")
        })
        .await
        .unwrap();
    assert_eq!(got["type"], "error", "the room is still locked: {got}");
    let form = engine.room_config(account.id, &reserved).await.unwrap();
    assert!(form
        .fields
        .iter()
        .any(|f| f.var == "muc#roomconfig_roomname"));
    engine
        .set_room_config(
            account.id,
            &reserved,
            vec![linnet_engine::FieldValues {
                var: "muc#roomconfig_roomname".into(),
                values: vec!["Reserved".into()],
            }],
        )
        .await
        .unwrap();
    assert!(!engine.room(account.id, &reserved).awaiting_configuration);
    raw(
        &mut bob,
        format!(
            "<presence to='{reserved}/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        ),
    )
    .await;
    let got = bob
        .wait_for(Duration::from_secs(10), "bob's entry", |e| {
            e["event"] == "presence"
                && e["from"] == format!("{reserved}/Bob")
                && e["type"] == "available"
        })
        .await
        .unwrap();
    assert_eq!(got["type"], "available");

    bob.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_protected_room_asks_for_the_password_and_lets_us_in_with_it() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("vault@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    room_iq(
        &mut bob,
        &room,
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
         <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>\
         <field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>\
         <field var='muc#roomconfig_roomsecret'><value>open sesame</value></field></x></query>",
    )
    .await;

    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("muc-password");
    let engine = engine(&server, Some(db.clone()), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    engine.join_room(account.id, &room, "Alice").await.unwrap();
    let state = wait_room(&engine, account.id, &room, "the refusal", |s| {
        s.error.is_some()
    })
    .await;
    assert_eq!(state.error.as_deref(), Some("This room needs a password."));
    engine
        .join_room_with_options(
            account.id,
            &room,
            "Alice",
            Some("open sesame".into()),
            false,
        )
        .await
        .unwrap();
    let state = wait_room(&engine, account.id, &room, "alice let in", |s| {
        s.joined && s.occupants.len() == 2
    })
    .await;
    assert_eq!(nicks(&state), vec!["Alice", "Bob"]);
    // The password is nowhere in the database.
    engine.shutdown().await;
    for file in std::fs::read_dir(db.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !bytes
                .windows(b"open sesame".len())
                .any(|w| w == b"open sesame"),
            "the room password is not stored"
        );
    }

    bob.close().await;
    server.shutdown().await;
}
