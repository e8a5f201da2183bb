//! Delivery guarantees against a real Prosody, with a loopback proxy the test controls (cut,
//! refuse, blackhole) and the slixmpp peer: every message arrives exactly once across lost
//! connections, server restarts, a killed process and other clients of the same account
//! (XEP-0198, XEP-0184, XEP-0333, XEP-0280, XEP-0313).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use linnet_engine::MessageState;
use linnet_engine::{Engine, EngineConfig, EngineEvent, NewAccount, StoreOptions, TrustRoots};
use linnet_testkit::{FaultProxy, Peer, Server};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::broadcast;

fn via_proxy(jid: &str, proxy: &FaultProxy) -> NewAccount {
    NewAccount {
        jid: jid.to_owned(),
        host: Some("127.0.0.1".into()),
        port: Some(proxy.port()),
        direct_tls: false,
    }
}

async fn proxy_for(server: &Server) -> FaultProxy {
    let target: SocketAddr = format!("{}:{}", server.host(), server.c2s_port())
        .parse()
        .unwrap();
    FaultProxy::start(target).await.unwrap()
}

fn is_message_with_body(e: &Value, body: &str) -> bool {
    e["event"] == "message" && e["body"] == body
}

/// Waits until every body has reached the peer, then keeps listening for `quiet` more and
/// asserts each arrived exactly once.
async fn assert_each_once(peer: &mut Peer, bodies: &[&str], timeout: Duration, quiet: Duration) {
    let mut counts = vec![0usize; bodies.len()];
    let deadline = tokio::time::Instant::now() + timeout;
    while counts.contains(&0) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let ev = peer
            .wait_for(left, "our messages to reach the peer", |e| {
                e["event"] == "message"
            })
            .await
            .unwrap_or_else(|e| panic!("{e}; received so far: {counts:?} of {bodies:?}"));
        if let Some(i) = bodies.iter().position(|b| ev["body"] == *b) {
            counts[i] += 1;
        }
    }
    for ev in peer.collect(quiet, |e| e["event"] == "message").await {
        if let Some(i) = bodies.iter().position(|b| ev["body"] == *b) {
            counts[i] += 1;
        }
    }
    assert!(
        counts.iter().all(|&c| c == 1),
        "each message exactly once, got {counts:?} for {bodies:?}"
    );
}

