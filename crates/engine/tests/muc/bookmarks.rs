//! Bookmarks (XEP-0402) from another client, joined live and on a new install; the XEP-0048
//! private storage (XEP-0049) fallback when the server lacks XEP-0402.

use std::sync::Arc;
use std::time::Duration;

use linnet_testkit::Peer;
use serde_json::json;

use crate::common::{self, account, engine, init_tracing, server, temp_db, wait_online, Passwords};
use crate::fixtures::{alice_online, enter, wait_room};

/// The IQ payload publishing alice's XEP-0402 bookmark of `room`, named "Lounge", with `nick`
/// and `autojoin`.
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
