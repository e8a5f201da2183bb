//! Jingle file transfer (XEP-0166, XEP-0234) over In-Band Bytestreams (XEP-0261, XEP-0047)
//! between Linnet and the slixmpp peer on a real Prosody: the peer's signalling is written
//! from the XEPs' examples and its bytes go through slixmpp's own IBB plugin. Files go both
//! ways whole and with their hash checked (ours by itself when it is over the server's upload
//! limit); an offer can be declined from either side, a
//! transfer cancelled from either side, and a file whose bytes differ from the announced
//! hash is refused and left nowhere.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use common::*;
use linnet_engine::{Engine, EngineEvent, MessageRow, TransferState};
use linnet_testkit::{Peer, Server};
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Bytes that differ all along (a swapped or cut block shows).
fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

fn sha256_b64(data: &[u8]) -> String {
    use sha2::Digest;
    B64.encode(sha2::Sha256::digest(data))
}

fn folder(name: &str) -> PathBuf {
    let dir = temp_db(name).parent().unwrap().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Files in `dir`, hidden ones (a `.part` left behind) included.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Alice on Linnet and Bob on the peer, each in the other's roster with presence.
struct Pair {
    server: Server,
    engine: Engine,
    rx: tokio::sync::broadcast::Receiver<EngineEvent>,
    account: i64,
    bob: String,
    peer: Peer,
}

async fn pair(name: &str) -> Pair {
    pair_with(name, &["--auto-accept"]).await
}

async fn pair_with(name: &str, flags: &[&str]) -> Pair {
    init_tracing();
    // Uploads of at most 100 kB: a larger file goes peer to peer by itself.
    let mut server = Server::start_with(&["--upload-https", "--upload-limit", "100000"])
        .await
        .expect("the Prosody harness must start");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db(name)), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(account(&server, &alice))
        .await
        .unwrap()
        .id;
    wait_online(&engine, &mut rx, account).await;
    let peer = server
        .peer_with_flags("bob", "bob-pw", flags)
        .await
        .unwrap();
    engine
        .add_contact(account, &bob, Some("Bob".into()), vec![])
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while engine.presence(account, &bob).show != linnet_engine::Show::Available {
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's presence never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Pair {
        server,
        engine,
        rx,
        account,
        bob,
        peer,
    }
}

