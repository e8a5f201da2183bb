//! Files shared by HTTP File Upload (XEP-0363) with out-of-band data (XEP-0066), on a real
//! Prosody (`mod_http_file_share` over HTTPS, limit 64 MiB) with the slixmpp peer on the
//! other side: ours go up and the peer fetches the very bytes; one over the limit is refused
//! in words before anything is stored; an upload waiting while offline survives a restart
//! and goes exactly once, a cancelled one never; the peer's upload arrives as a file we
//! download.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use common::omemo::bodies_until;
use common::*;
use linnet_engine::{Engine, EngineEvent, MessageRow, MessageState};
use linnet_testkit::{Peer, Server};
use serde_json::{json, Value};

/// The harness's `http_file_share_size_limit`.
const SERVER_LIMIT: u64 = 64 * 1024 * 1024;

async fn upload_server() -> Server {
    init_tracing();
    Server::start_with(&["--upload-https"])
        .await
        .expect("the Prosody harness must start")
}

fn folder(name: &str) -> PathBuf {
    let dir = temp_db(name).parent().unwrap().to_owned();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Bytes that differ all along (a swapped or cut chunk shows).
fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// The next chat message the peer receives (30 s at most).
async fn peer_message(peer: &mut Peer) -> Value {
    peer.wait_for(Duration::from_secs(30), "the file message", |e| {
        e["event"] == "message" && e["type"] == "chat" && !e["body"].is_null()
    })
    .await
    .expect("the peer gets the file message")
}

async fn fetch(peer: &mut Peer, url: &str) -> Vec<u8> {
    let got = peer
        .command_with_timeout(json!({"cmd": "fetch", "url": url}), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(got["status"], 200, "{got}");
    base64::engine::general_purpose::STANDARD
        .decode(got["data_b64"].as_str().unwrap())
        .unwrap()
}

fn sha256_b64(data: &[u8]) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(data))
}

