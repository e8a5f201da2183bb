//! Accounts on the server (XEP-0077) against a real Prosody (`mod_register` with
//! `allow_registration`): the sign-up form is fetched over verified TLS and submitted on the
//! same stream (a taken user name refused in words, then corrected on the same form); the
//! account it makes lets an independent client (slixmpp) log in; its password changed here
//! works for slixmpp and the old one no longer does; deleted here, it is gone from the server
//! and from the engine. A form left is closed. A server without sign-up says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;
use linnet_engine::{EngineError, FieldValues, RegistrationServer};
use linnet_testkit::Server;

fn values(pairs: &[(&str, &str)]) -> Vec<FieldValues> {
    pairs
        .iter()
        .map(|(var, value)| FieldValues {
            var: (*var).to_owned(),
            values: vec![(*value).to_owned()],
        })
        .collect()
}

fn here(server: &Server) -> RegistrationServer {
    RegistrationServer {
        domain: server.domain(),
        host: Some(server.host()),
        port: Some(server.c2s_port()),
        direct_tls: false,
    }
}

#[tokio::test]
async fn an_account_is_created_its_password_changed_and_it_is_deleted() {
    init_tracing();
    let mut server = Server::start_with(&["--allow-registration"])
        .await
        .expect("the Prosody harness must start (tests never skip silently)");
    server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    let engine = engine(&server, None, true, passwords.clone()).await;
    let mut rx = engine.subscribe();

    let form = engine.registration_form(here(&server)).await.unwrap();
    assert_eq!(form.domain, server.domain());
    let vars: Vec<&str> = form.fields.iter().map(|f| f.var.as_str()).collect();
    assert!(
        vars.contains(&"username") && vars.contains(&"password"),
        "{vars:?}"
    );
    let password = form.fields.iter().find(|f| f.var == "password").unwrap();
    assert_eq!(
        password.kind, "text-private",
        "the password is typed hidden"
    );

    // A taken name is refused in words; the same form then takes another.
    let taken = engine
        .register(
            &form.session,
            values(&[("username", "bob"), ("password", "x")]),
        )
        .await
        .unwrap_err();
    match &taken {
        EngineError::Server(words) => assert!(words.contains("taken"), "{words}"),
        other => panic!("not a refusal: {other:?}"),
    }
    let created = engine
        .register(
            &form.session,
            values(&[("username", "carol"), ("password", "carol-pw")]),
        )
        .await
        .unwrap();
    let carol = format!("carol@{}", server.domain());
    assert_eq!(created.jid, carol);
    assert_eq!(created.port, Some(server.c2s_port()));
    // The form is used up.
    assert!(matches!(
        engine
            .register(
                &form.session,
                values(&[("username", "dave"), ("password", "p")])
            )
            .await,
        Err(EngineError::NotFound(_))
    ));

    // A form left (back, another server) is closed at once, not kept until it expires.
    let left = engine.registration_form(here(&server)).await.unwrap();
    engine.cancel_registration(&left.session).await;
    assert!(matches!(
        engine
            .register(
                &left.session,
                values(&[("username", "erin"), ("password", "p")])
            )
            .await,
        Err(EngineError::NotFound(_))
    ));

    // An independent client logs in with what we chose.
    server
        .peer("carol", "carol-pw", false)
        .await
        .unwrap()
        .close()
        .await;

    passwords.set(&carol, "carol-pw");
    let account = engine.add_account(created).await.unwrap().id;
    wait_online(&engine, &mut rx, account).await;

    engine.change_password(account, "carol-new").await.unwrap();
    server
        .peer("carol", "carol-new", false)
        .await
        .unwrap()
        .close()
        .await;
    assert!(
        server.peer("carol", "carol-pw", false).await.is_err(),
        "the old password still works"
    );

    engine.delete_account_on_server(account).await.unwrap();
    assert!(
        engine.accounts().await.unwrap().is_empty(),
        "still listed here"
    );
    assert!(
        server.peer("carol", "carol-new", false).await.is_err(),
        "the account still exists on the server"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_server_without_sign_up_says_so() {
    init_tracing();
    let server = Server::start()
        .await
        .expect("the Prosody harness must start (tests never skip silently)");
    let engine = engine(&server, None, true, Arc::new(Passwords::default())).await;
    let refused = engine.registration_form(here(&server)).await.unwrap_err();
    assert!(
        matches!(refused, EngineError::Server(_) | EngineError::Network(_)),
        "{refused:?}"
    );
    assert!(!refused.to_string().is_empty());
    eprintln!("without sign-up: {refused}");

    let bad = engine
        .registration_form(RegistrationServer {
            domain: "not a domain@".into(),
            ..here(&server)
        })
        .await;
    assert!(
        matches!(bad, Err(EngineError::InvalidJid { .. })),
        "{bad:?}"
    );
    server.shutdown().await;
}