/// The first message in the chat with `peer` sharing a file (named `name`, when given): an
/// offer on its way in (30 s at most).
async fn offered_file(engine: &Engine, account: i64, peer: &str, name: Option<&str>) -> MessageRow {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows = engine.messages(account, peer, None, 10).await.unwrap();
        if let Some(row) = rows.into_iter().find(|r| {
            r.file
                .as_ref()
                .is_some_and(|f| name.is_none_or(|n| f.name == n))
        }) {
            return row;
        }
        assert!(tokio::time::Instant::now() < deadline, "no offer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls message `id` until its transfer has ended (60 s at most).
async fn ended(engine: &Engine, id: i64) -> MessageRow {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let row = engine.message(id).await.unwrap().unwrap();
        let state = row.file.as_ref().unwrap().transfer.as_ref().unwrap().state;
        if state.ended() {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still under way: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn transfer_of(row: &MessageRow) -> (TransferState, Option<String>) {
    let t = row.file.as_ref().unwrap().transfer.clone().unwrap();
    (t.state, t.reason)
}

fn offer_cmd(to: &str, name: &str, data: &[u8]) -> Value {
    json!({"cmd": "jingle_send", "to": to, "name": name, "data_b64": B64.encode(data),
           "media_type": "application/pdf", "timeout": 60})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_sends_a_file_peer_to_peer_and_we_take_it_whole() {
    let mut p = pair("jingle-in").await;
    let me = p.engine.bound_jid(p.account).expect("bound");
    let data = content(300_000, 7);
    let downloads = folder("jingle-in-downloads");
    let dir = downloads.clone();
    let engine = p.engine.clone();
    let (account, bob) = (p.account, p.bob.clone());
    let taker = async move {
        let row = offered_file(&engine, account, &bob, None).await;
        let file = row.file.clone().unwrap();
        assert_eq!(file.name, "report.pdf");
        assert_eq!(file.size, Some(300_000));
        assert_eq!(file.media_type.as_deref(), Some("application/pdf"));
        assert_eq!(transfer_of(&row).0, TransferState::Offered);
        assert!(!row.outgoing);
        engine.accept_transfer(row.id, &dir).await.unwrap();
        row.id
    };
    let (sent, id) = tokio::join!(
        p.peer.command_with_timeout(
            offer_cmd(&me, "report.pdf", &data),
            Duration::from_secs(120)
        ),
        taker
    );
    let sent = sent.unwrap();
    assert_eq!(
        sent["outcome"], "success",
        "we end the session with success: {sent}"
    );
    let row = ended(&p.engine, id).await;
    assert_eq!(transfer_of(&row), (TransferState::Done, None));
    let saved = PathBuf::from(row.file.unwrap().path.expect("saved path"));
    assert_eq!(saved, downloads.join("report.pdf"));
    assert_eq!(std::fs::read(&saved).unwrap(), data, "the very bytes");
    assert_eq!(
        listing(saved.parent().unwrap()),
        ["report.pdf"],
        "no .part left"
    );
    // Progress reached the whole file.
    let mut progress = None;
    while let Ok(ev) = p.rx.try_recv() {
        if let EngineEvent::FileProgress {
            message_id,
            done,
            total,
            ..
        } = ev
        {
            if message_id == id {
                progress = Some((done, total));
            }
        }
    }
    assert_eq!(progress, Some((300_000, Some(300_000))));
    p.peer.close().await;
    p.engine.shutdown().await;
    p.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_send_a_file_peer_to_peer_and_the_contact_gets_the_same_bytes() {
    let mut p = pair("jingle-out").await;
    let dir = folder("jingle-out-src");
    let data = content(200_000, 3);
    let path = dir.join("notes one.txt");
    std::fs::write(&path, &data).unwrap();
    // Over the server's upload limit: sent peer to peer instead of refused.
    let row = p.engine.send_file(p.account, &p.bob, &path).await.unwrap();
    assert!(row.outgoing);
    assert_eq!(transfer_of(&row).0, TransferState::Offered);
    let offer = p
        .peer
        .wait_for(Duration::from_secs(20), "the offer", |e| {
            e["event"] == "jingle_offer"
        })
        .await
        .unwrap();
    assert_eq!(offer["name"], "notes one.txt");
    assert_eq!(offer["size"], 200_000);
    assert_eq!(offer["media_type"], "text/plain");
    assert_eq!(
        offer["sha256_b64"],
        sha256_b64(&data),
        "XEP-0300 hash in the offer"
    );
    assert_eq!(offer["from"], p.engine.bound_jid(p.account).unwrap());
    let sid = offer["sid"].as_str().unwrap().to_owned();
    p.peer
        .command(json!({"cmd": "jingle_accept", "sid": sid}))
        .await
        .unwrap();
    let got = p
        .peer
        .wait_for(Duration::from_secs(60), "the file", |e| {
            e["event"] == "jingle_received"
        })
        .await
        .unwrap();
    assert_eq!(got["size"], 200_000);
    assert_eq!(got["sha256_b64"], sha256_b64(&data));
    assert_eq!(B64.decode(got["data_b64"].as_str().unwrap()).unwrap(), data);
    let row = ended(&p.engine, row.id).await;
    assert_eq!(transfer_of(&row), (TransferState::Done, None));

    // A second file, declined by the contact.
    let row = p
        .engine
        .send_file_direct(p.account, &p.bob, &path)
        .await
        .unwrap();
    let offer = p
        .peer
        .wait_for(Duration::from_secs(20), "the second offer", |e| {
            e["event"] == "jingle_offer"
        })
        .await
        .unwrap();
    p.peer
        .command(json!({"cmd": "jingle_decline", "sid": offer["sid"]}))
        .await
        .unwrap();
    let row = ended(&p.engine, row.id).await;
    assert_eq!(
        transfer_of(&row),
        (TransferState::Declined, Some("Declined.".into()))
    );

    // A third, which we cancel once the contact is taking it.
    let big = dir.join("big.bin");
    std::fs::write(&big, content(3_000_000, 5)).unwrap();
    let row = p
        .engine
        .send_file_direct(p.account, &p.bob, &big)
        .await
        .unwrap();
    let offer = p
        .peer
        .wait_for(Duration::from_secs(20), "the third offer", |e| {
            e["event"] == "jingle_offer"
        })
        .await
        .unwrap();
    p.peer
        .command(json!({"cmd": "jingle_accept", "sid": offer["sid"]}))
        .await
        .unwrap();
    wait_event(&mut p.rx, Duration::from_secs(30), "bytes moving", |e| {
        matches!(e, EngineEvent::FileProgress { message_id, done, .. } if *message_id == row.id && *done > 0)
    })
    .await;
    p.engine.cancel_transfer(row.id).await.unwrap();
    let end = p
        .peer
        .wait_for(Duration::from_secs(20), "our cancel", |e| {
            e["event"] == "jingle_terminate" && e["sid"] == offer["sid"]
        })
        .await
        .unwrap();
    assert_eq!(end["reason"], "cancel");
    let row = ended(&p.engine, row.id).await;
    assert_eq!(
        transfer_of(&row),
        (TransferState::Cancelled, Some("Cancelled.".into()))
    );
    p.peer.close().await;
    p.engine.shutdown().await;
    p.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_cancelled_and_damaged_offers_leave_nothing_behind() {
    let mut p = pair("jingle-refusals").await;
    let me = p.engine.bound_jid(p.account).expect("bound");
    let dir = folder("jingle-refusals-downloads");

    // We decline: the sender hears `decline`.
    let engine = p.engine.clone();
    let (account, bob) = (p.account, p.bob.clone());
    let decline = async move {
        let row = offered_file(&engine, account, &bob, None).await;
        engine.decline_transfer(row.id).await.unwrap();
        row.id
    };
    let (sent, id) = tokio::join!(
        p.peer.command_with_timeout(
            offer_cmd(&me, "unwanted.pdf", b"no"),
            Duration::from_secs(60)
        ),
        decline
    );
    assert_eq!(sent.unwrap()["outcome"], "decline");
    assert_eq!(
        transfer_of(&p.engine.message(id).await.unwrap().unwrap()),
        (TransferState::Declined, Some("Declined.".into()))
    );
    assert!(matches!(
        p.engine.accept_transfer(id, &dir).await,
        Err(linnet_engine::EngineError::NotFound(_))
    ));

    // The sender cancels halfway.
    let data = content(400_000, 9);
    let mut cancel = offer_cmd(&me, "half.bin", &data);
    cancel["cancel_after"] = json!(100_000);
    let engine = p.engine.clone();
    let accept_dir = dir.clone();
    let (account, bob) = (p.account, p.bob.clone());
    let take = async move {
        let row = offered_file(&engine, account, &bob, Some("half.bin")).await;
        engine.accept_transfer(row.id, &accept_dir).await.unwrap();
        row.id
    };
    let (sent, id) = tokio::join!(
        p.peer.command_with_timeout(cancel, Duration::from_secs(60)),
        take
    );
    assert_eq!(sent.unwrap()["outcome"], "cancelled");
    let row = ended(&p.engine, id).await;
    let (state, reason) = transfer_of(&row);
    assert_eq!(state, TransferState::Cancelled);
    assert!(reason.unwrap().starts_with("The sender cancelled it."));
    assert_eq!(row.file.unwrap().path, None);

    // Bytes that differ from the announced hash: refused, nothing saved.
    let mut lie = offer_cmd(&me, "forged.bin", &content(50_000, 1));
    lie["sha256_b64"] = json!(sha256_b64(b"something else"));
    let engine = p.engine.clone();
    let accept_dir = dir.clone();
    let (account, bob) = (p.account, p.bob.clone());
    let take = async move {
        let row = offered_file(&engine, account, &bob, Some("forged.bin")).await;
        engine.accept_transfer(row.id, &accept_dir).await.unwrap();
        row.id
    };
    let (sent, id) = tokio::join!(
        p.peer.command_with_timeout(lie, Duration::from_secs(60)),
        take
    );
    assert_eq!(sent.unwrap()["outcome"], "media-error", "told why");
    let row = ended(&p.engine, id).await;
    let (state, reason) = transfer_of(&row);
    assert_eq!(state, TransferState::Failed);
    assert!(reason.unwrap().contains("checksum differs"));
    assert_eq!(row.file.unwrap().path, None);
    assert!(
        listing(&dir).is_empty(),
        "nothing saved: {:?}",
        listing(&dir)
    );

    // A Jingle action for a session nobody started: item-not-found + unknown-session.
    let answer = p
        .peer
        .command(json!({"cmd": "iq", "to": me, "type": "set",
            "xml": "<jingle xmlns='urn:xmpp:jingle:1' action='session-info' sid='nope'/>"}))
        .await
        .unwrap();
    assert_eq!(answer["type"], "error");
    assert!(answer["xml"].as_str().unwrap().contains("item-not-found"));
    assert!(answer["xml"].as_str().unwrap().contains("unknown-session"));
    p.peer.close().await;
    p.engine.shutdown().await;
    p.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socks5_direct_through_the_servers_proxy_and_in_band_when_nothing_connects() {
    let mut p = pair_with("jingle-s5b", &["--auto-accept", "--s5b"]).await;
    let me = p.engine.bound_jid(p.account).expect("bound");
    let dir = folder("jingle-s5b-src");

    // Ours to the contact: its client connects to our direct candidate (XEP-0260 §2.3).
    let data = content(1_500_000, 11);
    let path = dir.join("direct.bin");
    std::fs::write(&path, &data).unwrap();
    let row = p
        .engine
        .send_file_direct(p.account, &p.bob, &path)
        .await
        .unwrap();
    let offer = p
        .peer
        .wait_for(Duration::from_secs(20), "the offer", |e| {
            e["event"] == "jingle_offer"
        })
        .await
        .unwrap();
    assert_eq!(offer["transport"], "s5b", "SOCKS5 first when both take it");
    p.peer
        .command(json!({"cmd": "jingle_accept", "sid": offer["sid"]}))
        .await
        .unwrap();
    let got = p
        .peer
        .wait_for(Duration::from_secs(60), "the file", |e| {
            e["event"] == "jingle_received"
        })
        .await
        .unwrap();
    assert_eq!(got["transport"], "s5b-direct");
    assert_eq!(got["sha256_b64"], sha256_b64(&data));
    let row = ended(&p.engine, row.id).await;
    assert_eq!(transfer_of(&row), (TransferState::Done, None));

    // Theirs to us, through the server's proxy (mod_proxy65): they try none of ours, we
    // connect to their proxy candidate, and they activate it (§2.5).
    let data = content(700_000, 12);
    let downloads = folder("jingle-s5b-downloads");
    let engine = p.engine.clone();
    let (account, bob) = (p.account, p.bob.clone());
    let take_dir = downloads.clone();
    let take = async move {
        let row = offered_file(&engine, account, &bob, Some("proxied.bin")).await;
        engine.accept_transfer(row.id, &take_dir).await.unwrap();
        row.id
    };
    let mut cmd = offer_cmd(&me, "proxied.bin", &data);
    cmd["transport"] = json!("s5b");
    cmd["connect"] = json!(false);
    let (sent, id) = tokio::join!(
        p.peer.command_with_timeout(cmd, Duration::from_secs(120)),
        take
    );
    let sent = sent.unwrap();
    assert_eq!(sent["transport"], "s5b-proxy", "{sent}");
    assert_eq!(sent["outcome"], "success", "{sent}");
    let row = ended(&p.engine, id).await;
    assert_eq!(transfer_of(&row), (TransferState::Done, None));
    assert_eq!(std::fs::read(downloads.join("proxied.bin")).unwrap(), data);

    // Nothing connects (the contact offers no candidate and tries none of ours): we replace
    // the transport with IBB (XEP-0260 §3) and the file still arrives.
    let data = content(120_000, 13);
    let path = dir.join("fallback.bin");
    std::fs::write(&path, &data).unwrap();
    let row = p
        .engine
        .send_file_direct(p.account, &p.bob, &path)
        .await
        .unwrap();
    let offer = p
        .peer
        .wait_for(Duration::from_secs(20), "the third offer", |e| {
            e["event"] == "jingle_offer" && e["name"] == "fallback.bin"
        })
        .await
        .unwrap();
    p.peer
        .command(
            json!({"cmd": "jingle_accept", "sid": offer["sid"], "connect": false,
                        "offer_candidates": false}),
        )
        .await
        .unwrap();
    let got = p
        .peer
        .wait_for(Duration::from_secs(90), "the file in band", |e| {
            e["event"] == "jingle_received" && e["sid"] == offer["sid"]
        })
        .await
        .unwrap();
    assert_eq!(got["transport"], "ibb");
    assert_eq!(got["sha256_b64"], sha256_b64(&data));
    let row = ended(&p.engine, row.id).await;
    assert_eq!(transfer_of(&row), (TransferState::Done, None));
    p.peer.close().await;
    p.engine.shutdown().await;
    p.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_goes_to_another_device_of_ours() {
    init_tracing();
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("jingle-own")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(account(&server, &alice))
        .await
        .unwrap()
        .id;
    wait_online(&engine, &mut rx, account).await;
    // Our phone: the slixmpp peer logged in to our own account.
    let mut phone = server
        .peer_with_flags("alice", "alice-pw", &["--resource", "phone", "--s5b"])
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let dir = folder("jingle-own-src");
    let data = content(250_000, 21);
    let path = dir.join("to my phone.bin");
    std::fs::write(&path, &data).unwrap();
    // Our own presence comes back too: until the phone's has, there is no device to send to.
    let row = loop {
        match engine.send_file_direct(account, &alice, &path).await {
            Ok(row) => break row,
            Err(e) if tokio::time::Instant::now() < deadline => {
                tracing::info!("not yet: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no device to send to: {e}"),
        }
    };
    let offer = phone
        .wait_for(Duration::from_secs(20), "the offer", |e| {
            e["event"] == "jingle_offer"
        })
        .await
        .unwrap();
    assert_eq!(
        offer["from"],
        engine.bound_jid(account).unwrap(),
        "from this device"
    );
    phone
        .command(json!({"cmd": "jingle_accept", "sid": offer["sid"]}))
        .await
        .unwrap();
    let got = phone
        .wait_for(Duration::from_secs(60), "the file", |e| {
            e["event"] == "jingle_received"
        })
        .await
        .unwrap();
    assert_eq!(got["sha256_b64"], sha256_b64(&data));
    let row = ended(&engine, row.id).await;
    assert_eq!(transfer_of(&row), (TransferState::Done, None));
    assert_eq!(row.peer, alice, "in the chat with ourselves");
    phone.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}