/// Polls the store until every row has one of `states`.
async fn wait_states(engine: &Engine, ids: &[i64], states: &[&str], what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut now = Vec::new();
        for id in ids {
            now.push(engine.message(*id).await.unwrap().unwrap().state);
        }
        if now.iter().all(|s| states.contains(&s.as_str())) {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("{what}: states are {now:?}, expected one of {states:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_reconnecting(rx: &mut broadcast::Receiver<EngineEvent>, id: i64) {
    wait_event(
        rx,
        Duration::from_secs(20),
        "the account to notice the lost connection",
        |e| is_state(e, id, "reconnecting"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_written_during_an_outage_arrive_once_and_end_delivered() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let proxy = proxy_for(&server).await;
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("outage")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(via_proxy(&alice, &proxy)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", false).await.unwrap();

    // The network goes away: open connections die, new ones are refused.
    proxy.refuse(true);
    proxy.cut();
    wait_reconnecting(&mut rx, account.id).await;
    let mut ids = Vec::new();
    for body in [
        "during the outage 1",
        "during the outage 2",
        "during the outage 3",
    ] {
        let row = engine.send_message(account.id, &bob, body).await.unwrap();
        assert_eq!(row.state, MessageState::Pending);
        ids.push(row.id);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.heal();
    wait_online(&engine, &mut rx, account.id).await;

    assert_each_once(
        &mut peer,
        &[
            "during the outage 1",
            "during the outage 2",
            "during the outage 3",
        ],
        Duration::from_secs(30),
        Duration::from_secs(3),
    )
    .await;
    // slixmpp answers the receipt requests (XEP-0184).
    wait_states(&engine, &ids, &["delivered"], "after bob's receipts").await;

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_dropped_connection_resumes_and_retransmits_once() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let proxy = proxy_for(&server).await;
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("blackhole")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(via_proxy(&alice, &proxy)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", false).await.unwrap();

    // Bytes vanish both ways while the TCP connection looks alive: the stanzas are written
    // but never acknowledged (XEP-0198).
    proxy.blackhole(true, true);
    let a = engine
        .send_message(account.id, &bob, "into the void 1")
        .await
        .unwrap();
    let b = engine
        .send_message(account.id, &bob, "into the void 2")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Then the connection breaks and the network heals: the stream resumes or restarts and
    // what was not acknowledged goes out once.
    proxy.cut();
    proxy.heal();
    assert_each_once(
        &mut peer,
        &["into the void 1", "into the void 2"],
        Duration::from_secs(40),
        Duration::from_secs(3),
    )
    .await;
    wait_states(
        &engine,
        &[a.id, b.id],
        &["delivered"],
        "after the resumption",
    )
    .await;

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prosody_restarted_mid_conversation_loses_and_duplicates_nothing() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("restart")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", false).await.unwrap();

    let before = engine
        .send_message(account.id, &bob, "before the restart")
        .await
        .unwrap();
    assert_each_once(
        &mut peer,
        &["before the restart"],
        Duration::from_secs(10),
        Duration::from_millis(500),
    )
    .await;
    peer.send(&alice, "bob before the restart").await.unwrap();
    wait_event(&mut rx, Duration::from_secs(10), "bob's message", |e| {
        matches!(e, EngineEvent::MessagesChanged { live: true, .. })
    })
    .await;

    server.stop().await.unwrap();
    wait_reconnecting(&mut rx, account.id).await;
    let during = engine
        .send_message(account.id, &bob, "while the server was down")
        .await
        .unwrap();
    server.restart().await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    // Bob logs in again; the message reaches him live or from offline storage, once.
    drop(peer);
    let mut peer = server.peer("bob", "bob-pw", false).await.unwrap();
    assert_each_once(
        &mut peer,
        &["while the server was down"],
        Duration::from_secs(30),
        Duration::from_secs(3),
    )
    .await;
    peer.send(&alice, "bob after the restart").await.unwrap();
    wait_states(
        &engine,
        &[before.id, during.id],
        &["delivered"],
        "both messages acknowledged by bob's client",
    )
    .await;

    // Alice's side: every message once, in order, after the archive catch-up too.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let bodies = loop {
        let rows = engine.messages(account.id, &bob, None, 100).await.unwrap();
        let bodies: Vec<String> = rows.into_iter().map(|r| r.body).collect();
        if bodies.iter().any(|b| b == "bob after the restart")
            || tokio::time::Instant::now() > deadline
        {
            break bodies;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        bodies,
        vec![
            "before the restart",
            "bob before the restart",
            "while the server was down",
            "bob after the restart"
        ],
        "no loss, no duplicate"
    );

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_messages_sent_while_offline_show_once_in_order() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("offline-burst");
    // First run: the account exists and has caught up with its (empty) archive.
    let engine1 = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = engine1.subscribe();
    let account = engine1.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine1, &mut rx, account.id).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    engine1.shutdown().await;
    drop(engine1);

    let mut peer = server.peer("bob", "bob-pw", false).await.unwrap();
    peer.burst(&alice, 1000, "offline ").await.unwrap();

    let engine2 = engine(&server, Some(db), true, passwords).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while engine2.count_messages(account.id, &bob).await.unwrap() < 1000 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of 1000 arrived",
            engine2.count_messages(account.id, &bob).await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Offline delivery and the archive catch-up overlap: give both time to finish.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let bodies = all_bodies(&engine2, account.id, &bob).await;
    let expected: Vec<String> = (0..1000).map(|i| format!("offline {i}")).collect();
    assert_eq!(bodies.len(), 1000, "each message once");
    assert_eq!(bodies, expected, "in the order bob sent them");

    peer.close().await;
    engine2.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_other_clients_messages_appear_as_ours_live_and_after_catch_up() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("carbons");
    let engine1 = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = engine1.subscribe();
    let account = engine1.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine1, &mut rx, account.id).await;
    // Give the carbons enable (XEP-0280) and the first catch-up time to finish.
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A second client of our own account (alice's phone) writes to bob: a sent carbon.
    let mut phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    phone.send(&bob, "from my phone").await.unwrap();
    let ev = wait_event(
        &mut rx,
        Duration::from_secs(10),
        "the carbon of the phone's message",
        |e| matches!(e, EngineEvent::MessagesChanged { peer, .. } if peer == &bob),
    )
    .await;
    let EngineEvent::MessagesChanged { ids, live, .. } = ev else {
        unreachable!()
    };
    assert!(!live, "a carbon never notifies");
    let row = engine1.message(ids[0]).await.unwrap().unwrap();
    assert_eq!(row.body, "from my phone");
    assert!(row.outgoing, "shown as ours");
    engine1.shutdown().await;
    drop(engine1);
    // Servers stamp archived messages in whole seconds; a person writes the next one later.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // While Linnet is closed the phone writes again; the archive (XEP-0313) has it.
    phone
        .send(&bob, "from my phone while Linnet was closed")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let engine2 = engine(&server, Some(db), true, passwords).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let bodies = loop {
        let rows = engine2.messages(account.id, &bob, None, 50).await.unwrap();
        if rows.len() >= 2 || tokio::time::Instant::now() > deadline {
            tokio::time::sleep(Duration::from_secs(2)).await;
            break engine2.messages(account.id, &bob, None, 50).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let summary: Vec<(String, bool)> = bodies
        .iter()
        .map(|r| (r.body.clone(), r.outgoing))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("from my phone".to_owned(), true),
            ("from my phone while Linnet was closed".to_owned(), true)
        ],
        "both once, as ours, after the catch-up"
    );

    phone.close().await;
    engine2.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_archive_was_reset_the_catch_up_pages_by_time_and_skips_nothing() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    // Alice's phone stays online, so bob's messages reach it and the archive, never the
    // offline store: Linnet can only learn of them through its archive catch-up (XEP-0313).
    let phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let mut bob_peer = server.peer("bob", "bob-pw", false).await.unwrap();
    bob_peer.send(&alice, "before the reset").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // First run: the catch-up stores bob's message and remembers its archive id.
    let db = temp_db("archive-reset");
    let engine1 = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = engine1.subscribe();
    let account = engine1.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine1, &mut rx, account.id).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine1.count_messages(account.id, &bob).await.unwrap() < 1 {
        assert!(tokio::time::Instant::now() < deadline, "the first catch-up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    engine1.shutdown().await;
    drop(engine1);

    // The server's archive of alice is emptied (expiry, a reset server): the id Linnet
    // remembers is gone. Then bob writes again while Linnet is closed.
    let domain = server.domain();
    server
        .shell(&format!(
            ">require'core.storagemanager'.open('{domain}', 'archive', 'archive'):delete('alice')"
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    bob_peer
        .send(&alice, "while Linnet was closed")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Second run: the catch-up from the vanished id is refused (item-not-found); paging by
    // time from the newest stored message finds bob's new message, once.
    let engine2 = engine(&server, Some(db), true, passwords).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while engine2.count_messages(account.id, &bob).await.unwrap() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the message written while Linnet was closed arrives after the archive reset"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let bodies: Vec<String> = engine2
        .messages(account.id, &bob, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(
        bodies,
        vec!["before the reset", "while Linnet was closed"],
        "each once, in order"
    );

    phone.close().await;
    bob_peer.close().await;
    engine2.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_and_displayed_markers_move_our_message_forward() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("markers")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    let mut peer = server.peer("bob", "bob-pw", false).await.unwrap();

    let row = engine
        .send_message(account.id, &bob, "please read")
        .await
        .unwrap();
    let got = peer
        .wait_for(Duration::from_secs(10), "alice's message", |e| {
            is_message_with_body(e, "please read")
        })
        .await
        .unwrap();
    wait_states(&engine, &[row.id], &["delivered"], "bob's receipt").await;
    let id = got["id"].as_str().unwrap().to_owned();
    peer.command(serde_json::json!({"cmd": "raw", "xml": format!(
        "<message xmlns='jabber:client' to='{alice}' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='{id}'/></message>"
    )}))
    .await
    .unwrap();
    wait_states(&engine, &[row.id], &["displayed"], "bob's displayed marker").await;

    // The other way: bob asks for markers; reading the conversation sends <displayed/>.
    peer.command(serde_json::json!({"cmd": "raw", "xml": format!(
        "<message xmlns='jabber:client' to='{alice}' type='chat' id='bob-1'><body>did you?</body><markable xmlns='urn:xmpp:chat-markers:0'/></message>"
    )}))
    .await
    .unwrap();
    wait_event(
        &mut rx,
        Duration::from_secs(10),
        "bob's markable message",
        |e| matches!(e, EngineEvent::MessagesChanged { live: true, .. }),
    )
    .await;
    assert_eq!(
        engine
            .messages(account.id, &bob, None, 50)
            .await
            .unwrap()
            .iter()
            .rev()
            .find(|m| !m.outgoing && m.markable)
            .and_then(|m| m.message_id.as_deref()),
        Some("bob-1"),
        "bob's <markable/> is remembered"
    );
    engine.mark_read(account.id, &bob).await.unwrap();
    let marker = peer
        .wait_for(Duration::from_secs(10), "alice's displayed marker", |e| {
            e["event"] == "marker" && e["displayed"] == "bob-1"
        })
        .await;
    assert!(
        marker.is_ok(),
        "bob gets <displayed id='bob-1'/>: {marker:?}"
    );

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

// --- a killed process --------------------------------------------------------------------

const CHILD_ENV: &str = "LINNET_CRASH_CHILD";

/// Run by [`a_killed_app_delivers_its_last_message_exactly_once`] as a separate process
/// (this same test binary): opens the engine on the given database, waits until online,
/// sends the line it reads from stdin and reports the row id; then waits to be killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "helper process for the crash test"]
async fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let spec: Value = serde_json::from_str(&spec).unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(
        spec["jid"].as_str().unwrap(),
        spec["password"].as_str().unwrap(),
    );
    let config = EngineConfig {
        store: StoreOptions {
            path: Some(PathBuf::from(spec["db"].as_str().unwrap())),
            key: None,
        },
        trust: TrustRoots::from_pem_file(std::path::Path::new(spec["ca"].as_str().unwrap()))
            .unwrap(),
        muc_self_ping_idle: None,
        nameserver: None,
        proxy: None,
    };
    let engine = Engine::start(config, passwords).await.unwrap();
    let mut rx = engine.subscribe();
    let account_id = spec["account_id"].as_i64().unwrap();
    wait_online(&engine, &mut rx, account_id).await;
    // The archive catch-up (an empty page here) precedes sending; let it finish.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    println!("CHILD online");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(body)) = lines.next_line().await {
        let row = engine
            .send_message(account_id, spec["to"].as_str().unwrap(), &body)
            .await
            .unwrap();
        println!("CHILD sent {}", row.id);
    }
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_app_delivers_its_last_message_exactly_once() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    let proxy = proxy_for(&server).await;
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let db = temp_db("crash");
    // Create the account and its first catch-up in this process, then hand the database over.
    let setup = engine(&server, Some(db.clone()), true, passwords.clone()).await;
    let mut rx = setup.subscribe();
    let account = setup.add_account(via_proxy(&alice, &proxy)).await.unwrap();
    wait_online(&setup, &mut rx, account.id).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    setup.shutdown().await;
    drop(setup);
    let mut peer = server.peer("bob", "bob-pw", false).await.unwrap();

    let spec = serde_json::json!({
        "db": db, "jid": alice, "password": "alice-pw", "ca": server.ca_cert(),
        "account_id": account.id, "to": bob,
    });
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, spec.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut expect_line = async |prefix: &str| -> String {
        let deadline = Duration::from_secs(30);
        tokio::time::timeout(deadline, async {
            while let Ok(Some(line)) = out.next_line().await {
                eprintln!("child: {line}");
                // libtest may print "test crash_child ... " on the same line first.
                if let Some(at) = line.find(prefix) {
                    return line[at + prefix.len()..].trim().to_owned();
                }
            }
            panic!("the child process ended before printing {prefix:?}");
        })
        .await
        .unwrap_or_else(|_| panic!("no {prefix:?} from the child within {deadline:?}"))
    };
    expect_line("CHILD online").await;

    // The server's acknowledgements never get back: the message leaves, the app cannot know.
    proxy.blackhole(false, true);
    stdin
        .write_all(b"last words before the crash\n")
        .await
        .unwrap();
    stdin.flush().await.unwrap();
    let row_id: i64 = expect_line("CHILD sent").await.parse().unwrap();
    peer.wait_for(
        Duration::from_secs(10),
        "the message before the crash",
        |e| is_message_with_body(e, "last words before the crash"),
    )
    .await
    .unwrap();
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    proxy.heal();

    // Restart on the same database: the message is still in the outbox, the archive shows the
    // server has it, so it is marked sent instead of going out a second time.
    let engine = engine(&server, Some(db), true, passwords).await;
    let row = engine.message(row_id).await.unwrap().unwrap();
    assert_eq!(
        row.state,
        MessageState::Pending,
        "the crash came before the server's ack"
    );
    let mut rx = engine.subscribe();
    wait_online(&engine, &mut rx, account.id).await;
    wait_states(
        &engine,
        &[row_id],
        &["sent", "delivered"],
        "after the restart",
    )
    .await;
    let again = peer
        .collect(Duration::from_secs(4), |e| {
            is_message_with_body(e, "last words before the crash")
        })
        .await;
    assert!(again.is_empty(), "not delivered a second time: {again:?}");

    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_history_comes_from_the_archive_page_by_page_in_order() {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let bob = server.register("bob", "bob-pw").await.unwrap();
    // Alice's phone is online, so bob's 120 messages are delivered there and archived; the
    // new Linnet install has none of them.
    let phone = server
        .peer_with_resource("alice", "alice-pw", false, Some("phone"))
        .await
        .unwrap();
    let mut peer = server.peer("bob", "bob-pw", false).await.unwrap();
    peer.burst(&alice, 120, "archived ").await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db("history")), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, account.id).await;
    // The first catch-up of an account brings only the newest page.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let first = loop {
        let n = engine.count_messages(account.id, &bob).await.unwrap();
        if n > 0 || tokio::time::Instant::now() > deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            break engine.count_messages(account.id, &bob).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        first > 0 && first < 120,
        "the newest page only, got {first} messages"
    );

    // Scrolling back: page after page until the archive says complete.
    let mut pages = 0;
    loop {
        let page = engine.fetch_history(account.id, &bob).await.unwrap();
        pages += 1;
        assert!(pages < 20, "history paging never completes");
        if page.complete || page.stored == 0 {
            break;
        }
    }
    let rows = engine.messages(account.id, &bob, None, 500).await.unwrap();
    let bodies: Vec<String> = rows.iter().map(|r| r.body.clone()).collect();
    eprintln!(
        "DEBUG {:?}",
        rows.iter()
            .map(|r| (r.id, r.at, r.body.clone()))
            .collect::<Vec<_>>()
    );
    let expected: Vec<String> = (0..120).map(|i| format!("archived {i}")).collect();
    assert_eq!(bodies, expected, "all 120 once, oldest first");
    assert!(rows.iter().all(|r| !r.outgoing && r.stanza_id.is_some()));
    // Nothing older: asking again stores nothing.
    let again = engine.fetch_history(account.id, &bob).await.unwrap();
    assert_eq!(again.stored, 0);

    phone.close().await;
    peer.close().await;
    engine.shutdown().await;
    server.shutdown().await;
}
