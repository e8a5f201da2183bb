//! Ad-hoc commands (XEP-0050) against Prosody's own: `mod_uptime` for anyone, and
//! `mod_admin_adhoc`'s multi-field "Add User" for the harness's admin account.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;

use common::{account, engine, server, temp_db, wait_online, Passwords};
use linnet_engine::{CommandAction, CommandStatus, Engine, EngineError, FieldValues};

async fn online(server: &linnet_testkit::Server, jid: &str, pw: &str, db: &str) -> (Engine, i64) {
    let passwords = Arc::new(Passwords::default());
    passwords.set(jid, pw);
    let engine = engine(server, Some(temp_db(db)), true, passwords).await;
    let mut rx = engine.subscribe();
    let acc = engine.add_account(account(server, jid)).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;
    (engine, acc.id)
}

fn value(var: &str, v: &str) -> FieldValues {
    FieldValues {
        var: var.into(),
        values: vec![v.into()],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_commands_are_listed_run_and_a_form_stage_creates_a_user() {
    let mut server = server().await;
    let admin = server.register("admin", "admin-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let (engine, id) = online(&server, &admin, "admin-pw", "adhoc-admin").await;

    let commands = engine.list_commands(id, None).await.unwrap();
    let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"Get uptime"), "{names:?}");
    let add_user = commands
        .iter()
        .find(|c| c.node == "http://jabber.org/protocol/admin#add-user")
        .unwrap_or_else(|| panic!("an admin sees Add User: {names:?}"));
    assert_eq!(add_user.jid, "localhost");

    // One stage: the answer is a note, the command completed.
    let uptime = commands.iter().find(|c| c.name == "Get uptime").unwrap();
    let done = engine
        .run_command(id, &uptime.jid, &uptime.node)
        .await
        .unwrap();
    assert_eq!(done.status, CommandStatus::Completed);
    assert!(
        done.notes.iter().any(|n| n.text.contains("running")),
        "{:?}",
        done.notes
    );

    // A form stage: fields to fill in, then complete.
    let form = engine
        .run_command(id, &add_user.jid, &add_user.node)
        .await
        .unwrap();
    assert_eq!(form.status, CommandStatus::Executing);
    assert!(form.session.id.is_some(), "a session for the next stage");
    let vars: Vec<&str> = form.fields.iter().map(|f| f.var.as_str()).collect();
    for needed in ["accountjid", "password", "password-verify"] {
        assert!(vars.contains(&needed), "{vars:?}");
    }
    assert!(
        form.actions.contains(&CommandAction::Complete),
        "{:?}",
        form.actions
    );
    let done = engine
        .continue_command(
            id,
            &form.session,
            CommandAction::Complete,
            vec![
                value("accountjid", "carol@localhost"),
                value("password", "carol-pw"),
                value("password-verify", "carol-pw"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(done.status, CommandStatus::Completed, "{done:?}");
    // The account exists: slixmpp logs in with it.
    let carol = server.peer("carol", "carol-pw", false).await.unwrap();
    carol.close().await;

    // A command started and left is cancelled without an error.
    let again = engine
        .run_command(id, &add_user.jid, &add_user.node)
        .await
        .unwrap();
    engine.cancel_command(id, &again.session).await.unwrap();
    engine.shutdown().await;

    // Someone who is not an admin is refused in words.
    let (engine, id) = online(&server, &bob, "bob-pw", "adhoc-bob").await;
    let listed = engine.list_commands(id, None).await.unwrap();
    assert!(
        !listed.iter().any(|c| c.node == add_user.node),
        "bob is not offered Add User"
    );
    match engine.run_command(id, "localhost", &add_user.node).await {
        Err(EngineError::Server(words)) => {
            assert!(words.contains("not allowed"), "{words}");
        }
        other => panic!("bob must be refused: {other:?}"),
    }
    // An address that is not valid is an error before anything is sent.
    assert!(matches!(
        engine.list_commands(id, Some("not a jid@@")).await,
        Err(EngineError::InvalidJid { .. })
    ));
    engine.shutdown().await;
    server.shutdown().await;
}
