//! Image thumbnails in Stateless File Sharing's metadata (XEP-0446 size, XEP-0264 thumbnail
//! carried as XEP-0231 Bits of Binary), on a real Prosody (`mod_http_file_share` over HTTPS)
//! with slixmpp on the other side: our photo goes with its size and a small JPEG thumbnail
//! that slixmpp's xep_0231 stanza finds in the message under the cid the thumbnail names; a
//! stranger's photo with a thumbnail built by slixmpp's xep_0264 and xep_0231 stanzas shows
//! that thumbnail (nothing fetched) while the photo itself stays unfetched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use common::omemo::bodies_until;
use common::*;
use linnet_testkit::Server;
use serde_json::json;
use sha1::Digest as _;

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

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_photo_goes_with_its_thumbnail_and_a_strangers_thumbnail_shows_unfetched() {
    init_tracing();
    let mut server = Server::start_with(&["--upload-https"])
        .await
        .expect("the Prosody harness must start");
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let carol = server.register("carol", "carol-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("thumbnails");
    let engine = engine(&server, Some(db.clone()), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut bob_peer = server.peer("bob", "bob-pw", true).await.unwrap();
    let mut carol_peer = server.peer("carol", "carol-pw", true).await.unwrap();

    // Ours: its size and a thumbnail, the thumbnail's data in the message under its cid.
    let dir = db.parent().unwrap().join("photos");
    std::fs::create_dir_all(&dir).unwrap();
    let photo = dir.join("harbour.png");
    std::fs::write(&photo, png(1600, 900)).unwrap();
    engine.send_file(account.id, &bob, &photo).await.unwrap();
    let got = bob_peer
        .wait_for(Duration::from_secs(30), "the photo", |e| {
            e["event"] == "message" && !e["sfs"].is_null()
        })
        .await
        .unwrap();
    let sfs = &got["sfs"];
    assert_eq!(
        (sfs["width"].as_u64(), sfs["height"].as_u64()),
        (Some(1600), Some(900)),
        "{sfs}"
    );
    let thumb = &sfs["thumbnail"];
    assert_eq!(thumb["media_type"], "image/jpeg", "{thumb}");
    assert_eq!(
        (thumb["width"].as_u64(), thumb["height"].as_u64()),
        (Some(96), Some(54))
    );
    let data = base64::engine::general_purpose::STANDARD
        .decode(
            thumb["data_b64"]
                .as_str()
                .expect("the data is in the message"),
        )
        .unwrap();
    let cid = format!(
        "cid:sha1+{}@bob.xmpp.org",
        hex::encode(sha1::Sha1::digest(&data))
    );
    assert_eq!(
        thumb["uri"],
        cid.as_str(),
        "XEP-0231 §2: the cid is the data's hash"
    );
    let decoded = image::load_from_memory(&data).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (96, 54));

    // A stranger's photo, with a thumbnail slixmpp builds (XEP-0264 over XEP-0231).
    let full = png(1200, 800);
    let upload = carol_peer
        .command_with_timeout(
            json!({"cmd": "upload", "filename": "view.png", "content_type": "image/png",
                "data_b64": b64(&full)}),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let url = upload["url"].as_str().unwrap().to_owned();
    carol_peer
        .command(
            json!({"cmd": "send", "to": alice, "body": url, "oob_url": url,
            "sfs": {"data_b64": b64(&full), "urls": [url], "name": "view.png",
                "media_type": "image/png", "width": 1200, "height": 800,
                "thumbnail": {"data_b64": b64(&png(12, 8)), "media_type": "image/png",
                    "width": 12, "height": 8}}}),
        )
        .await
        .unwrap();
    bodies_until(&engine, account.id, &carol, "the stranger's photo", |b| {
        b == url
    })
    .await;
    let row = engine.messages(account.id, &carol, None, 1).await.unwrap()[0].clone();
    let shown = engine.sender_thumbnail(row.id).await.unwrap();
    let shown = image::load_from_memory(&shown).unwrap();
    assert_eq!((shown.width(), shown.height()), (12, 8));
    let err = engine.image_preview(row.id, false).await.unwrap_err();
    assert!(err.to_string().contains("only from your contacts"), "{err}");

    bob_peer.close().await;
    carol_peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}
