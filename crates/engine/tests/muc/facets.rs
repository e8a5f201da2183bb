//! What group messages do to each other in a room, with slixmpp occupants: corrections,
//! reactions and retractions count only from the message's own occupant; a moderator's
//! retraction (XEP-0425, Prosody's `mod_muc_moderation` from `prosody-modules`) comes only
//! from the room itself; chat states name the occupant.

use std::time::Duration;

use linnet_engine::{ChatStateName, Engine, EngineEvent, MessageRow};
use linnet_testkit::Peer;
use serde_json::{json, Value};

use crate::common::{server, wait_event};
use crate::fixtures::{alice_online, enter, raw, wait_room};

const WAIT: Duration = Duration::from_secs(15);

/// The stored group message for which `pred` holds, once it does.
async fn room_row(
    engine: &Engine,
    account: i64,
    room: &str,
    what: &str,
    pred: impl Fn(&MessageRow) -> bool,
) -> MessageRow {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let rows = engine.messages(account, room, None, 100).await.unwrap();
        if let Some(row) = rows.into_iter().find(|r| pred(r)) {
            return row;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn command(peer: &mut Peer, cmd: Value) -> Value {
    let reply = peer.command(cmd).await.unwrap();
    assert_eq!(reply["ok"], true, "peer command failed: {reply}");
    reply
}

/// A group message from `peer`; its stanza id (the id attribute it was sent with).
async fn say(peer: &mut Peer, room: &str, body: &str) -> String {
    let reply = command(
        peer,
        json!({"cmd": "send", "to": room, "body": body, "type": "groupchat"}),
    )
    .await;
    reply["msg_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_room_amendments_count_only_from_the_occupant_who_wrote() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("facets@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    server.register("carol", "carol-pw").await.unwrap();
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    let mut carol = server.peer("carol", "carol-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    enter(&mut carol, &room, "Carol").await;
    let (engine, mut rx, account) = alice_online(&server, &alice, "muc-facets").await;
    let account = account.id;
    engine.join_room(account, &room, "Alice").await.unwrap();
    wait_room(&engine, account, &room, "alice in", |s| {
        s.joined && s.occupants.len() == 3
    })
    .await;

    let bob_id = say(&mut bob, &room, "helo all").await;
    let original = room_row(&engine, account, &room, "bob's message", |r| {
        r.body == "helo all"
    })
    .await;
    let stanza_id = original.stanza_id.clone().expect("the room's stanza-id");

    // Carol forges corrections and a retraction of bob's message: nothing changes.
    let forge = |cmd: &str| json!({"cmd": cmd, "to": room, "type": "groupchat", "target_id": bob_id, "body": "bob is wrong"});
    command(&mut carol, forge("correct")).await;
    let mut retract = forge("retract");
    retract["target_id"] = json!(stanza_id);
    command(&mut carol, retract).await;
    say(&mut carol, &room, "carol probe").await;
    room_row(&engine, account, &room, "carol's probe", |r| {
        r.body == "carol probe"
    })
    .await;
    let row = engine.message(original.id).await.unwrap().unwrap();
    assert!(!row.edited && !row.retracted, "{row:?}");

    // Bob's own correction applies in place.
    command(
        &mut bob,
        json!({"cmd": "correct", "to": room, "type": "groupchat", "target_id": bob_id, "body": "hello all"}),
    )
    .await;
    let fixed = room_row(&engine, account, &room, "bob's correction", |r| {
        r.id == original.id && r.edited
    })
    .await;
    assert_eq!(fixed.body, "hello all");

    // Carol reacts by the room's stanza-id (XEP-0444 §4); alice's reaction reaches both.
    command(
        &mut carol,
        json!({"cmd": "react", "to": room, "type": "groupchat", "target_id": stanza_id, "emojis": ["👋"]}),
    )
    .await;
    let reacted = room_row(&engine, account, &room, "carol's reaction", |r| {
        r.id == original.id && !r.reactions.is_empty()
    })
    .await;
    assert_eq!(reacted.reactions[0].sender, "Carol");
    engine
        .react_to_message(account, original.id, &["👍".to_owned()])
        .await
        .unwrap();
    let seen = bob
        .wait_for(WAIT, "alice's reaction in the room", |e| {
            e["event"] == "message" && e["reactions"]["emojis"] == json!(["👍"])
        })
        .await
        .unwrap();
    assert_eq!(seen["reactions"]["id"], stanza_id.as_str());
    assert_eq!(seen["reactions"]["emojis"], json!(["👍"]));
    let mine = room_row(&engine, account, &room, "our reaction, once", |r| {
        r.id == original.id && r.reactions.len() == 2
    })
    .await;
    let ours: Vec<_> = mine.reactions.iter().filter(|r| r.ours).collect();
    assert_eq!(
        ours.len(),
        1,
        "the room's reflection of ours is not a second one: {mine:?}"
    );

    // Carol typing is told with her nick; her own stanzas store nothing new.
    command(
        &mut carol,
        json!({"cmd": "chat_state", "to": room, "type": "groupchat", "state": "composing"}),
    )
    .await;
    let ev = wait_event(
        &mut rx,
        WAIT,
        "carol typing",
        |e| matches!(e, EngineEvent::ChatState { sender: Some(s), .. } if s == "Carol"),
    )
    .await;
    let EngineEvent::ChatState { peer, state, .. } = ev else {
        unreachable!()
    };
    assert_eq!(
        (peer.as_str(), state),
        (room.as_str(), ChatStateName::Composing)
    );

    // Bob retracts his (by the room's stanza-id); alice retracts hers: bob sees it by the
    // room's id for it.
    command(
        &mut bob,
        json!({"cmd": "retract", "to": room, "type": "groupchat", "target_id": stanza_id}),
    )
    .await;
    room_row(&engine, account, &room, "bob's retraction", |r| {
        r.id == original.id && r.retracted && r.body.is_empty()
    })
    .await;
    let sent = engine
        .send_message(account, &room, "wrong room, sorry")
        .await
        .unwrap();
    let ours = room_row(&engine, account, &room, "our message reflected", |r| {
        r.id == sent.id && r.stanza_id.is_some()
    })
    .await;
    engine.retract_message(account, ours.id).await.unwrap();
    let ours_id = ours.stanza_id.clone().unwrap();
    let seen = bob
        .wait_for(WAIT, "alice's retraction, by the room's id for it", |e| {
            e["event"] == "message" && e["retract"] == ours_id.as_str()
        })
        .await
        .unwrap();
    assert_eq!(seen["from"], format!("{room}/Alice"));
    let count = engine.count_messages(account, &room).await.unwrap();
    assert_eq!(
        count, 3,
        "bob's, carol's probe, ours: amendments add no rows"
    );
    bob.close().await;
    carol.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_retracts_and_an_occupant_cannot_forge_it() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("moderated@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let (engine, _rx, account) = alice_online(&server, &alice, "muc-moderate").await;
    let account = account.id;
    // Alice creates the room, so she owns it and moderates it.
    engine.join_room(account, &room, "Alice").await.unwrap();
    wait_room(&engine, account, &room, "alice in", |s| s.joined).await;
    let mut bob = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob, &room, "Bob").await;
    say(&mut bob, &room, "buy cheap watches").await;
    say(&mut bob, &room, "and another thing").await;
    let spam = room_row(&engine, account, &room, "bob's spam", |r| {
        r.body == "buy cheap watches"
    })
    .await;
    let other = room_row(&engine, account, &room, "bob's second", |r| {
        r.body == "and another thing"
    })
    .await;

    // Bob, no moderator, forges the room's moderation announcement for his second message:
    // it comes from his occupant JID, not the room, so nothing happens.
    let forged = format!(
        "<message to='{room}' type='groupchat' id='forged-1'>\
           <retract id='{}' xmlns='urn:xmpp:message-retract:1'>\
             <moderated by='{room}/Alice' xmlns='urn:xmpp:message-moderate:1'/>\
           </retract>\
         </message>",
        other.stanza_id.clone().unwrap()
    );
    raw(&mut bob, forged).await;

    engine
        .moderate_message(account, spam.id, Some("spam"))
        .await
        .unwrap();
    let gone = room_row(&engine, account, &room, "the moderated message", |r| {
        r.id == spam.id && r.retracted
    })
    .await;
    assert_eq!(gone.body, "");
    assert_eq!(gone.moderated_by.as_deref(), Some("Alice"));
    assert_eq!(gone.retract_reason.as_deref(), Some("spam"));
    let other = engine.message(other.id).await.unwrap().unwrap();
    assert!(
        !other.retracted,
        "the forged moderation changed nothing: {other:?}"
    );

    // Bob cannot moderate: the room refuses him.
    let refused = command(
        &mut bob,
        json!({"cmd": "moderate", "room": room, "target_id": other.stanza_id.clone().unwrap()}),
    )
    .await;
    assert_eq!(refused["type"], "error", "{refused}");
    bob.close().await;
}
