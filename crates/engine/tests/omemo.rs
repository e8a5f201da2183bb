//! OMEMO (XEP-0384) against python-omemo through slixmpp-omemo (the harness peer with
//! `--omemo`), on a real Prosody: our device is published so an independent implementation
//! finds it and its fingerprint, and its messages of both generations are decrypted and stored
//! as text, marked encrypted; what cannot be decrypted says why instead of the fallback text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::omemo::*;
use common::*;
use linnet_engine::{Engine, MessageRow};
use linnet_testkit::Peer;
use serde_json::{json, Value};

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

    // Written while Linnet is closed and alice's phone (no OMEMO) is online, so the messages
    // reach Linnet only through its archive catch-up: decrypted there, in order, each once.
    engine.set_account_enabled(account.id, false).await.unwrap();
    let mut phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let offline = ["while away 1", "while away 2", "while away 3"];
    for (i, body) in offline.iter().enumerate() {
        let generation = if i == 1 { "omemo2" } else { "legacy" };
        peer.command(
            json!({"cmd": "omemo_send", "to": alice, "body": body, "generation": generation}),
        )
        .await
        .unwrap();
    }
    // The phone sees the two legacy ones' fallback bodies (the third, last, is legacy).
    for _ in 0..2 {
        phone
            .wait_for(
                Duration::from_secs(10),
                "a legacy fallback on the phone",
                |e| {
                    e["event"] == "message"
                        && e["body"].as_str().is_some_and(|b| b.contains("OMEMO"))
                },
            )
            .await
            .unwrap();
    }
    engine.set_account_enabled(account.id, true).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let bodies = all_bodies(&engine, account.id, &bob).await;
        if bodies.len() >= 9 {
            assert_eq!(
                &bodies[6..],
                &offline,
                "each once, decrypted, in order: {bodies:?}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "offline messages missing: {bodies:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    phone.close().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_messages_reach_python_omemo_encrypted_in_the_generation_each_device_speaks() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let carol = server.register("carol", "carol-pw").await.unwrap();
    let dave = server.register("dave", "dave-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("omemo-send")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    // Bob speaks both generations. Once he wrote encrypted, our reply is encrypted without
    // the user turning anything on, in OMEMO 2 (his device is on that list).
    let mut bob_peer = server
        .peer_with_flags("bob", "bob-pw", &["--omemo"])
        .await
        .unwrap();
    devices_of(&mut bob_peer, &alice).await;
    assert_eq!(
        engine
            .conversation_encryption(account.id, &bob)
            .await
            .unwrap(),
        None
    );
    bob_peer.command(json!({"cmd": "omemo_send", "to": alice, "body": "hi, encrypted", "generation": "legacy"})).await.unwrap();
    next_message(&engine, &mut rx, &bob).await;
    assert_eq!(
        engine
            .conversation_encryption(account.id, &bob)
            .await
            .unwrap(),
        Some(true)
    );
    for body in ["first reply", "second reply ✓"] {
        let sent = engine.send_message(account.id, &bob, body).await.unwrap();
        assert_eq!(sent.encryption, "omemo");
        let got = bob_peer
            .wait_for(Duration::from_secs(15), "our encrypted reply", |e| {
                e["event"] == "message" && e["body"] == body
            })
            .await
            .unwrap();
        assert_eq!(got["encrypted"], "omemo2", "{got}");
        assert_delivered(&settled(&engine, sent.id).await);
    }

    // Carol's client speaks only legacy OMEMO (as Conversations and Dino do).
    let mut carol_peer = server
        .peer_with_flags("carol", "carol-pw", &["--omemo-only", "legacy"])
        .await
        .unwrap();
    engine
        .set_conversation_encryption(account.id, &carol, true)
        .await
        .unwrap();
    let sent = engine
        .send_message(account.id, &carol, "to a legacy client")
        .await
        .unwrap();
    let got = carol_peer
        .wait_for(Duration::from_secs(15), "our legacy message", |e| {
            e["event"] == "message"
        })
        .await
        .unwrap();
    assert_eq!(
        (got["body"].as_str(), got["encrypted"].as_str()),
        (Some("to a legacy client"), Some("legacy")),
        "{got}"
    );
    assert_delivered(&settled(&engine, sent.id).await);

    // Dave has no OMEMO: with encryption on, the message fails with the reason and nothing
    // reaches him in plaintext.
    let mut dave_peer = server.peer("dave", "dave-pw", true).await.unwrap();
    engine
        .set_conversation_encryption(account.id, &dave, true)
        .await
        .unwrap();
    let sent = engine
        .send_message(account.id, &dave, "must not leak")
        .await
        .unwrap();
    let failed = settled(&engine, sent.id).await;
    assert_eq!(failed.state, linnet_engine::MessageState::Failed);
    assert!(
        failed
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("could not be encrypted"),
        "{failed:?}"
    );
    let leaked = dave_peer
        .collect(Duration::from_secs(2), |e| e["event"] == "message")
        .await;
    assert!(leaked.is_empty(), "nothing reaches dave: {leaked:?}");
    // Turned off, it goes in plaintext.
    engine
        .set_conversation_encryption(account.id, &dave, false)
        .await
        .unwrap();
    let sent = engine
        .send_message(account.id, &dave, "plain on purpose")
        .await
        .unwrap();
    assert_eq!(sent.encryption, "none");
    let got = dave_peer
        .wait_for(Duration::from_secs(10), "the plaintext message", |e| {
            e["event"] == "message"
        })
        .await
        .unwrap();
    assert_eq!(
        (got["body"].as_str(), got["encrypted"].as_str()),
        (Some("plain on purpose"), None)
    );

    for peer in [bob_peer, carol_peer, dave_peer] {
        peer.close().await;
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contacts_new_device_is_announced_and_trust_is_per_device() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("omemo-trust")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    let mut phone = server
        .peer_with_flags("bob", "bob-pw", &["--omemo", "--resource", "phone"])
        .await
        .unwrap();
    devices_of(&mut phone, &alice).await;
    let phone_info = phone.command(json!({"cmd": "omemo_info"})).await.unwrap();
    phone.command(json!({"cmd": "omemo_send", "to": alice, "body": "from the phone", "generation": "legacy"})).await.unwrap();
    next_message(&engine, &mut rx, &bob).await;
    let devices = engine.omemo_devices(account.id, &bob).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(
        devices[0].device_id,
        phone_info["device_id"].as_u64().unwrap() as u32
    );
    assert_eq!(
        devices[0].fingerprint.replace(' ', ""),
        phone_info["fingerprint"].as_str().unwrap()
    );
    assert_eq!(devices[0].trust, linnet_engine::Trust::Blind);
    engine
        .set_omemo_trust(
            account.id,
            &bob,
            devices[0].device_id,
            linnet_engine::Trust::Verified,
        )
        .await
        .unwrap();

    // Bob's laptop writes: a line in the chat says so, with its fingerprint. The phone is
    // verified, so blind trust is over for Bob: the laptop waits for our decision.
    let mut laptop = server
        .peer_with_flags("bob", "bob-pw", &["--omemo", "--resource", "laptop"])
        .await
        .unwrap();
    let laptop_info = laptop.command(json!({"cmd": "omemo_info"})).await.unwrap();
    laptop.command(json!({"cmd": "omemo_send", "to": alice, "body": "from the laptop", "generation": "omemo2"})).await.unwrap();
    let from_laptop = wait_row(&engine, account.id, &bob, "from the laptop").await;
    assert_eq!(
        from_laptop.sender_trust,
        Some(linnet_engine::Trust::Undecided),
        "shown, marked as from an undecided device"
    );
    let bodies = all_bodies(&engine, account.id, &bob).await;
    let laptop_hex = laptop_info["fingerprint"].as_str().unwrap();
    let notice = bodies
        .iter()
        .find(|b| b.contains("uses a new OMEMO device"))
        .expect("announced");
    assert!(notice.replace(' ', "").contains(laptop_hex), "{notice}");
    assert!(
        notice.contains("nothing is encrypted to this one"),
        "{notice}"
    );
    let devices = engine.omemo_devices(account.id, &bob).await.unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(
        devices[0].trust,
        linnet_engine::Trust::Verified,
        "the phone stays verified"
    );
    assert_eq!(devices[1].trust, linnet_engine::Trust::Undecided);
    let laptop_id = devices[1].device_id;

    // Undecided: our message reaches the phone only.
    send_and_check_reach(
        &engine,
        account.id,
        &bob,
        "phone only",
        &mut phone,
        &mut laptop,
        false,
    )
    .await;
    // Accepted: both.
    engine
        .set_omemo_trust(account.id, &bob, laptop_id, linnet_engine::Trust::Blind)
        .await
        .unwrap();
    send_and_check_reach(
        &engine,
        account.id,
        &bob,
        "to both",
        &mut phone,
        &mut laptop,
        true,
    )
    .await;
    // Distrusted: the phone only again, and the laptop's messages are still shown, marked.
    engine
        .set_omemo_trust(account.id, &bob, laptop_id, linnet_engine::Trust::Untrusted)
        .await
        .unwrap();
    send_and_check_reach(
        &engine,
        account.id,
        &bob,
        "phone again",
        &mut phone,
        &mut laptop,
        false,
    )
    .await;
    laptop
        .command(
            json!({"cmd": "omemo_send", "to": alice, "body": "still me", "generation": "legacy"}),
        )
        .await
        .unwrap();
    let distrusted = wait_row(&engine, account.id, &bob, "still me").await;
    assert_eq!(
        distrusted.sender_trust,
        Some(linnet_engine::Trust::Untrusted)
    );
    assert_eq!(distrusted.encryption, "omemo");
    // The trust shown is today's: the earlier message is marked distrusted now too.
    let earlier = engine.message(from_laptop.id).await.unwrap().unwrap();
    assert_eq!(earlier.sender_trust, Some(linnet_engine::Trust::Untrusted));
    assert!(engine
        .set_omemo_trust(account.id, &bob, 4242, linnet_engine::Trust::Verified)
        .await
        .is_err());
    for p in [phone, laptop] {
        p.close().await;
    }
    server.shutdown().await;
}

/// Polls until a message with `body` is stored in the chat with `peer`; returns its row.
async fn wait_row(engine: &Engine, account_id: i64, peer: &str, body: &str) -> MessageRow {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let page = engine.messages(account_id, peer, None, 200).await.unwrap();
        if let Some(row) = page.into_iter().find(|r| r.body == body) {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no message {body:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends `body` to `peer` and checks that `phone` decrypts it and that `laptop` does
/// (`laptop_reads`) or does not.
async fn send_and_check_reach(
    engine: &Engine,
    account_id: i64,
    peer: &str,
    body: &str,
    phone: &mut Peer,
    laptop: &mut Peer,
    laptop_reads: bool,
) {
    let sent = engine.send_message(account_id, peer, body).await.unwrap();
    let got = phone
        .wait_for(Duration::from_secs(15), "our message on the phone", |e| {
            e["event"] == "message" && e["body"] == body
        })
        .await
        .unwrap();
    assert!(got["encrypted"].is_string(), "{got}");
    let on_laptop = laptop
        .collect(Duration::from_secs(2), |e| {
            e["event"] == "message" && e["body"] == body
        })
        .await;
    assert_eq!(
        on_laptop.len(),
        usize::from(laptop_reads),
        "{body:?} readable on the laptop: {on_laptop:?}"
    );
    assert_delivered(&settled(engine, sent.id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_other_device_on_python_omemo_reads_what_we_send_and_we_read_what_it_sends() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("omemo-own")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    // Alice's phone: python-omemo on her own account.
    let mut phone = server
        .peer_with_flags("alice", "alice-pw", &["--omemo", "--resource", "phone"])
        .await
        .unwrap();
    let phone_id = phone.command(json!({"cmd": "omemo_info"})).await.unwrap()["device_id"]
        .as_u64()
        .unwrap();
    let mut bob_peer = server
        .peer_with_flags("bob", "bob-pw", &["--omemo"])
        .await
        .unwrap();
    // Both of Alice's devices are on her lists before anyone writes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while devices_of(&mut bob_peer, &alice).await.len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "both devices listed"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let own_device = engine
        .own_omemo_device(account.id)
        .await
        .unwrap()
        .unwrap()
        .device_id;

    // Bob writes: both of Alice's devices read it.
    bob_peer
        .command(json!({"cmd": "omemo_send", "to": alice, "body": "to all of you", "generation": "omemo2"}))
        .await
        .unwrap();
    assert_eq!(
        next_message(&engine, &mut rx, &bob).await.body,
        "to all of you"
    );
    phone
        .wait_for(Duration::from_secs(15), "Bob's message on the phone", |e| {
            e["event"] == "message" && e["body"] == "to all of you"
        })
        .await
        .unwrap();

    // We answer: encrypted for Bob and for the phone too.
    let sent = engine
        .send_message(account.id, &bob, "answered from the desktop")
        .await
        .unwrap();
    let got = bob_peer
        .wait_for(Duration::from_secs(15), "our answer", |e| {
            e["event"] == "message" && e["body"] == "answered from the desktop"
        })
        .await
        .unwrap();
    let rids: Vec<u64> = got["omemo_rids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert!(
        rids.contains(&phone_id),
        "our other device gets a key: {rids:?}"
    );
    assert!(
        !rids.contains(&u64::from(own_device)),
        "not this device itself"
    );
    assert_delivered(&settled(&engine, sent.id).await);

    // The phone writes to Bob: its carbon reaches us, encrypted for this device, and is
    // shown as ours.
    phone
        .command(json!({"cmd": "omemo_send", "to": bob, "body": "typed on the phone", "generation": "omemo2"}))
        .await
        .unwrap();
    let row = wait_row(&engine, account.id, &bob, "typed on the phone").await;
    assert_eq!(
        (row.body.as_str(), row.outgoing, row.encryption.as_str()),
        ("typed on the phone", true, "omemo2"),
        "{row:?}"
    );
    for p in [phone, bob_peer] {
        p.close().await;
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_file_shared_by_python_is_downloaded_decrypted_and_saved() {
    use base64::Engine as _;
    // Uploads over HTTPS (XEP-0363 slots on the harness's TLS port, its CA).
    let mut server = linnet_testkit::Server::start_with(&["--upload-https"])
        .await
        .expect("the Prosody harness must start");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("omemo-file")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut bob_peer = server
        .peer_with_flags("bob", "bob-pw", &["--omemo"])
        .await
        .unwrap();
    devices_of(&mut bob_peer, &alice).await;

    // Bob's client encrypts a photo with slixmpp's XEP-0454 plugin, uploads it, and sends the
    // aesgcm:// link encrypted, as Conversations does.
    let photo: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let upload = bob_peer
        .command_with_timeout(
            json!({"cmd": "upload_encrypted", "filename": "holiday photo.jpg",
                "data_b64": base64::engine::general_purpose::STANDARD.encode(&photo)}),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let link = upload["url"].as_str().unwrap().to_owned();
    assert!(link.starts_with("aesgcm://"), "{upload}");
    bob_peer
        .command(json!({"cmd": "omemo_send", "to": alice, "body": link, "generation": "omemo2"}))
        .await
        .unwrap();
    let row = wait_row(&engine, account.id, &bob, &link).await;
    assert_eq!(row.encryption, "omemo2");

    let downloads = std::env::temp_dir().join(format!("linnet-downloads-{}", std::process::id()));
    let saved = engine
        .save_encrypted_file(&row.body, &downloads)
        .await
        .unwrap();
    assert_eq!(saved.file_name().unwrap(), "holiday photo.jpg");
    assert_eq!(std::fs::read(&saved).unwrap(), photo, "the original bytes");
    let again = engine
        .save_encrypted_file(&row.body, &downloads)
        .await
        .unwrap();
    assert_eq!(
        again.file_name().unwrap(),
        "holiday photo (2).jpg",
        "nothing overwritten"
    );

    // A link whose key was changed: refused in words, nothing saved.
    let (location, fragment) = link.split_once('#').unwrap();
    let wrong = format!("{location}#{}{}", &fragment[..24], "0".repeat(64));
    let err = engine
        .save_encrypted_file(&wrong, &downloads)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("could not be decrypted"), "{err}");
    assert_eq!(std::fs::read_dir(&downloads).unwrap().count(), 2);
    // Not an encrypted-file link.
    assert!(engine
        .save_encrypted_file("https://example.org/x", &downloads)
        .await
        .is_err());
    std::fs::remove_dir_all(&downloads).unwrap();

    bob_peer.close().await;
    server.shutdown().await;
}
