//! Audio and video played inline (voice messages among them), on a real Prosody
//! (`mod_http_file_share` over HTTPS) with the slixmpp peer: a contact's voice message is
//! fetched only when asked ([`Engine::fetch_media`]), checked against the sender's bytes and
//! kept in the media cache, so it plays again with the server gone; ours plays from the file
//! we sent; what is neither audio nor video is refused in words.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use common::omemo::bodies_until;
use common::*;
use linnet_testkit::Server;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_message_is_fetched_on_play_kept_and_ours_plays_from_the_sent_file() {
    init_tracing();
    let mut server = Server::start_with(&["--upload-https"])
        .await
        .expect("the Prosody harness must start");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("media");
    let cache = db.parent().unwrap().join("media-cache");
    let engine = engine(&server, Some(db.clone()), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut bob_peer = server.peer("bob", "bob-pw", true).await.unwrap();
    engine
        .add_contact(account.id, &bob, None, vec![])
        .await
        .unwrap();

    // Bob's client uploads a voice message with slixmpp and sends it as out-of-band data.
    let voice: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let upload = bob_peer
        .command_with_timeout(
            json!({"cmd": "upload", "filename": "voice.ogg", "content_type": "audio/ogg",
                "data_b64": base64::engine::general_purpose::STANDARD.encode(&voice)}),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let url = upload["url"].as_str().unwrap().to_owned();
    bob_peer
        .command(json!({"cmd": "send", "to": alice, "body": url, "oob_url": url}))
        .await
        .unwrap();
    bodies_until(&engine, account.id, &bob, "the voice message", |b| b == url).await;
    let row = engine.messages(account.id, &bob, None, 1).await.unwrap()[0].clone();

    // Nothing is here before Play, and looking fetches nothing.
    assert_eq!(engine.local_media(row.id, &cache).await.unwrap(), None);
    // Play: fetched into the cache, the very bytes.
    let path = engine.fetch_media(row.id, &cache).await.unwrap();
    assert!(path.starts_with(cache.join(row.id.to_string())), "{path:?}");
    assert_eq!(std::fs::read(&path).unwrap(), voice);
    let (local, media_type) = engine.local_media(row.id, &cache).await.unwrap().unwrap();
    assert_eq!(
        (local.clone(), media_type.as_str()),
        (path.clone(), "audio/ogg")
    );

    // Ours: played from the file we sent.
    let dir = db.parent().unwrap().join("ours");
    std::fs::create_dir_all(&dir).unwrap();
    let ours_path = dir.join("hello.wav");
    std::fs::write(&ours_path, b"RIFF....WAVEfmt ").unwrap();
    let ours = engine
        .send_file(account.id, &bob, &ours_path)
        .await
        .unwrap();
    let (played, media_type) = engine.local_media(ours.id, &cache).await.unwrap().unwrap();
    assert_eq!(played, ours_path);
    assert!(media_type.starts_with("audio/"), "{media_type}");

    // Not audio or video: refused in words.
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, b"plain").unwrap();
    let text = engine.send_file(account.id, &bob, &notes).await.unwrap();
    let err = engine.fetch_media(text.id, &cache).await.unwrap_err();
    assert!(err.to_string().contains("no audio or video"), "{err}");

    // Kept: plays again with the server gone.
    server.stop().await.unwrap();
    assert_eq!(engine.fetch_media(row.id, &cache).await.unwrap(), path);

    bob_peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}
