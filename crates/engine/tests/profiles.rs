//! Profiles and nicknames on a real Prosody (`mod_pep`, `mod_vcard4`, `mod_vcard_legacy`) with
//! slixmpp's own plugins on the other side (`xep_0292`, `xep_0054`, `xep_0172`, `xep_0092`):
//! a contact's vCard4 is read, and their vcard-temp where the server keeps no vCard4
//! (`mod_vcard` alone); their nickname arrives over PEP and names them until they clear it;
//! their resources come with the client each runs; renaming, regrouping and presence sharing
//! either way change the roster on the server. Ours, saved here, reaches the contact as
//! vCard4, vcard-temp (with our avatar kept) and nickname, and goes into our subscription
//! requests; a stranger's request keeps the nickname it carried.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::people::{pair, Pair};
use common::*;
use linnet_engine::{EngineEvent, Profile, ProfileSource, Show};
use serde_json::{json, Value};

fn bobs_profile() -> Profile {
    Profile {
        full_name: Some("Robert Tables".into()),
        nickname: Some("bobby".into()),
        email: Some("bob@example.org".into()),
        phone: Some("+44 20 7946 0000".into()),
        note: Some("Ask me about SQL".into()),
    }
}

fn as_fields(profile: &Profile) -> Value {
    json!({
        "full_name": profile.full_name, "nickname": profile.nickname, "email": profile.email,
        "phone": profile.phone, "note": profile.note,
    })
}

