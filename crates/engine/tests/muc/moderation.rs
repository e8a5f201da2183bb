//! Room subject, kick, ban and destroy shown and explained; the owner's room configuration
//! form, and others refused in words.

use serde_json::json;

use crate::common::server;
use crate::fixtures::{alice_online, enter, nicks, raw, room_iq, timeline_until, wait_room};

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
