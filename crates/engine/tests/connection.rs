//! Stories about connections telling the truth: wrong password, untrusted certificate,
//! server restarts and resource conflicts, each against a real Prosody.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use linnet_engine::{ConnectionState, EngineEvent, ErrorCode, NewAccount};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_reported_within_five_seconds_and_not_retried() {
    let mut server = server().await;
    let jid = server.register("erin", "right").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&jid, "wrong");
    let engine = engine(&server, None, true, passwords).await;
    let mut rx = engine.subscribe();
    let started = Instant::now();
    let account = engine.add_account(account(&server, &jid)).await.unwrap();
    let ev = wait_event(&mut rx, Duration::from_secs(5), "auth_failed", |e| {
        is_state(e, account.id, "error")
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let EngineEvent::AccountState {
        state: ConnectionState::Error { code, message, .. },
        ..
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(code, ErrorCode::AuthFailed);
    assert!(
        message.contains("password"),
        "the sentence tells the user what to check: {message}"
    );
    // Nothing retries behind the user's back.
    let quiet = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(EngineEvent::AccountState { .. }) = rx.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(
        quiet.is_err(),
        "no further connection attempt after auth_failed"
    );
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_shown_and_connects_once_pinned() {
    let mut server = server().await;
    let jid = server.register("frank", "pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&jid, "pw");
    // This engine does not trust the harness CA: the certificate is unknown to it.
    let engine = engine(&server, None, false, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &jid)).await.unwrap();
    let ev = wait_event(
        &mut rx,
        Duration::from_secs(10),
        "certificate_untrusted",
        |e| is_state(e, account.id, "error"),
    )
    .await;
    let EngineEvent::AccountState {
        state: ConnectionState::Error { code, cert, .. },
        ..
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(code, ErrorCode::CertificateUntrusted);
    let cert = cert.expect("the refused certificate is described");
    assert_eq!(
        cert.sha256,
        server.cert_sha256(),
        "the fingerprint is the one of the leaf Prosody serves"
    );
    assert!(
        cert.subject.contains("localhost"),
        "subject names the server: {}",
        cert.subject
    );

    engine
        .trust_certificate(account.id, &cert.sha256, Some(&cert.subject))
        .await
        .unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_means_reconnecting_then_online_by_itself() {
    let mut server = server().await;
    let jid = server.register("grace", "pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&jid, "pw");
    let engine = engine(&server, None, true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &jid)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;

    server.stop().await.unwrap();
    wait_event(&mut rx, Duration::from_secs(15), "reconnecting", |e| {
        is_state(e, account.id, "reconnecting")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.restart().await.unwrap();
    wait_event(&mut rx, Duration::from_secs(30), "online again", |e| {
        is_state(e, account.id, "online")
    })
    .await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_conflict_stops_without_ping_pong() {
    let mut server = server().await;
    let jid = server.register("heidi", "pw").await.unwrap();
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
    // Another client binds the same resource; Prosody kicks the older session with <conflict/>.
    let peer = server
        .peer_with_resource("heidi", "pw", false, Some("desk"))
        .await
        .unwrap();
    let ev = wait_event(&mut rx, Duration::from_secs(15), "conflict", |e| {
        is_state(e, account.id, "error")
    })
    .await;
    let EngineEvent::AccountState {
        state: ConnectionState::Error { code, .. },
        ..
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(code, ErrorCode::Conflict);
    let quiet = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(EngineEvent::AccountState { .. }) = rx.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "no reconnect after a conflict");
    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[test]
fn an_invalid_jid_is_a_clear_error() {
    let err = linnet_engine::parse_jid("not a jid@@").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidJid);
    assert!(
        linnet_engine::parse_jid("example.org").is_err(),
        "a JID needs a user part"
    );
    assert_eq!(
        linnet_engine::parse_jid(" Alice@Example.ORG ")
            .unwrap()
            .to_string(),
        "alice@example.org",
        "RFC 7622 nodeprep case-folds the localpart"
    );
}
