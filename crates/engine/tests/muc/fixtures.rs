//! Helpers shared by the group chat tests of more than one concern: raw stanzas from a peer, a
//! peer entering a room, alice's engine online, and polling the room state and timeline.

use std::sync::Arc;
use std::time::Duration;

use linnet_engine::{Engine, EngineEvent, RoomState};
use linnet_testkit::Peer;
use serde_json::json;

use crate::common::{self, engine, temp_db, wait_online, Passwords};

/// The peer sends `xml` as it is (the harness peer's `raw` command).
pub(crate) async fn raw(peer: &mut Peer, xml: String) {
    peer.command(json!({"cmd": "raw", "xml": xml}))
        .await
        .unwrap();
}

/// The peer enters `room` as `nick` (XEP-0045 §7.2; creating it if needed) and waits for its
/// own presence from the room.
pub(crate) async fn enter(peer: &mut Peer, room: &str, nick: &str) {
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
pub(crate) async fn alice_online(
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
pub(crate) async fn alice_online_via(
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
pub(crate) async fn wait_room(
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

/// The occupants' nicknames, in the order the room state lists them.
pub(crate) fn nicks(state: &RoomState) -> Vec<String> {
    state.occupants.iter().map(|o| o.nick.clone()).collect()
}

/// The peer sends an IQ to the room and expects a result (XEP-0045 admin and owner use cases).
pub(crate) async fn room_iq(peer: &mut Peer, room: &str, xml: &str) {
    let answer = peer
        .command(json!({"cmd": "iq", "type": "set", "to": room, "xml": xml}))
        .await
        .unwrap();
    assert_eq!(answer["type"], "result", "{answer}");
}

/// Bodies of the room's timeline, oldest first, once `pred` holds for them (or after 15 s).
pub(crate) async fn timeline_until(
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
