//! Invitations both ways: mediated through the room (XEP-0045) and direct (XEP-0249).

use std::time::Duration;

use linnet_engine::EngineEvent;

use crate::common::{server, wait_event};
use crate::fixtures::{alice_online, enter, raw, wait_room};

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
