//! OMEMO in group chats (XEP-0384 §6) with two python-omemo peers (slixmpp-omemo, the
//! harness peer with `--omemo`): in a members-only, non-anonymous room of three, messages are
//! encrypted both ways and each side reads the others'; in an open room, encryption is refused
//! with the reason and nothing is sent.

use std::time::Duration;

use serde_json::json;

use crate::common::omemo::{assert_delivered, devices_of, settled};
use crate::common::server;
use crate::fixtures::{alice_online, enter, room_iq, timeline_until, wait_room};

const ROOM_CONFIG: &str = "<query xmlns='http://jabber.org/protocol/muc#owner'>\
    <x xmlns='jabber:x:data' type='submit'>\
    <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>\
    <field var='muc#roomconfig_membersonly'><value>1</value></field>\
    <field var='muc#roomconfig_whois'><value>anyone</value></field>\
    <field var='muc#roomconfig_persistentroom'><value>1</value></field>\
    </x></query>";

fn member(jid: &str) -> String {
    format!(
        "<query xmlns='http://jabber.org/protocol/muc#admin'>\
         <item affiliation='member' jid='{jid}'/></query>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_only_non_anonymous_room_of_three_is_encrypted_both_ways() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("secret@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let carol = server.register("carol", "carol-pw").await.unwrap();
    let (engine, _rx, account) = alice_online(&server, &alice, "muc-omemo").await;

    let mut bob_peer = server
        .peer_with_flags("bob", "bob-pw", &["--omemo"])
        .await
        .unwrap();
    let mut carol_peer = server
        .peer_with_flags("carol", "carol-pw", &["--omemo"])
        .await
        .unwrap();
    devices_of(&mut bob_peer, &alice).await;
    devices_of(&mut carol_peer, &alice).await;
    // Dave is a member with an OMEMO device, not in the room now: he reads later, from the
    // room's archive, so our messages are encrypted for him too.
    let dave = server.register("dave", "dave-pw").await.unwrap();
    let mut dave_peer = server
        .peer_with_flags("dave", "dave-pw", &["--omemo"])
        .await
        .unwrap();
    let dave_device = dave_peer
        .command(json!({"cmd": "omemo_info"}))
        .await
        .unwrap()["device_id"]
        .as_u64()
        .unwrap();
    dave_peer.close().await;
    enter(&mut bob_peer, &room, "Bob").await;
    room_iq(&mut bob_peer, &room, ROOM_CONFIG).await;
    for jid in [&alice, &carol, &dave] {
        room_iq(&mut bob_peer, &room, &member(jid)).await;
    }
    enter(&mut carol_peer, &room, "Carol").await;
    // Before Alice enters, Bob writes 22 encrypted messages for the members: she reads the
    // newest 20 in the history the room sends as she joins, the two before from the room's
    // archive when she scrolls back (out of order for the ratchet: kept keys).
    for i in 0..22 {
        bob_peer
            .command(json!({"cmd": "omemo_send", "to": room, "type": "groupchat",
                "recipients": [alice, carol, dave], "body": format!("before you came {i}"),
                "generation": "omemo2"}))
            .await
            .unwrap();
    }
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(
        &engine,
        account.id,
        &room,
        "everyone in, with real JIDs",
        |s| s.joined && s.occupants.iter().filter(|o| o.jid.is_some()).count() == 3,
    )
    .await;

    let joined = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "before you came 21")
    })
    .await;
    assert!(
        joined.len() < 22,
        "some are left for the archive: {joined:?}"
    );
    for _ in 0..5 {
        let page = engine.fetch_history(account.id, &room).await.unwrap();
        if page.complete || page.stored == 0 {
            break;
        }
    }
    let history = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "before you came 0")
    })
    .await;
    let expected: Vec<String> = (0..22).map(|i| format!("before you came {i}")).collect();
    assert_eq!(history, expected, "all decrypted, once, in order");

    // Bob writes encrypted (OMEMO 2) to the room's members: we read it, and the room's
    // encryption turns on by itself.
    let answer = bob_peer
        .command(json!({"cmd": "omemo_send", "to": room, "type": "groupchat",
            "recipients": [alice, carol], "body": "only for members", "generation": "omemo2"}))
        .await
        .unwrap();
    assert_eq!(answer["errors"], json!([]), "{answer}");
    let bodies = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "only for members")
    })
    .await;
    assert!(bodies.iter().any(|b| b == "only for members"), "{bodies:?}");
    let rows = engine.messages(account.id, &room, None, 50).await.unwrap();
    let row = rows.iter().find(|r| r.body == "only for members").unwrap();
    assert_eq!(
        (row.encryption.as_str(), row.sender.as_deref()),
        ("omemo2", Some("Bob"))
    );
    assert_eq!(
        engine
            .conversation_encryption(account.id, &room)
            .await
            .unwrap(),
        Some(true)
    );

    // Carol writes in the legacy generation (as Conversations and Dino do).
    carol_peer
        .command(json!({"cmd": "omemo_send", "to": room, "type": "groupchat",
            "recipients": [alice, bob], "body": "legacy in the room", "generation": "legacy"}))
        .await
        .unwrap();
    let bodies = timeline_until(&engine, account.id, &room, |b| {
        b.iter().any(|b| b == "legacy in the room")
    })
    .await;
    assert!(
        bodies.iter().any(|b| b == "legacy in the room"),
        "{bodies:?}"
    );

    // Our answer reaches both (OMEMO 2: both devices are on that list); the room's
    // reflection marks it delivered and stores nothing more.
    let sent = engine
        .send_message(account.id, &room, "hello, both of you")
        .await
        .unwrap();
    assert_eq!(sent.encryption, "omemo");
    for (peer, generation) in [(&mut bob_peer, "omemo2"), (&mut carol_peer, "omemo2")] {
        let got = peer
            .wait_for(Duration::from_secs(15), "our encrypted room message", |e| {
                e["event"] == "message" && e["body"] == "hello, both of you"
            })
            .await
            .unwrap();
        assert_eq!(
            (got["encrypted"].as_str(), got["type"].as_str()),
            (Some(generation), Some("groupchat")),
            "{got}"
        );
        let rids = got["omemo_rids"].as_array().cloned().unwrap_or_default();
        assert!(
            rids.iter().any(|r| r.as_u64() == Some(dave_device)),
            "the absent member's device gets a key: {rids:?}"
        );
    }
    assert_delivered(&settled(&engine, sent.id).await);
    // The reflection (our origin-id) marks it delivered.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while engine.message(sent.id).await.unwrap().unwrap().state
        != linnet_engine::MessageState::Delivered
    {
        assert!(tokio::time::Instant::now() < deadline, "never reflected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bodies: Vec<String> = engine
        .messages(account.id, &room, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(
        bodies.iter().filter(|b| *b == "hello, both of you").count(),
        1,
        "{bodies:?}"
    );
    assert!(
        !bodies.iter().any(|b| b.contains("could not be decrypted")),
        "{bodies:?}"
    );

    bob_peer.close().await;
    carol_peer.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_room_refuses_encryption_with_the_reason() {
    let mut server = server().await;
    let muc = server.info["muc"].as_str().unwrap().to_owned();
    let room = format!("lobby@{muc}");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    let (engine, _rx, account) = alice_online(&server, &alice, "muc-omemo-open").await;
    let mut bob_peer = server.peer("bob", "bob-pw", false).await.unwrap();
    enter(&mut bob_peer, &room, "Bob").await;
    engine.join_room(account.id, &room, "Alice").await.unwrap();
    wait_room(&engine, account.id, &room, "alice joined", |s| s.joined).await;
    engine
        .set_conversation_encryption(account.id, &room, true)
        .await
        .unwrap();
    let sent = engine
        .send_message(account.id, &room, "must stay unsent")
        .await
        .unwrap();
    let failed = settled(&engine, sent.id).await;
    assert_eq!(failed.state, linnet_engine::MessageState::Failed);
    let error = failed.error.unwrap_or_default();
    assert!(
        error.contains("OMEMO needs a members-only, non-anonymous room"),
        "{error}"
    );
    let leaked = bob_peer
        .collect(Duration::from_secs(2), |e| {
            e["event"] == "message" && e["body"] == "must stay unsent"
        })
        .await;
    assert!(leaked.is_empty(), "{leaked:?}");
    bob_peer.close().await;
    server.shutdown().await;
}