/// Polls one message until it is no longer pending (30 s at most).
async fn settled(engine: &Engine, id: i64) -> MessageRow {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let row = engine.message(id).await.unwrap().unwrap();
        if row.state != MessageState::Pending {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still pending: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_goes_up_by_http_upload_and_the_contact_fetches_the_same_bytes() {
    let mut server = upload_server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("upload")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", true).await.unwrap();

    assert_eq!(
        engine.upload_limit(account.id).await.unwrap(),
        Some(SERVER_LIMIT),
        "the limit read from the service's disco#info form"
    );

    let dir = folder("upload-src");
    let photo = content(3_000_000, 1);
    let path = write(&dir, "holiday photo.jpg", &photo);
    let row = engine.send_file(account.id, &bob, &path).await.unwrap();
    assert_eq!(row.state, MessageState::Pending);
    let file = row.file.clone().unwrap();
    assert_eq!(file.name, "holiday photo.jpg");
    assert_eq!(file.size, Some(3_000_000));
    assert_eq!(file.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(file.url, None, "stored before the upload");

    // Progress up to the whole file, for this message.
    let last = wait_event(
        &mut rx,
        Duration::from_secs(30),
        "the upload to finish",
        |e| {
            matches!(e, EngineEvent::FileProgress { message_id, upload: true, done, total, .. }
            if *message_id == row.id && Some(*done) == *total)
        },
    )
    .await;
    let EngineEvent::FileProgress { total, .. } = last else {
        unreachable!()
    };
    assert_eq!(total, Some(3_000_000));

    // The peer gets the GET URL as body and as out-of-band data, and fetches the same bytes.
    let message = peer_message(&mut peer).await;
    let url = message["body"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://"), "{message}");
    assert_eq!(message["oob_url"], url.as_str(), "XEP-0066 data: {message}");
    assert!(url.ends_with("holiday%20photo.jpg"), "{url}");
    assert_eq!(fetch(&mut peer, &url).await, photo, "the bytes we sent");
    // Stateless File Sharing (XEP-0447) as slixmpp reads it: what the file is, and its hash.
    let sfs = &message["sfs"];
    assert_eq!(sfs["name"], "holiday photo.jpg", "{message}");
    assert_eq!(sfs["size"], 3_000_000);
    assert_eq!(sfs["media_type"], "image/jpeg");
    assert_eq!(sfs["urls"], json!([url]));
    assert_eq!(sfs["sha256_b64"], sha256_b64(&photo));

    let sent = settled(&engine, row.id).await;
    assert!(
        matches!(
            sent.state,
            MessageState::Sent | MessageState::Delivered | MessageState::Displayed
        ),
        "{sent:?}"
    );
    assert_eq!(sent.body, url);
    assert_eq!(sent.file.unwrap().url.as_deref(), Some(url.as_str()));

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_the_servers_limit_is_refused_in_words_before_anything_is_stored() {
    let mut server = upload_server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("upload-limit")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    let dir = folder("upload-big");
    let path = dir.join("film.mkv");
    // Sparse: the size is what counts, and nothing may be read before the refusal.
    std::fs::File::create(&path)
        .unwrap()
        .set_len(2 * SERVER_LIMIT)
        .unwrap();
    let err = engine.send_file(account.id, &bob, &path).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "The file is 134.2 MB; your server takes files up to 67.1 MB. A direct transfer is not \
         possible either: bob@localhost is offline; a direct transfer needs them online.",
        "the limit in words, and why it cannot go peer to peer instead"
    );
    assert_eq!(engine.count_messages(account.id, &bob).await.unwrap(), 0);

    // A path that is no file.
    let err = engine.send_file(account.id, &bob, &dir).await.unwrap_err();
    assert!(err.to_string().contains("is not a file"), "{err}");

    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_waiting_offline_survives_a_restart_and_goes_once_and_a_cancelled_one_never() {
    let mut server = upload_server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("upload-restart");
    let first = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let account = first.add_account(account(&server, &alice)).await.unwrap();
    first.set_account_enabled(account.id, false).await.unwrap();

    let dir = folder("upload-offline");
    let notes = content(200_000, 2);
    let kept = write(&dir, "notes.pdf", &notes);
    let dropped = write(&dir, "draft.txt", b"never sent");
    let waiting = first.send_file(account.id, &bob, &kept).await.unwrap();
    let cancelled = first.send_file(account.id, &bob, &dropped).await.unwrap();
    first.cancel_upload(cancelled.id).await.unwrap();
    let row = first.message(cancelled.id).await.unwrap().unwrap();
    assert_eq!(row.state, MessageState::Failed);
    assert_eq!(row.error.as_deref(), Some("Upload cancelled."));
    assert!(
        first.cancel_upload(cancelled.id).await.is_err(),
        "nothing left to cancel"
    );
    first.shutdown().await;
    drop(first);

    // The app starts again; the account comes online and the waiting upload goes.
    let mut peer = server.peer("bob", "bob-pw", true).await.unwrap();
    let second = engine(&server, Some(db), true, passwords).await;
    let mut rx = second.subscribe();
    second.set_account_enabled(account.id, true).await.unwrap();
    wait_online(&second, &mut rx, account.id).await;
    let message = peer_message(&mut peer).await;
    let url = message["body"].as_str().unwrap().to_owned();
    assert!(url.ends_with("/notes.pdf"), "{message}");
    assert_eq!(fetch(&mut peer, &url).await, notes);
    let sent = settled(&second, waiting.id).await;
    assert_ne!(sent.state, MessageState::Failed, "{sent:?}");

    // Exactly once, and nothing of the cancelled file.
    let more = peer
        .collect(Duration::from_secs(2), |e| {
            e["event"] == "message" && !e["body"].is_null()
        })
        .await;
    assert!(
        more.is_empty(),
        "sent once, the cancelled one never: {more:?}"
    );
    assert_eq!(
        second.message(cancelled.id).await.unwrap().unwrap().state,
        MessageState::Failed
    );

    peer.close().await;
    second.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_the_contact_uploads_arrives_as_a_file_we_download_with_progress() {
    let mut server = upload_server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("download")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", true).await.unwrap();

    // slixmpp uploads (XEP-0363) and sends the URL with out-of-band data, as clients do.
    let report = content(1_500_000, 3);
    let upload = peer
        .command_with_timeout(
            json!({"cmd": "upload", "filename": "report 2026.pdf", "content_type": "application/pdf",
                "data_b64": base64::engine::general_purpose::STANDARD.encode(&report)}),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let url = upload["url"].as_str().unwrap().to_owned();
    let described = json!({"data_b64": base64::engine::general_purpose::STANDARD.encode(&report),
        "urls": [url], "name": "report 2026.pdf", "media_type": "application/pdf"});
    peer.command(
        json!({"cmd": "send", "to": alice, "body": url, "oob_url": url, "sfs": described}),
    )
    .await
    .unwrap();
    // A link in text with out-of-band data for it stays a link.
    peer.command(json!({"cmd": "send", "to": alice, "body": format!("see {url}"), "oob_url": url}))
        .await
        .unwrap();
    let bodies = bodies_until(&engine, account.id, &bob, "the link", |b| {
        b.starts_with("see ")
    })
    .await;
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    let page = engine.messages(account.id, &bob, None, 10).await.unwrap();
    let file = page[0].file.clone().expect("shared as a file");
    assert_eq!(file.name, "report 2026.pdf");
    assert_eq!(file.url.as_deref(), Some(url.as_str()));
    assert_eq!(file.size, Some(1_500_000), "from its XEP-0447 metadata");
    assert_eq!(file.media_type.as_deref(), Some("application/pdf"));
    assert_eq!(file.sha256.as_deref(), Some(sha256_b64(&report).as_str()));
    assert_eq!(page[1].file, None, "a link in text is no file");

    let downloads = folder("downloads");
    let saved = engine.save_file(page[0].id, &downloads).await.unwrap();
    assert_eq!(saved.file_name().unwrap(), "report 2026.pdf");
    assert_eq!(std::fs::read(&saved).unwrap(), report, "the bytes uploaded");
    let progress: Vec<(u64, Option<u64>)> = std::iter::from_fn(|| rx.try_recv().ok())
        .filter_map(|e| match e {
            EngineEvent::FileProgress {
                message_id,
                upload: false,
                done,
                total,
                ..
            } if message_id == page[0].id => Some((done, total)),
            _ => None,
        })
        .collect();
    assert_eq!(
        progress.last(),
        Some(&(1_500_000, Some(1_500_000))),
        "{progress:?}"
    );
    assert!(progress.len() > 2, "told along the way: {progress:?}");
    let row = engine.message(page[0].id).await.unwrap().unwrap();
    assert_eq!(
        row.file.unwrap().path.as_deref(),
        Some(saved.to_string_lossy().as_ref()),
        "where it was saved is remembered"
    );
    // "Save as…": to the name the user chose, replacing what was there; nothing else left.
    let chosen = downloads.join("chosen name.pdf");
    std::fs::write(&chosen, b"old").unwrap();
    let saved_as = engine.save_file_as(page[0].id, &chosen).await.unwrap();
    assert_eq!(saved_as, chosen);
    assert_eq!(std::fs::read(&chosen).unwrap(), report);
    assert_eq!(
        std::fs::read_dir(&downloads).unwrap().count(),
        2,
        "the first save and this one"
    );
    std::fs::remove_file(&chosen).unwrap();

    // A sender whose metadata lies about the file (another hash): nothing saved, said why.
    let lie = json!({"data_b64": base64::engine::general_purpose::STANDARD.encode(b"something else"),
        "urls": [url], "name": "swapped.pdf"});
    peer.command(json!({"cmd": "send", "to": alice, "body": url, "oob_url": url, "sfs": lie}))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while engine.count_messages(account.id, &bob).await.unwrap() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lying copy never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let newest = engine.messages(account.id, &bob, None, 1).await.unwrap();
    assert_eq!(newest[0].file.as_ref().unwrap().name, "swapped.pdf");
    let err = engine
        .save_file(newest[0].id, &downloads)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("SHA-256 differs"), "{err}");
    // No partial file was left behind.
    assert_eq!(std::fs::read_dir(&downloads).unwrap().count(), 1);

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_an_encrypted_chat_the_file_goes_up_encrypted_and_python_omemo_opens_it() {
    let mut server = upload_server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("upload-omemo")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server
        .peer_with_flags("bob", "bob-pw", &["--omemo"])
        .await
        .unwrap();
    common::omemo::devices_of(&mut peer, &alice).await;
    engine
        .set_conversation_encryption(account.id, &bob, true)
        .await
        .unwrap();

    let dir = folder("upload-omemo-src");
    let scan = content(400_000, 4);
    let path = write(&dir, "passport scan.png", &scan);
    let row = engine.send_file(account.id, &bob, &path).await.unwrap();
    assert_eq!(row.encryption, "omemo");

    // python-omemo decrypts the message: an aesgcm:// link (XEP-0454), no out-of-band data
    // in the clear; slixmpp's XEP-0454 plugin decrypts the downloaded file.
    let message = peer_message(&mut peer).await;
    assert!(message["encrypted"].is_string(), "{message}");
    let link = message["body"].as_str().unwrap().to_owned();
    assert!(link.starts_with("aesgcm://"), "{message}");
    assert!(
        message["oob_url"].is_null(),
        "nothing about the file in the clear: {message}"
    );
    let opened = peer
        .command_with_timeout(
            json!({"cmd": "fetch_encrypted", "url": link}),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let plain = base64::engine::general_purpose::STANDARD
        .decode(opened["data_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(plain, scan, "the bytes we sent, decrypted by slixmpp");
    // What the server holds is not the file.
    let https = link.replacen("aesgcm://", "https://", 1);
    let https = https.split('#').next().unwrap();
    let stored = fetch(&mut peer, https).await;
    assert_eq!(stored.len(), scan.len() + 16, "ciphertext and tag");
    assert_ne!(&stored[..scan.len()], &scan[..]);

    let sent = settled(&engine, row.id).await;
    assert_ne!(sent.state, MessageState::Failed, "{sent:?}");
    assert!(sent.file.unwrap().url.unwrap().starts_with("aesgcm://"));

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn dimensions(png: &[u8]) -> (u32, u32) {
    let picture = image::load_from_memory(png).unwrap();
    (picture.width(), picture.height())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_from_contacts_and_ours_get_previews_and_a_strangers_is_not_fetched() {
    let mut server = upload_server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let carol = server.register("carol", "carol-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("previews")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut bob_peer = server.peer("bob", "bob-pw", true).await.unwrap();
    let mut carol_peer = server.peer("carol", "carol-pw", true).await.unwrap();
    engine
        .add_contact(account.id, &bob, None, vec![])
        .await
        .unwrap();

    // Each uploads a photo with slixmpp and sends it as out-of-band data.
    let mut rows = Vec::new();
    for (peer, from) in [(&mut bob_peer, &bob), (&mut carol_peer, &carol)] {
        let photo = png(1600, 900);
        let upload = peer
            .command_with_timeout(
                json!({"cmd": "upload", "filename": "view.png", "content_type": "image/png",
                    "data_b64": base64::engine::general_purpose::STANDARD.encode(&photo)}),
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        let url = upload["url"].as_str().unwrap().to_owned();
        peer.command(json!({"cmd": "send", "to": alice, "body": url, "oob_url": url}))
            .await
            .unwrap();
        bodies_until(&engine, account.id, from, "the photo", |b| b == url).await;
        rows.push(engine.messages(account.id, from, None, 1).await.unwrap()[0].clone());
    }

    // The contact's: fetched, fitted into 480 px, kept (the second call needs no server).
    let preview = engine.image_preview(rows[0].id, false).await.unwrap();
    assert_eq!(dimensions(&preview), (480, 270));
    // The stranger's: not fetched, said in words.
    let err = engine.image_preview(rows[1].id, false).await.unwrap_err();
    assert!(err.to_string().contains("only from your contacts"), "{err}");
    // Unless the user asks to see it.
    let asked = engine.image_preview(rows[1].id, true).await.unwrap();
    assert_eq!(dimensions(&asked), (480, 270));

    // Ours: made from the file we sent.
    let dir = folder("previews-ours");
    let path = write(&dir, "tall.png", &png(300, 1200));
    let ours = engine.send_file(account.id, &bob, &path).await.unwrap();
    assert_eq!(
        dimensions(&engine.image_preview(ours.id, false).await.unwrap()),
        (120, 480)
    );
    // Not an image.
    let notes = write(&dir, "notes.txt", b"plain text");
    let text = engine.send_file(account.id, &bob, &notes).await.unwrap();
    assert!(engine.image_preview(text.id, false).await.is_err());

    server.stop().await.unwrap();
    assert_eq!(
        engine.image_preview(rows[0].id, false).await.unwrap(),
        preview,
        "kept in the store, made once"
    );

    bob_peer.close().await;
    carol_peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_goes_without_its_exif_position_unless_the_user_keeps_it() {
    use img_parts::ImageEXIF;
    let mut server = upload_server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("exif")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", true).await.unwrap();

    // A JPEG carrying EXIF with a position in it, as a phone's camera writes.
    let mut encoded = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(200, 100, |x, _| {
        image::Rgb([x as u8, 40, 160])
    }))
    .write_to(
        &mut std::io::Cursor::new(&mut encoded),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(encoded.into()).unwrap();
    jpeg.set_exif(Some(img_parts::Bytes::from_static(
        b"II*\0GPSLatitude 48.8584N",
    )));
    let mut photo = Vec::new();
    jpeg.encoder().write_to(&mut photo).unwrap();
    let dir = folder("exif-src");
    let path = write(&dir, "tower.jpg", &photo);

    engine.send_file(account.id, &bob, &path).await.unwrap();
    let message = peer_message(&mut peer).await;
    let got = fetch(&mut peer, message["body"].as_str().unwrap()).await;
    assert!(
        !got.windows(11).any(|w| w == b"GPSLatitude"),
        "the position stayed home"
    );
    let picture = image::load_from_memory(&got).unwrap();
    assert_eq!(
        (picture.width(), picture.height()),
        (200, 100),
        "the picture itself went"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        photo,
        "the user's own file is untouched"
    );

    // The user chose to keep it (the preview dialog's box unticked): it goes as it is.
    let kept = engine
        .send_file_with(account.id, &bob, &path, true)
        .await
        .unwrap();
    assert!(
        kept.file.as_ref().unwrap().keep_metadata,
        "the choice is stored"
    );
    let message = peer_message(&mut peer).await;
    let got = fetch(&mut peer, message["body"].as_str().unwrap()).await;
    assert_eq!(got, photo, "sent with its metadata, as chosen");

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_retracted_while_it_uploads_never_goes() {
    let mut server = upload_server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("upload-retract")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", true).await.unwrap();

    // 20 MB take Prosody's upload service seconds: the retraction comes long before the end.
    let dir = folder("upload-retract");
    let path = write(&dir, "oops.bin", &content(20_000_000, 5));
    let row = engine.send_file(account.id, &bob, &path).await.unwrap();
    engine.retract_message(account.id, row.id).await.unwrap();

    let seen = peer
        .collect(Duration::from_secs(8), |e| {
            e["event"] == "message" && (!e["oob_url"].is_null() || !e["sfs"].is_null())
        })
        .await;
    assert!(seen.is_empty(), "the retracted file went out: {seen:?}");
    let now = engine.message(row.id).await.unwrap().unwrap();
    assert!(now.retracted && now.body.is_empty(), "{now:?}");
    assert_eq!(now.file, None, "nothing of the file stays");

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}
