//! Group chat (XEP-0045) against the harness's real Prosody MUC component, with two slixmpp
//! peers in the room.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use linnet_engine::{Engine, EngineEvent, RoomNotify, RoomState};
use linnet_testkit::Peer;
use serde_json::json;

async fn raw(peer: &mut Peer, xml: String) {
    peer.command(json!({"cmd": "raw", "xml": xml}))
        .await
        .unwrap();
}

/// The peer enters `room` as `nick` (XEP-0045 §7.2; creating it if needed) and waits for its
/// own presence from the room.
async fn enter(peer: &mut Peer, room: &str, nick: &str) {
    raw(
        peer,
        format!(
            "<presence to='{room}/{nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        ),
    )
    .await;
    peer.wait_for(Duration::from_secs(10), "the peer in the room", |e| {
        e["event"] == "presence" && e["from"] == format!("{room}/{nick}")
    })
    .await
    .unwrap();
}

/// Alice's engine on a fresh database (`db` names it), signed in and online: the engine, its
/// event receiver and her account.
async fn alice_online(
    server: &linnet_testkit::Server,
    alice: &str,
    db: &str,
) -> (
    Engine,
    tokio::sync::broadcast::Receiver<EngineEvent>,
    linnet_engine::AccountView,
) {
    alice_online_via(server, alice, db, None).await
}

/// Like [`alice_online`], connecting to `port` on loopback (a fault proxy) when given.
async fn alice_online_via(
    server: &linnet_testkit::Server,
    alice: &str,
    db: &str,
    port: Option<u16>,
) -> (
    Engine,
    tokio::sync::broadcast::Receiver<EngineEvent>,
    linnet_engine::AccountView,
) {
    let passwords = Arc::new(Passwords::default());
    passwords.set(alice, "alice-pw");
    let engine = engine(server, Some(temp_db(db)), true, passwords).await;
    let mut rx = engine.subscribe();
    let mut new = common::account(server, alice);
    if let Some(port) = port {
        new.host = Some("127.0.0.1".into());
        new.port = Some(port);
    }
    let account = engine.add_account(new).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    (engine, rx, account)
}

/// Polls the live room state until `pred` holds.
async fn wait_room(
    engine: &Engine,
    account: i64,
    room: &str,
    what: &str,
    pred: impl Fn(&RoomState) -> bool,
) -> RoomState {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let state = engine.room(account, room);
        if pred(&state) {
            return state;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; room is {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn nicks(state: &RoomState) -> Vec<String> {
    state.occupants.iter().map(|o| o.nick.clone()).collect()
}

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
    assert_eq!(bob_entry.affiliation, "owner", "bob created the room");
    assert_eq!(bob_entry.role, "moderator");

    // Room history on join arrives once, with the sender's nickname.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine
        .store()
        .count_messages(account.id, &room)
        .await
        .unwrap()
        < 1
    {
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
    while engine
        .store()
        .count_messages(account.id, &room)
        .await
        .unwrap()
        < 2
    {
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
    assert_eq!(sent.state, "pending");
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
        let row = engine.store().message(sent.id).await.unwrap().unwrap();
        if row.state == "delivered" {
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
            .filter(|r| r.state == "system")
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
        engine
            .store()
            .count_messages(account.id, &room)
            .await
            .unwrap(),
        8,
        "room history after rejoining is deduplicated by the room's stanza-id"
    );

    bob.close().await;
    carol.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

fn bookmark_publish(room: &str, nick: &str, autojoin: bool) -> String {
    format!(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'>\
           <publish node='urn:xmpp:bookmarks:1'><item id='{room}'>\
             <conference xmlns='urn:xmpp:bookmarks:1' name='Lounge' autojoin='{autojoin}'><nick>{nick}</nick></conference>\
           </item></publish>\
           <publish-options><x xmlns='jabber:x:data' type='submit'>\
             <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>\
             <field var='pubsub#persist_items'><value>true</value></field>\
             <field var='pubsub#max_items'><value>max</value></field>\
             <field var='pubsub#send_last_published_item'><value>never</value></field>\
             <field var='pubsub#access_model'><value>whitelist</value></field>\
           </x></publish-options>\
         </pubsub>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bookmark_made_on_another_client_joins_the_room_live_and_on_a_new_install() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("bookclub@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;

    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine1 = engine(&server, Some(temp_db("bookmarks")), true, passwords.clone()).await;
    let mut rx = engine1.subscribe();
    let account = engine1.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine1, &mut rx, account.id).await;
    // Let our presence with caps (bookmarks+notify, XEP-0115) reach the server first.
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Alice's phone bookmarks the room with autojoin (XEP-0402): Linnet joins it live.
    let mut phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let answer = phone
        .command(json!({"cmd": "iq", "type": "set", "to": alice,
            "xml": bookmark_publish(&room, "AliceB", true)}))
        .await
        .unwrap();
    assert_eq!(answer["type"], "result", "{answer}");
    let state = wait_room(
        &engine1,
        account.id,
        &room,
        "the bookmarked room joined",
        |s| s.joined,
    )
    .await;
    assert_eq!(state.nick, "AliceB", "the bookmark's nickname");
    assert_eq!(engine1.rooms(account.id).await.unwrap().len(), 1);

    // A new install of Linnet for the same account finds the bookmark on connect.
    let engine2 = engine(&server, Some(temp_db("bookmarks-new")), true, passwords).await;
    let mut rx2 = engine2.subscribe();
    engine1.shutdown().await;
    let account2 = engine2
        .add_account(common::account(&server, &alice))
        .await
        .unwrap();
    wait_online(&engine2, &mut rx2, account2.id).await;
    wait_room(
        &engine2,
        account2.id,
        &room,
        "the bookmarked room joined on connect",
        |s| s.joined,
    )
    .await;

    // The phone turns autojoin off: Linnet leaves the room.
    let answer = phone
        .command(json!({"cmd": "iq", "type": "set", "to": alice,
            "xml": bookmark_publish(&room, "AliceB", false)}))
        .await
        .unwrap();
    assert_eq!(answer["type"], "result", "{answer}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !engine2.rooms(account2.id).await.unwrap().is_empty()
        || engine2.room(account2.id, &room).joined
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the room was not left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!engine2.room(account2.id, &room).joined);

    phone.close().await;
    bob.close().await;
    engine2.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_lost_connection_the_room_is_rejoined_and_missed_messages_come_once() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("ops@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    let target = format!("{}:{}", server.host(), server.c2s_port())
        .parse()
        .unwrap();
    let proxy = linnet_testkit::FaultProxy::start(target).await.unwrap();
    let (engine, mut rx, account) =
        alice_online_via(&server, &alice, "muc-rejoin", Some(proxy.port())).await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(&engine, account.id, &room, "alice joined", |s| s.joined).await;
    raw(
        &mut bob,
        format!("<message to='{room}' type='groupchat'><body>before the drop</body></message>"),
    )
    .await;

    // Alice's network goes away long enough for the server to drop her from the room.
    proxy.refuse(true);
    proxy.cut();
    raw(
        &mut bob,
        format!(
            "<message to='{room}' type='groupchat'><body>while alice was away</body></message>"
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.heal();
    wait_online(&engine, &mut rx, account.id).await;
    wait_room(&engine, account.id, &room, "the room rejoined", |s| {
        s.joined
    })
    .await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let bodies = loop {
        let rows = engine.messages(account.id, &room, None, 50).await.unwrap();
        let bodies: Vec<String> = rows.into_iter().map(|r| r.body).collect();
        if bodies.iter().any(|b| b == "while alice was away")
            || tokio::time::Instant::now() > deadline
        {
            tokio::time::sleep(Duration::from_secs(1)).await;
            break engine
                .messages(account.id, &room, None, 50)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.body)
                .collect::<Vec<_>>();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        bodies,
        vec!["before the drop", "while alice was away"],
        "missed message once, nothing twice"
    );

    bob.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

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
    while engine
        .store()
        .count_messages(account.id, &room)
        .await
        .unwrap()
        < 20
    {
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
async fn invitations_both_ways() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("party@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob_jid = server.register("bob", "bob-pw").await.unwrap();
    let dave_jid = server.register("dave", "dave-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    let mut dave = server.peer("dave", "dave-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;

    let (engine, mut rx, account) = alice_online(&server, &alice, "muc-invites").await;

    // Mediated through the room (XEP-0045 §7.8.2).
    raw(&mut bob, format!(
        "<message to='{room}'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='{alice}'><reason>come over</reason></invite></x></message>"
    )).await;
    let ev = wait_event(
        &mut rx,
        Duration::from_secs(10),
        "the mediated invitation",
        |e| matches!(e, EngineEvent::RoomInvite { .. }),
    )
    .await;
    assert_eq!(
        ev,
        EngineEvent::RoomInvite {
            account_id: account.id,
            room: room.clone(),
            // The room hides real JIDs: the inviter is named by their occupant JID.
            from: Some(format!("{room}/Bob")),
            reason: Some("come over".into())
        }
    );
    // Direct (XEP-0249).
    raw(&mut bob, format!(
        "<message to='{alice}'><x xmlns='jabber:x:conference' jid='{room}' reason='direct one'/></message>"
    )).await;
    let ev = wait_event(
        &mut rx,
        Duration::from_secs(10),
        "the direct invitation",
        |e| matches!(e, EngineEvent::RoomInvite { .. }),
    )
    .await;
    assert_eq!(
        ev,
        EngineEvent::RoomInvite {
            account_id: account.id,
            room: room.clone(),
            from: Some(bob_jid.clone()),
            reason: Some("direct one".into())
        }
    );

    // Accepting is joining; then alice invites dave.
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(&engine, account.id, &room, "alice joined", |s| s.joined).await;
    engine
        .invite_to_room(account.id, &room, &dave_jid, Some("you too".into()), false)
        .await
        .unwrap();
    let got = dave
        .wait_for(Duration::from_secs(10), "alice's invitation at dave", |e| {
            e["event"] == "invite"
        })
        .await
        .unwrap();
    assert_eq!(got["room"], room);
    assert_eq!(got["reason"], "you too");
    assert_eq!(
        got["from"],
        format!("{room}/Alice"),
        "sent through the room, from alice"
    );
    // A direct invitation (XEP-0249) goes straight to dave, from alice's own JID.
    engine
        .invite_to_room(account.id, &room, &dave_jid, Some("directly".into()), true)
        .await
        .unwrap();
    let got = dave
        .wait_for(Duration::from_secs(10), "alice's direct invitation", |e| {
            e["event"] == "message" && !e["direct_invite"].is_null()
        })
        .await
        .unwrap();
    assert_eq!(got["direct_invite"], room);
    assert_eq!(got["invite_reason"], "directly");
    assert!(
        got["from"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!("{alice}/")),
        "from alice herself: {got}"
    );

    bob.close().await;
    dave.close().await;
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
    assert_eq!(state.occupants[0].affiliation, "owner");

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
        engine
            .store()
            .count_messages(account.id, &room)
            .await
            .unwrap(),
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

/// The peer sends an IQ to the room and expects a result (XEP-0045 admin and owner use cases).
async fn room_iq(peer: &mut Peer, room: &str, xml: &str) {
    let answer = peer
        .command(json!({"cmd": "iq", "type": "set", "to": room, "xml": xml}))
        .await
        .unwrap();
    assert_eq!(answer["type"], "result", "{answer}");
}

/// Bodies of the room's timeline, oldest first, once `pred` holds for them (or after 15 s).
async fn timeline_until(
    engine: &Engine,
    account: i64,
    room: &str,
    pred: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let rows = engine.messages(account, room, None, 100).await.unwrap();
        let bodies: Vec<String> = rows.into_iter().map(|r| r.body).collect();
        if pred(&bodies) || tokio::time::Instant::now() > deadline {
            return bodies;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_prosody_restart_the_room_is_rejoined_and_missed_messages_come_once() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("standup@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    // A persistent room (§10.2), so it and its archive outlive the restart.
    room_iq(
        &mut bob,
        &room,
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
         <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>\
         <field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query>",
    )
    .await;
    let target = format!("{}:{}", server.host(), server.c2s_port())
        .parse()
        .unwrap();
    let proxy = linnet_testkit::FaultProxy::start(target).await.unwrap();
    let (engine, mut rx, account) =
        alice_online_via(&server, &alice, "muc-restart", Some(proxy.port())).await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(&engine, account.id, &room, "alice joined", |s| s.joined).await;
    raw(
        &mut bob,
        format!("<message to='{room}' type='groupchat'><body>before the restart</body></message>"),
    )
    .await;
    let bodies = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "before the restart")
    })
    .await;
    assert!(
        bodies.iter().any(|b| b == "before the restart"),
        "{bodies:?}"
    );

    // Prosody goes down; while it comes back alice cannot reach it yet, and bob says
    // something in the room she is not in.
    server.stop().await.unwrap();
    wait_event(
        &mut rx,
        Duration::from_secs(15),
        "alice reconnecting",
        |e| is_state(e, account.id, "reconnecting"),
    )
    .await;
    proxy.refuse(true);
    server.restart().await.unwrap();
    drop(bob);
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    raw(
        &mut bob,
        format!("<message to='{room}' type='groupchat'><body>while alice was out</body></message>"),
    )
    .await;
    proxy.heal();
    wait_online(&engine, &mut rx, account.id).await;
    let state = wait_room(&engine, account.id, &room, "the room rejoined", |s| {
        s.joined && s.occupants.len() == 2
    })
    .await;
    assert_eq!(nicks(&state), vec!["Alice", "Bob"]);
    raw(
        &mut bob,
        format!("<message to='{room}' type='groupchat'><body>welcome back</body></message>"),
    )
    .await;
    let all = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "welcome back")
    })
    .await;
    // Let any late history or archive page land before counting.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let bodies: Vec<String> = engine
        .messages(account.id, &room, None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.state != "system")
        .map(|r| r.body)
        .collect();
    assert_eq!(
        bodies,
        vec!["before the restart", "while alice was out", "welcome back"],
        "each message once, in order (whole timeline: {all:?})"
    );

    bob.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subject_kick_ban_and_destroy_are_shown_and_explained() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("club@{muc}");
    let doomed = format!("doomed@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    server.register("carol", "carol-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    let mut carol = server.peer("carol", "carol-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    enter(&mut bob, &doomed, "Bob").await;
    enter(&mut carol, &room, "Carol").await;

    let (engine, _rx, account) = alice_online(&server, &alice, "muc-moderation").await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    engine
        .join_room(account.id, &doomed, "Alice")
        .await
        .unwrap();
    wait_room(&engine, account.id, &room, "alice in the club", |s| {
        s.joined && s.occupants.len() == 3
    })
    .await;
    wait_room(
        &engine,
        account.id,
        &doomed,
        "alice in the doomed room",
        |s| s.joined,
    )
    .await;

    // §8.1: the subject.
    raw(
        &mut bob,
        format!("<message to='{room}' type='groupchat'><subject>Friday plans</subject></message>"),
    )
    .await;
    wait_room(&engine, account.id, &room, "the subject", |s| {
        s.subject.as_deref() == Some("Friday plans")
    })
    .await;

    // §8.2: a moderator kicks Carol.
    room_iq(
        &mut bob,
        &room,
        "<query xmlns='http://jabber.org/protocol/muc#admin'>\
         <item nick='Carol' role='none'><reason>off topic</reason></item></query>",
    )
    .await;
    let state = wait_room(&engine, account.id, &room, "carol gone", |s| {
        s.occupants.len() == 2
    })
    .await;
    assert_eq!(nicks(&state), vec!["Alice", "Bob"]);
    let bodies = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "Carol was removed from the room.")
    })
    .await;
    assert!(
        bodies
            .iter()
            .any(|b| b == "Carol was removed from the room."),
        "{bodies:?}"
    );

    // §9.1: an admin bans alice; she is told, and the room is not rejoined.
    room_iq(
        &mut bob,
        &room,
        &format!(
            "<query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item jid='{alice}' affiliation='outcast'/></query>"
        ),
    )
    .await;
    let state = wait_room(&engine, account.id, &room, "alice banned", |s| {
        !s.joined && s.error.is_some()
    })
    .await;
    assert_eq!(
        state.error.as_deref(),
        Some("You were banned from the room.")
    );
    let bodies = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "You were banned from the room.")
    })
    .await;
    assert!(
        bodies.iter().any(|b| b == "You were banned from the room."),
        "{bodies:?}"
    );
    // Trying again is refused by the room and explained.
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    let state = wait_room(&engine, account.id, &room, "the refusal", |s| {
        s.error.as_deref() == Some("You are banned from this room.")
    })
    .await;
    assert!(!state.joined);

    // §10.9: the owner destroys the other room.
    room_iq(
        &mut bob,
        &doomed,
        "<query xmlns='http://jabber.org/protocol/muc#owner'>\
         <destroy><reason>no longer needed</reason></destroy></query>",
    )
    .await;
    let state = wait_room(&engine, account.id, &doomed, "the room destroyed", |s| {
        !s.joined && s.error.is_some()
    })
    .await;
    assert_eq!(state.error.as_deref(), Some("The room was destroyed."));
    // Both stay listed with the reason, and neither is rejoined on the next connect.
    let rooms = engine.rooms(account.id).await.unwrap();
    let listed: Vec<(&str, bool)> = rooms.iter().map(|r| (r.jid.as_str(), r.autojoin)).collect();
    assert_eq!(
        listed,
        vec![(room.as_str(), false), (doomed.as_str(), false)]
    );

    bob.close().await;
    carol.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_that_silently_forgot_us_is_found_by_self_ping_and_rejoined() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("quiet@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;

    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine_with_self_ping(
        &server,
        Some(temp_db("muc-self-ping")),
        true,
        passwords,
        Some(Duration::from_secs(2)),
    )
    .await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(&engine, account.id, &room, "alice joined", |s| {
        s.joined && s.occupants.len() == 2
    })
    .await;

    bob.wait_for(Duration::from_secs(10), "alice's arrival", |e| {
        e["event"] == "presence" && e["from"] == format!("{room}/Alice")
    })
    .await
    .unwrap();
    // While the room is quiet and we are in it, self-pings are answered and change nothing:
    // bob sees alice neither leave nor join.
    let churn = bob
        .collect(Duration::from_secs(5), |e| {
            e["event"] == "presence" && e["from"] == format!("{room}/Alice")
        })
        .await;
    assert!(churn.is_empty(), "no rejoin while joined: {churn:?}");

    // The room forgets alice without telling anyone (as after a MUC component restart
    // behind a server-to-server link): no presence reaches her client.
    let lua = format!(
        "> local r = prosody.hosts[\"{muc}\"].modules.muc.get_room_from_jid(\"{room}\"); \
         local o = r:get_occupant_by_nick(\"{room}/Alice\"); o.role = nil; r:save_occupant(o)"
    );
    server.shell(&lua).await.unwrap();
    raw(
        &mut bob,
        format!("<message to='{room}' type='groupchat'><body>are you there?</body></message>"),
    )
    .await;

    // Within a few idle periods the self-ping says she is not in the room, and she rejoins;
    // the message she missed arrives with the join history, once.
    bob.wait_for(Duration::from_secs(20), "alice back in the room", |e| {
        e["event"] == "presence" && e["from"] == format!("{room}/Alice") && e["type"] == "available"
    })
    .await
    .unwrap();
    let bodies = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "are you there?")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again: Vec<String> = engine
        .messages(account.id, &room, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(
        again,
        vec!["are you there?"],
        "once (first seen: {bodies:?})"
    );
    let state = wait_room(&engine, account.id, &room, "occupants after rejoin", |s| {
        s.joined && s.occupants.len() == 2
    })
    .await;
    assert_eq!(nicks(&state), vec!["Alice", "Bob"]);

    bob.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_configures_the_room_with_its_form_and_others_are_refused_in_words() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("planning@{muc}");
    let bobs = format!("bobs@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &bobs, "Bob").await;

    let (engine, _rx, account) = alice_online(&server, &alice, "muc-config").await;

    // Alice creates a room, then changes its name and makes it persistent through the form.
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(&engine, account.id, &room, "alice's new room", |s| s.joined).await;
    let form = engine.room_config(account.id, &room).await.unwrap();
    let field = |var: &str| form.fields.iter().find(|f| f.var == var).cloned();
    let name = field("muc#roomconfig_roomname").expect("a room name field");
    assert_eq!(name.kind, "text-single");
    let persistent = field("muc#roomconfig_persistentroom").expect("a persistence field");
    assert_eq!(persistent.kind, "boolean");
    assert!(form
        .fields
        .iter()
        .any(|f| f.kind == "list-single" && !f.options.is_empty()));
    engine
        .set_room_config(
            account.id,
            &room,
            vec![
                linnet_engine::FieldValues {
                    var: "muc#roomconfig_roomname".into(),
                    values: vec!["Planning & <Ops>".into()],
                },
                linnet_engine::FieldValues {
                    var: "muc#roomconfig_persistentroom".into(),
                    values: vec!["1".into()],
                },
            ],
        )
        .await
        .unwrap();
    let again = engine.room_config(account.id, &room).await.unwrap();
    let values = |var: &str| {
        again
            .fields
            .iter()
            .find(|f| f.var == var)
            .map(|f| f.values.clone())
            .unwrap_or_default()
    };
    assert_eq!(values("muc#roomconfig_roomname"), vec!["Planning & <Ops>"]);
    assert!(matches!(
        values("muc#roomconfig_persistentroom")
            .first()
            .map(String::as_str),
        Some("1" | "true")
    ));
    // Another client sees the new name in the room's disco#info (XEP-0045 §6.4).
    let info = bob
        .command(json!({"cmd": "iq", "type": "get", "to": room,
            "xml": "<query xmlns='http://jabber.org/protocol/disco#info'/>"}))
        .await
        .unwrap();
    let xml = info["xml"].as_str().unwrap_or_default();
    assert!(xml.contains("Planning &amp; &lt;Ops&gt;"), "{xml}");
    assert!(xml.contains("muc_persistent"), "{xml}");

    // In bob's room alice is no owner: refused, in words.
    engine.join_room(account.id, &bobs, "Alice").await.unwrap();
    wait_room(&engine, account.id, &bobs, "alice in bob's room", |s| {
        s.joined
    })
    .await;
    let refused = engine.room_config(account.id, &bobs).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        linnet_engine::EngineError::Server(
            "Only the room's owners can change its settings.".into()
        )
        .to_string()
    );

    bob.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

/// The XEP-0048 list in alice's private XML storage (XEP-0049), as `(room, autojoin, nick)`.
async fn private_bookmarks(phone: &mut Peer) -> Vec<(String, bool, String)> {
    let own = phone.bare();
    let answer = phone
        .command(json!({"cmd": "iq", "type": "get", "to": own,
            "xml": "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>"}))
        .await
        .unwrap();
    assert_eq!(answer["type"], "result", "{answer}");
    let iq: tokio_xmpp::minidom::Element = answer["xml"].as_str().unwrap().parse().unwrap();
    let storage = iq
        .get_child("query", "jabber:iq:private")
        .and_then(|q| q.get_child("storage", "storage:bookmarks"))
        .cloned();
    storage
        .map(|s| {
            s.children()
                .filter(|c| c.name() == "conference")
                .map(|c| {
                    (
                        c.attr("jid").unwrap_or_default().to_owned(),
                        matches!(c.attr("autojoin"), Some("true" | "1")),
                        c.children()
                            .find(|n| n.name() == "nick")
                            .map(|n| n.text())
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_xep_0402_rooms_are_kept_in_xep_0048_private_storage() {
    init_tracing();
    let mut server = linnet_testkit::Server::start_with(&["--no-bookmarks2"])
        .await
        .expect("the Prosody harness must start");
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let lounge = format!("lounge@{muc}");
    let archive = format!("archive@{muc}");
    let ops = format!("ops@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    // Another client of alice's, on a server without XEP-0402, keeps two bookmarks.
    let mut phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let set = phone
        .command(
            json!({"cmd": "iq", "type": "set", "to": alice, "xml": format!(
            "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>\
             <conference jid='{lounge}' autojoin='true' name='Lounge'><nick>Al</nick></conference>\
             <conference jid='{archive}' autojoin='false'/></storage></query>")}),
        )
        .await
        .unwrap();
    assert_eq!(set["type"], "result", "{set}");

    let (engine, _rx, account) = alice_online(&server, &alice, "muc-xep-0048").await;
    // The autojoin bookmark is joined with its nickname; the other one is not.
    let state = wait_room(&engine, account.id, &lounge, "the lounge joined", |s| {
        s.joined
    })
    .await;
    assert_eq!(state.nick, "Al");
    let rooms: Vec<String> = engine
        .rooms(account.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.jid)
        .collect();
    assert_eq!(rooms, vec![lounge.clone()]);

    // Joining here adds to the list, keeping the others; leaving removes only that room.
    engine.join_room(account.id, &ops, "Alice").await.unwrap();
    wait_room(&engine, account.id, &ops, "ops joined", |s| s.joined).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut list = private_bookmarks(&mut phone).await;
    while !list.iter().any(|(jid, ..)| jid == &ops) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        list = private_bookmarks(&mut phone).await;
    }
    list.sort();
    assert_eq!(
        list,
        vec![
            (archive.clone(), false, String::new()),
            (lounge.clone(), true, "Al".to_owned()),
            (ops.clone(), true, "Alice".to_owned()),
        ]
    );
    engine.leave_room(account.id, &lounge).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut list = private_bookmarks(&mut phone).await;
    while list.iter().any(|(jid, ..)| jid == &lounge) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        list = private_bookmarks(&mut phone).await;
    }
    list.sort();
    assert_eq!(
        list,
        vec![
            (archive.clone(), false, String::new()),
            (ops.clone(), true, "Alice".to_owned()),
        ]
    );

    phone.close().await;
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
