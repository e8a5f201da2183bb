//! Helpers for the OMEMO tests (python-omemo as the harness peer).

use std::time::Duration;

use linnet_engine::{Engine, EngineEvent, MessageRow};
use linnet_testkit::Peer;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use super::wait_event;

/// Polls the peer's view of `jid`'s devices until one is there (our publish is asynchronous).
pub async fn devices_of(peer: &mut Peer, jid: &str) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let answer = peer
            .command(json!({"cmd": "omemo_devices", "jid": jid}))
            .await
            .unwrap();
        let devices = answer["devices"].as_array().cloned().unwrap_or_default();
        if !devices.is_empty() {
            return devices;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "python-omemo never saw our device: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

pub async fn next_message(
    engine: &Engine,
    rx: &mut broadcast::Receiver<EngineEvent>,
    from: &str,
) -> MessageRow {
    let ev = wait_event(
        rx,
        Duration::from_secs(15),
        "an encrypted message to be stored",
        |e| matches!(e, EngineEvent::MessagesChanged { peer, .. } if peer == from),
    )
    .await;
    let EngineEvent::MessagesChanged { ids, .. } = ev else {
        unreachable!()
    };
    engine
        .message(*ids.last().unwrap())
        .await
        .unwrap()
        .expect("the announced row exists")
}

pub fn assert_delivered(row: &MessageRow) {
    use linnet_engine::MessageState::{Delivered, Displayed, Sent};
    assert!(matches!(row.state, Sent | Delivered | Displayed), "{row:?}");
}

/// Waits until our row is no longer pending; returns it.
pub async fn settled(engine: &Engine, id: i64) -> MessageRow {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let row = engine.message(id).await.unwrap().unwrap();
        if row.state != linnet_engine::MessageState::Pending {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still pending: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls the chat with `peer` until one of its bodies is `body` (15 s at most); returns every
/// body then.
pub async fn bodies_with(engine: &Engine, account_id: i64, peer: &str, body: &str) -> Vec<String> {
    bodies_until(engine, account_id, peer, body, |b| b == body).await
}

/// Polls the chat with `peer` until one of its bodies passes `pred` (15 s at most, else panics
/// naming `what`); returns every body then.
pub async fn bodies_until(
    engine: &Engine,
    account_id: i64,
    peer: &str,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let bodies = super::all_bodies(engine, account_id, peer).await;
        if bodies.iter().any(|b| pred(b)) {
            return bodies;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} never came: {bodies:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
