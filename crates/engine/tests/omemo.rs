//! OMEMO (XEP-0384) against python-omemo through slixmpp-omemo (the harness peer with
//! `--omemo`), on a real Prosody: our device is published so an independent implementation
//! finds it and its fingerprint, and its messages of both generations are decrypted and stored
//! as text, marked encrypted; what cannot be decrypted says why instead of the fallback text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use linnet_engine::{Engine, EngineEvent, MessageRow};
use linnet_testkit::Peer;
use serde_json::{json, Value};
use tokio::sync::broadcast;

/// Polls the peer's view of `jid`'s devices until one is there (our publish is asynchronous).
async fn devices_of(peer: &mut Peer, jid: &str) -> Vec<Value> {
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

async fn next_message(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_omemo_finds_our_device_and_its_messages_of_both_generations_are_decrypted() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("omemo")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    let mut peer = server
        .peer_with_flags("bob", "bob-pw", &["--omemo"])
        .await
        .unwrap();
    let devices = devices_of(&mut peer, &alice).await;
    let ours = engine
        .own_omemo_device(account.id)
        .await
        .unwrap()
        .expect("keys made at connect");
    assert_eq!(devices.len(), 1, "one device: {devices:?}");
    assert_eq!(devices[0]["device_id"], json!(ours.device_id));
    let namespaces: Vec<&str> = devices[0]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        namespaces.contains(&"eu.siacs.conversations.axolotl"),
        "legacy list: {namespaces:?}"
    );
    assert!(
        namespaces.contains(&"urn:xmpp:omemo:2"),
        "OMEMO 2 list: {namespaces:?}"
    );
    assert_eq!(
        devices[0]["fingerprint"].as_str().unwrap(),
        ours.fingerprint.replace(' ', ""),
        "python reads the same identity from our bundle as we show"
    );

    // Legacy, twice: python repeats its key exchange until we answer, and both decrypt.
    for body in ["secret über legacy", "second legacy <b>&amp;</b>"] {
        peer.command(
            json!({"cmd": "omemo_send", "to": alice, "body": body, "generation": "legacy"}),
        )
        .await
        .unwrap();
        let stored = next_message(&engine, &mut rx, &bob).await;
        assert_eq!(stored.body, body);
        assert_eq!(stored.encryption, "omemo");
    }
    // OMEMO 2, with its XEP-0420 envelope.
    for body in ["secret in OMEMO 2", "and again"] {
        peer.command(
            json!({"cmd": "omemo_send", "to": alice, "body": body, "generation": "omemo2"}),
        )
        .await
        .unwrap();
        let stored = next_message(&engine, &mut rx, &bob).await;
        assert_eq!(stored.body, body);
        assert_eq!(stored.encryption, "omemo2");
    }
    // The sessions were stored: after a restart of the account the next messages still decrypt.
    engine.set_account_enabled(account.id, false).await.unwrap();
    engine.set_account_enabled(account.id, true).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    for (body, generation, encryption) in [
        ("after restart", "legacy", "omemo"),
        ("after restart 2", "omemo2", "omemo2"),
    ] {
        peer.command(
            json!({"cmd": "omemo_send", "to": alice, "body": body, "generation": generation}),
        )
        .await
        .unwrap();
        let stored = next_message(&engine, &mut rx, &bob).await;
        assert_eq!(
            (stored.body.as_str(), stored.encryption.as_str()),
            (body, encryption)
        );
    }
    assert_eq!(
        engine.own_omemo_device(account.id).await.unwrap().unwrap(),
        ours,
        "the same device and identity across connections"
    );
    peer.close().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_not_encrypted_for_our_device_says_so_instead_of_its_fallback() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("omemo-not-for-us")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", true).await.unwrap();
    // XEP-0384 v0.3 §4.5's message shape (its placeholders as valid base64), for a device that
    // is not ours; then one whose element does not parse.
    let xml = format!(
        "<message xmlns='jabber:client' to='{alice}' type='chat' id='omemo-1'>\
         <encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='27183'>\
         <key rid='31415'>QkFTRTY0RU5DT0RFRA==</key><iv>QkFTRTY0RU5DT0RFRA==</iv></header>\
         <payload>QkFTRTY0RU5DT0RFRA==</payload></encrypted>\
         <store xmlns='urn:xmpp:hints'/><body>I sent you an OMEMO encrypted message</body></message>"
    );
    peer.command(json!({"cmd": "raw", "xml": xml}))
        .await
        .unwrap();
    let stored = next_message(&engine, &mut rx, &bob).await;
    assert_eq!(stored.encryption, "undecryptable");
    assert!(
        stored.body.contains(
            "could not be decrypted on this device: it was not encrypted for this device"
        ),
        "{}",
        stored.body
    );
    assert!(
        !stored.body.contains("I sent you"),
        "the fallback text is not shown"
    );
    let broken = xml
        .replace("omemo-1", "omemo-2")
        .replace("QkFTRTY0RU5DT0RFRA==</payload>", "not base64!</payload>");
    peer.command(json!({"cmd": "raw", "xml": broken}))
        .await
        .unwrap();
    let stored = next_message(&engine, &mut rx, &bob).await;
    assert_eq!(stored.encryption, "undecryptable");
    assert!(
        stored.body.contains("its OMEMO element is malformed"),
        "{}",
        stored.body
    );
    peer.close().await;
    server.shutdown().await;
}
