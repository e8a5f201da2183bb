//! Avatars on a real Prosody (`mod_pep`, `mod_vcard_legacy`) with slixmpp's own plugins on
//! the other side (`xep_0084`, `xep_0153`, `xep_0054`): a contact's avatar published over PEP
//! (XEP-0084) or in its vCard (XEP-0153) is fetched, checked against its SHA-1, kept and named
//! in the roster view; cleared, it goes. Ours, set here, reaches the contact in both forms
//! (PEP data + metadata and the vCard's PHOTO), and removing it removes both. On a server
//! that keeps vCards apart from PEP (`mod_vcard`, no `mod_vcard_legacy`), a vCard avatar is
//! found through the hash in presence alone and fetched from the vCard.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Cursor;
use std::time::Duration;

use base64::Engine as _;
use common::people::{pair, Pair};
use common::*;
use linnet_engine::EngineEvent;
use serde_json::json;
use sha1::Digest as _;
use tokio::sync::broadcast;

fn picture(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 5) as u8, 120])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

fn sha1_hex(data: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(data))
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

async fn avatar_changed(
    rx: &mut broadcast::Receiver<EngineEvent>,
    who: &str,
    what: &str,
    want: Option<&str>,
) {
    wait_event(rx, Duration::from_secs(15), what, |e| {
        matches!(e, EngineEvent::AvatarChanged { jid, hash, .. }
            if jid == who && hash.as_deref() == want)
    })
    .await;
}

async fn roster_avatar(p: &Pair) -> Option<String> {
    let contacts = p.engine.contacts(p.account).await.unwrap();
    contacts
        .into_iter()
        .find(|c| c.jid == p.bob)
        .expect("bob in the roster")
        .avatar
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contacts_avatar_over_pep_or_vcard_is_fetched_checked_and_shown() {
    let mut p = pair("avatars-contact", &[]).await;

    // XEP-0084, published by slixmpp's xep_0084: data item, then metadata.
    let png = picture(64, 48, image::ImageFormat::Png);
    let hash = sha1_hex(&png);
    let answer = p
        .peer
        .command(json!({"cmd": "avatar_publish", "data_b64": b64(&png), "width": 64, "height": 48}))
        .await
        .unwrap();
    assert_eq!(answer["hash"], hash, "{answer}");
    let bob = p.bob.clone();
    avatar_changed(&mut p.rx, &bob, "bob's PEP avatar", Some(&hash)).await;
    let kept = p
        .engine
        .avatar_png(&hash)
        .await
        .unwrap()
        .expect("the picture is kept");
    let shown = image::load_from_memory(&kept).unwrap();
    assert_eq!(
        (shown.width(), shown.height()),
        (48, 48),
        "cut square from the centre, not enlarged"
    );
    assert_eq!(roster_avatar(&p).await.as_deref(), Some(hash.as_str()));

    // Cleared (empty metadata, XEP-0084 §4.5): no avatar, the picture stays cached.
    p.peer
        .command(json!({"cmd": "avatar_clear"}))
        .await
        .unwrap();
    avatar_changed(&mut p.rx, &bob, "bob's avatar cleared", None).await;
    assert_eq!(roster_avatar(&p).await, None);

    // XEP-0153 by slixmpp's xep_0153: a JPEG in the vCard, its hash in presence.
    let jpeg = picture(300, 200, image::ImageFormat::Jpeg);
    let vcard_hash = sha1_hex(&jpeg);
    p.peer
        .command(json!({"cmd": "avatar_vcard", "data_b64": b64(&jpeg), "media_type": "image/jpeg"}))
        .await
        .unwrap();
    avatar_changed(&mut p.rx, &bob, "bob's vCard avatar", Some(&vcard_hash)).await;
    let kept = p.engine.avatar_png(&vcard_hash).await.unwrap().unwrap();
    let shown = image::load_from_memory(&kept).unwrap();
    assert_eq!((shown.width(), shown.height()), (128, 128));
    assert_eq!(
        roster_avatar(&p).await.as_deref(),
        Some(vcard_hash.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_avatar_reaches_a_contact_in_both_forms_and_can_be_removed() {
    let mut p = pair("avatars-own", &[]).await;
    let jpeg = picture(400, 300, image::ImageFormat::Jpeg);
    let hash = p
        .engine
        .set_avatar(p.account, Some(jpeg))
        .await
        .unwrap()
        .expect("a hash");
    let alice = p.alice.clone();
    avatar_changed(&mut p.rx, &alice, "our avatar", Some(&hash)).await;
    assert_eq!(
        p.engine.account(p.account).await.unwrap().avatar.as_deref(),
        Some(hash.as_str())
    );

    // bob reads it as any other client would: PEP metadata + data, and the vCard.
    let seen = p
        .peer
        .command(json!({"cmd": "avatar_fetch", "jid": alice}))
        .await
        .unwrap();
    assert_eq!(seen["pep_hash"], hash, "{seen}");
    assert_eq!(seen["pep_type"], "image/png", "{seen}");
    let decode = |v: &serde_json::Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("bytes"))
            .unwrap()
    };
    let data = decode(&seen["pep_b64"]);
    assert_eq!(sha1_hex(&data), hash, "the data item hashes to its id");
    let published = image::load_from_memory(&data).unwrap();
    assert_eq!((published.width(), published.height()), (192, 192));
    assert_eq!(sha1_hex(&decode(&seen["vcard_b64"])), hash, "{seen}");
    assert_eq!(seen["vcard_type"], "image/png", "{seen}");

    // Removed: no metadata item names a picture, the vCard has no photo.
    assert_eq!(p.engine.set_avatar(p.account, None).await.unwrap(), None);
    avatar_changed(&mut p.rx, &alice, "our avatar removed", None).await;
    let seen = p
        .peer
        .command(json!({"cmd": "avatar_fetch", "jid": alice}))
        .await
        .unwrap();
    assert!(seen["pep_hash"].is_null(), "{seen}");
    assert!(seen["vcard_b64"].is_null(), "{seen}");

    // Bad input: bytes that are no picture are refused in words, nothing published.
    let err = p
        .engine
        .set_avatar(p.account, Some(b"not a picture".to_vec()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("image"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vcard_only_avatar_is_found_through_presence_and_read_from_the_vcard() {
    let mut p = pair("avatars-vcard", &["--vcard-temp-only"]).await;
    let jpeg = picture(90, 120, image::ImageFormat::Jpeg);
    let hash = sha1_hex(&jpeg);
    p.peer
        .command(json!({"cmd": "avatar_vcard", "data_b64": b64(&jpeg), "media_type": "image/jpeg"}))
        .await
        .unwrap();
    let bob = p.bob.clone();
    avatar_changed(&mut p.rx, &bob, "bob's vCard avatar", Some(&hash)).await;
    let kept = p.engine.avatar_png(&hash).await.unwrap().unwrap();
    let shown = image::load_from_memory(&kept).unwrap();
    assert_eq!((shown.width(), shown.height()), (90, 90));
    assert_eq!(roster_avatar(&p).await.as_deref(), Some(hash.as_str()));
    // No PEP avatar was ever published: the vCard was the only source.
    let seen = p
        .peer
        .command(json!({"cmd": "avatar_fetch", "jid": bob}))
        .await
        .unwrap();
    assert!(seen["pep_hash"].is_null(), "{seen}");
}
