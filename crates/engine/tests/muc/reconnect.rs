//! Rooms rejoined after a lost connection and after a Prosody restart, missed messages once;
//! a room that silently forgot us found by self-ping (XEP-0410) and rejoined.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{
    account, engine_with_self_ping, is_state, server, temp_db, wait_event, wait_online, Passwords,
};
use crate::fixtures::{alice_online_via, enter, nicks, raw, room_iq, timeline_until, wait_room};
use linnet_engine::MessageState;

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
        .filter(|r| r.state != MessageState::System)
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
