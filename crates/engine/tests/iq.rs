//! Stories about the requests other entities send us: ping (XEP-0199), disco#info (XEP-0030),
//! software version (XEP-0092), and `service-unavailable` for anything we do not implement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;
use linnet_engine::NewAccount;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_client_can_ping_discover_and_ask_our_version() {
    let mut server = server().await;
    let jid = server.register("kim", "pw").await.unwrap();
    server.register("lee", "pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&jid, "pw");
    let engine = engine(&server, None, true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(NewAccount {
            jid: format!("{jid}/desk"),
            ..account(&server, &jid)
        })
        .await
        .unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let full = format!("{jid}/desk");
    let mut peer = server.peer("lee", "pw", false).await.unwrap();

    let iq = |xml: &str| json!({"cmd": "iq", "type": "get", "to": full, "xml": xml, "timeout": 5});
    let ping = peer
        .command(iq("<ping xmlns='urn:xmpp:ping'/>"))
        .await
        .unwrap();
    assert_eq!(ping["type"], "result", "ping is answered: {ping}");

    let disco = peer
        .command(iq("<query xmlns='http://jabber.org/protocol/disco#info'/>"))
        .await
        .unwrap();
    assert_eq!(disco["type"], "result");
    let xml = disco["xml"].as_str().unwrap();
    for feature in [
        "urn:xmpp:ping",
        "http://jabber.org/protocol/disco#info",
        "jabber:iq:version",
        "urn:xmpp:receipts",
    ] {
        assert!(xml.contains(feature), "disco#info lists {feature}: {xml}");
    }
    assert!(
        xml.contains("category=\"client\"") || xml.contains("category='client'"),
        "we identify as a client: {xml}"
    );

    let version = peer
        .command(iq("<query xmlns='jabber:iq:version'/>"))
        .await
        .unwrap();
    assert!(
        version["xml"].as_str().unwrap().contains("Linnet"),
        "version names Linnet: {version}"
    );

    let unknown = peer
        .command(iq("<query xmlns='urn:example:nothing'/>"))
        .await
        .unwrap();
    assert_eq!(unknown["type"], "error");
    assert_eq!(
        unknown["error"], "service-unavailable",
        "RFC 6120 §8.4: unsupported requests get service-unavailable"
    );

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}