/// Polls bob's roster view until `check` holds for it (`what` names it in the failure).
async fn bob_until(p: &Pair, what: &str, check: impl Fn(&linnet_engine::Contact) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let contacts = p.engine.contacts(p.account).await.unwrap();
        let bob = contacts
            .iter()
            .find(|c| c.jid == p.bob)
            .expect("bob listed");
        if check(bob) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob never showed {what}: {bob:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn bobs_nick(p: &Pair, want: Option<&str>) {
    bob_until(p, &format!("nickname {want:?}"), |b| {
        b.nick.as_deref() == want
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contacts_vcard4_nickname_and_clients_are_shown() {
    let mut p = pair("profiles-contact", &[]).await;

    // vCard4 (XEP-0292) by slixmpp's xep_0292.
    let mut cmd = as_fields(&bobs_profile());
    cmd["cmd"] = json!("profile_publish");
    p.peer.command(cmd).await.unwrap();
    let seen = p.engine.profile(p.account, &p.bob).await.unwrap();
    assert_eq!(seen.source, ProfileSource::Vcard4);
    assert_eq!(seen.profile, bobs_profile());

    // Nickname (XEP-0172) by slixmpp's xep_0172: arrives by itself, and goes when cleared.
    assert_eq!(
        p.engine
            .contacts(p.account)
            .await
            .unwrap()
            .iter()
            .find(|c| c.jid == p.bob)
            .unwrap()
            .nick,
        None
    );
    p.peer
        .command(json!({"cmd": "nick_publish", "nick": "Bobby T."}))
        .await
        .unwrap();
    wait_event(
        &mut p.rx,
        Duration::from_secs(15),
        "the roster shown again",
        |e| matches!(e, EngineEvent::RosterChanged { .. }),
    )
    .await;
    bobs_nick(&p, Some("Bobby T.")).await;
    p.peer
        .command(json!({"cmd": "nick_publish", "nick": null}))
        .await
        .unwrap();
    bobs_nick(&p, None).await;

    // Resources, each with the client it says it runs (XEP-0092 by slixmpp's xep_0092).
    p.peer
        .command(
            json!({"cmd": "software", "name": "Peer Client", "version": "2.5", "os": "Plan 9"}),
        )
        .await
        .unwrap();
    let resources = p.engine.contact_resources(p.account, &p.bob).await.unwrap();
    assert_eq!(resources.len(), 1, "{resources:?}");
    assert_eq!(resources[0].presence.show, Show::Available);
    assert_eq!(
        resources[0].client.as_deref(),
        Some("Peer Client 2.5 (Plan 9)")
    );
    assert!(!resources[0].resource.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_is_renamed_regrouped_and_presence_sharing_changed_either_way() {
    let p = pair("profiles-roster", &[]).await;
    p.engine
        .update_contact(
            p.account,
            &p.bob,
            Some("Robert".into()),
            vec!["Work".into(), "Friends".into()],
        )
        .await
        .unwrap();
    bob_until(&p, "the new name and groups", |b| {
        let mut groups = b.groups.clone();
        groups.sort();
        b.name.as_deref() == Some("Robert") && groups == ["Friends", "Work"]
    })
    .await;
    // RFC 6121 §3.3: we stop seeing theirs; they still see ours.
    p.engine.unsubscribe(p.account, &p.bob).await.unwrap();
    bob_until(&p, "subscription from", |b| b.subscription == "from").await;
    // §3.2: we stop sharing ours.
    p.engine.deny_subscription(p.account, &p.bob).await.unwrap();
    bob_until(&p, "subscription none", |b| b.subscription == "none").await;
    // §3.1: asked again; slixmpp (auto-accepting) approves.
    p.engine
        .request_subscription(p.account, &p.bob)
        .await
        .unwrap();
    bob_until(&p, "subscription to", |b| b.subscription == "to").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vcard_temp_profile_is_read_where_the_server_keeps_no_vcard4() {
    let mut p = pair("profiles-vcard-temp", &["--vcard-temp-only"]).await;
    let none = p.engine.profile(p.account, &p.bob).await.unwrap();
    assert_eq!(none.source, ProfileSource::None, "{none:?}");
    assert!(none.profile.is_empty());

    let mut cmd = as_fields(&bobs_profile());
    cmd["cmd"] = json!("profile_vcard");
    p.peer.command(cmd).await.unwrap();
    let seen = p.engine.profile(p.account, &p.bob).await.unwrap();
    assert_eq!(seen.source, ProfileSource::VcardTemp);
    assert_eq!(seen.profile, bobs_profile());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_profile_reaches_a_contact_in_every_form_and_our_requests() {
    let mut p = pair("profiles-own", &[]).await;
    let picture = {
        let img = image::RgbImage::from_fn(80, 80, |x, y| image::Rgb([x as u8, y as u8, 9]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    p.engine.set_avatar(p.account, Some(picture)).await.unwrap();

    let ours = Profile {
        full_name: Some("  Alice Liddell ".into()),
        nickname: Some("alice".into()),
        email: Some("alice@wonderland.example".into()),
        phone: None,
        note: Some("Curiouser and curiouser".into()),
    };
    p.engine.set_profile(p.account, ours.clone()).await.unwrap();
    let ours = ours.cleaned();
    assert_eq!(ours.full_name.as_deref(), Some("Alice Liddell"));

    // bob reads it three ways, as another client would.
    let seen = p
        .peer
        .command(json!({"cmd": "profile_fetch", "jid": p.alice}))
        .await
        .unwrap();
    assert_eq!(seen["vcard4"], as_fields(&ours), "{seen}");
    let temp = &seen["vcard_temp"];
    for field in ["full_name", "nickname", "email", "note"] {
        assert_eq!(
            temp[field],
            as_fields(&ours)[field],
            "vcard-temp {field}: {seen}"
        );
    }
    assert_eq!(
        temp["has_photo"], true,
        "our avatar kept in the vCard: {seen}"
    );
    assert_eq!(seen["nick"], "alice", "{seen}");

    // Read back here, from the server.
    let back = p.engine.profile(p.account, &p.alice).await.unwrap();
    assert_eq!((back.source, back.profile), (ProfileSource::Vcard4, ours));

    // Our nickname goes with a subscription request (XEP-0172 §4.2).
    let carol = p.server.register("carol", "carol-pw").await.unwrap();
    let mut carols = p.server.peer("carol", "carol-pw", false).await.unwrap();
    p.engine
        .add_contact(p.account, &carol, None, vec![])
        .await
        .unwrap();
    let request = carols
        .wait_for(Duration::from_secs(10), "our request", |e| {
            e["event"] == "presence" && e["type"] == "subscribe"
        })
        .await
        .unwrap();
    assert_eq!(request["nick"], "alice", "{request}");

    // A stranger's request keeps the nickname it carried (XEP-0172 §4.2, Example 3).
    let dave = p.server.register("dave", "dave-pw").await.unwrap();
    let mut daves = p.server.peer("dave", "dave-pw", false).await.unwrap();
    daves
        .command(json!({"cmd": "raw", "xml": format!(
            "<presence xmlns='jabber:client' to='{}' type='subscribe'>\
             <nick xmlns='http://jabber.org/protocol/nick'>Dave the Diver</nick></presence>",
            p.alice
        )}))
        .await
        .unwrap();
    wait_event(
        &mut p.rx,
        Duration::from_secs(10),
        "dave's request",
        |e| matches!(e, EngineEvent::SubscriptionRequest { jid, .. } if jid == &dave),
    )
    .await;
    let requests = p.engine.subscription_requests(p.account).await.unwrap();
    let daves_request = requests.iter().find(|r| r.jid == dave).unwrap();
    assert_eq!(daves_request.nick.as_deref(), Some("Dave the Diver"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_presence_is_kept_across_a_restart_and_sent_at_connect() {
    let mut p = pair("profiles-presence", &[]).await;
    p.engine
        .set_presence(p.account, Show::Away, Some("brb".into()))
        .await
        .unwrap();
    let seen = p
        .peer
        .wait_for(Duration::from_secs(10), "our away", |e| {
            e["event"] == "presence" && e["show"] == "away"
        })
        .await
        .unwrap();
    assert_eq!(seen["status"], "brb", "{seen}");

    p.engine.shutdown().await;
    p.peer
        .wait_for(Duration::from_secs(10), "us gone", |e| {
            e["event"] == "presence" && e["type"] == "unavailable"
        })
        .await
        .unwrap();
    let engine = engine(&p.server, Some(p.db.clone()), true, p.passwords.clone()).await;
    let view = engine.account(p.account).await.unwrap();
    assert_eq!(
        (view.own_show, view.own_status.as_deref()),
        (Show::Away, Some("brb"))
    );
    let back = p
        .peer
        .wait_for(Duration::from_secs(15), "us back", |e| {
            e["event"] == "presence" && e["type"] == "available"
        })
        .await
        .unwrap();
    assert_eq!(
        (&back["show"], &back["status"]),
        (&json!("away"), &json!("brb")),
        "{back}"
    );
    engine.shutdown().await;
}
