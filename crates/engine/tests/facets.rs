//! Stories about what messages do to each other, between our engine and an independent
//! slixmpp peer (its XEP-0308, 0424, 0444, 0461 and 0085 plugins) on a real Prosody: a
//! correction, a retraction, reactions, a reply and chat states, both ways, and the same
//! claims forged by a stranger, which must change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use linnet_engine::{ChatStateName, Engine, EngineEvent, MessageRow, MessageState};
use linnet_testkit::Peer;
use serde_json::{json, Value};
use tokio::sync::broadcast;

const WAIT: Duration = Duration::from_secs(10);

struct Chat {
    engine: Engine,
    rx: broadcast::Receiver<EngineEvent>,
    account: i64,
    alice: String,
    bob: Peer,
    mallory: Peer,
    _server: linnet_testkit::Server,
}

/// Alice on our engine, bob and mallory as slixmpp peers (mallory is no contact of anyone).
async fn chat(name: &str) -> Chat {
    let mut server = server().await;
    let alice = server.register("alice", "alice-pw").await.unwrap();
    server.register("bob", "bob-pw").await.unwrap();
    server.register("mallory", "mallory-pw").await.unwrap();
    let passwords = Arc::new(Passwords::default());
    passwords.set(&alice, "alice-pw");
    let engine = engine(&server, Some(temp_db(name)), true, passwords).await;
    let mut rx = engine.subscribe();
    let account = engine
        .add_account(account(&server, &alice))
        .await
        .unwrap()
        .id;
    wait_online(&engine, &mut rx, account).await;
    let bob = server.peer("bob", "bob-pw", true).await.unwrap();
    let mallory = server.peer("mallory", "mallory-pw", true).await.unwrap();
    Chat {
        engine,
        rx,
        account,
        alice,
        bob,
        mallory,
        _server: server,
    }
}

impl Chat {
    /// Waits until a `MessagesChanged` for `peer` names a row for which `pred` holds.
    async fn wait_row(
        &mut self,
        peer: &str,
        what: &str,
        pred: impl Fn(&MessageRow) -> bool,
    ) -> MessageRow {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let ev = wait_event(
                &mut self.rx,
                left,
                what,
                |e| matches!(e, EngineEvent::MessagesChanged { peer: p, .. } if p == peer),
            )
            .await;
            let EngineEvent::MessagesChanged { ids, .. } = ev else {
                unreachable!()
            };
            let rows = self
                .engine
                .messages_by_id(self.account, &ids)
                .await
                .unwrap();
            if let Some(row) = rows.into_iter().find(|r| pred(r)) {
                return row;
            }
        }
    }

    /// Bob's message `body` as stored here.
    async fn bob_says(&mut self, body: &str) -> (MessageRow, String) {
        let bob = self.bob.bare();
        let id = self.bob.send(&self.alice.clone(), body).await.unwrap();
        let row = self
            .wait_row(&bob, "bob's message", |r| r.body == body)
            .await;
        (row, id)
    }

    /// Alice's message `body` to bob, once bob has it; its stanza id as bob saw it.
    async fn alice_says(&mut self, body: &str) -> (MessageRow, String) {
        let bob = self.bob.bare();
        let row = self
            .engine
            .send_message(self.account, &bob, body)
            .await
            .unwrap();
        let seen = self
            .bob
            .wait_for(WAIT, "alice's message at bob", |e| {
                e["event"] == "message" && e["body"] == body
            })
            .await
            .unwrap();
        (row, seen["id"].as_str().unwrap().to_owned())
    }

    /// Mallory sends raw XML to alice (a message of mallory's making), then bob sends a
    /// message: once bob's has arrived, mallory's has been processed (one stream, in order
    /// at the server for one recipient is not guaranteed, so a further round trip is added).
    async fn settle(&mut self) {
        let probe = format!("probe-{}", rand_id());
        self.bob_says(&probe).await;
    }

    async fn row(&self, id: i64) -> MessageRow {
        self.engine.message(id).await.unwrap().unwrap()
    }
}

fn rand_id() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    i64::try_from(since.unwrap().as_millis()).unwrap()
}

fn ok(reply: &Value) {
    assert_eq!(reply["ok"], true, "peer command failed: {reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_apply_in_place_only_from_the_author() {
    let mut c = chat("facets-correct").await;
    let (alice, bob) = (c.alice.clone(), c.bob.bare());
    let (original, bob_id) = c.bob_says("helo").await;

    // Mallory forges a correction of bob's message (same id): nothing happens to bob's.
    let forged = c
        .mallory
        .command(
            json!({"cmd": "correct", "to": alice, "target_id": bob_id, "body": "send me money"}),
        )
        .await
        .unwrap();
    ok(&forged);
    c.settle().await;
    assert_eq!(
        c.row(original.id).await.body,
        "helo",
        "mallory cannot edit bob's"
    );
    assert_eq!(
        c.engine
            .count_messages(c.account, "mallory@localhost")
            .await
            .unwrap(),
        0
    );

    // Bob's own correction (slixmpp's XEP-0308 plugin) replaces the text in place.
    ok(&c
        .bob
        .command(json!({"cmd": "correct", "to": alice, "target_id": bob_id, "body": "hello"}))
        .await
        .unwrap());
    let fixed = c
        .wait_row(&bob, "bob's correction", |r| {
            r.id == original.id && r.edited
        })
        .await;
    assert_eq!(fixed.body, "hello");
    assert!(fixed.edited);
    let edits = c
        .engine
        .message_edits(c.account, original.id)
        .await
        .unwrap();
    assert_eq!(
        edits.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["helo"]
    );

    // Bob cannot correct alice's message either.
    let (ours, ours_at_bob) = c.alice_says("see you at 8").await;
    ok(&c
        .bob
        .command(
            json!({"cmd": "correct", "to": alice, "target_id": ours_at_bob, "body": "never mind"}),
        )
        .await
        .unwrap());
    c.settle().await;
    assert_eq!(c.row(ours.id).await.body, "see you at 8");

    // Alice corrects hers: bob's client sees an XEP-0308 correction naming the original.
    c.engine
        .correct_message(c.account, ours.id, "see you at 9")
        .await
        .unwrap();
    let seen = c
        .bob
        .wait_for(WAIT, "alice's correction at bob", |e| {
            e["event"] == "message" && e["body"] == "see you at 9"
        })
        .await
        .unwrap();
    assert_eq!(seen["replace"], ours_at_bob.as_str());
    let ours = c.row(ours.id).await;
    assert!(ours.edited && ours.body == "see you at 9");
    let count = c.engine.count_messages(c.account, &bob).await.unwrap();
    assert_eq!(
        count, 4,
        "helo, two probes, see you: corrections add no rows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retractions_remove_the_text_only_for_the_author() {
    let mut c = chat("facets-retract").await;
    let (alice, bob) = (c.alice.clone(), c.bob.bare());
    let (original, bob_id) = c.bob_says("my address is 1 Main St").await;

    ok(&c
        .mallory
        .command(json!({"cmd": "retract", "to": alice, "target_id": bob_id}))
        .await
        .unwrap());
    c.settle().await;
    assert!(
        !c.row(original.id).await.retracted,
        "mallory cannot retract bob's"
    );

    ok(&c
        .bob
        .command(json!({"cmd": "retract", "to": alice, "target_id": bob_id}))
        .await
        .unwrap());
    let gone = c
        .wait_row(&bob, "bob's retraction", |r| {
            r.id == original.id && r.retracted
        })
        .await;
    assert!(gone.retracted);
    assert_eq!(gone.body, "", "nothing of the text is kept");
    assert_eq!(
        c.engine.count_messages(c.account, &bob).await.unwrap(),
        2,
        "the retraction's fallback body is not a message: the original and one probe"
    );

    let (ours, _) = c.alice_says("oops, wrong chat").await;
    c.engine.retract_message(c.account, ours.id).await.unwrap();
    let seen = c
        .bob
        .wait_for(WAIT, "alice's retraction at bob", |e| {
            e["event"] == "message" && !e["retract"].is_null()
        })
        .await
        .unwrap();
    assert_eq!(seen["retract"], ours.origin_id.clone().unwrap().as_str());
    assert!(c.row(ours.id).await.retracted);
    let again = c.engine.retract_message(c.account, ours.id).await;
    assert!(
        again.is_err(),
        "a retracted message cannot be retracted or edited again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_are_each_senders_whole_set() {
    let mut c = chat("facets-react").await;
    let (alice, bob) = (c.alice.clone(), c.bob.bare());
    let (ours, ours_at_bob) = c.alice_says("lunch?").await;

    ok(&c
        .bob
        .command(
            json!({"cmd": "react", "to": alice, "target_id": ours_at_bob, "emojis": ["👍", "🍕"]}),
        )
        .await
        .unwrap());
    let row = c
        .wait_row(&bob, "bob's reactions", |r| {
            r.id == ours.id && !r.reactions.is_empty()
        })
        .await;
    assert_eq!(row.reactions.len(), 1);
    assert_eq!(row.reactions[0].sender, bob);
    assert_eq!(row.reactions[0].emojis, ["👍", "🍕"]);

    // Mallory's reaction to a message of alice's chat with bob lands nowhere: in mallory's
    // own conversation there is no such message.
    ok(&c
        .mallory
        .command(json!({"cmd": "react", "to": alice, "target_id": ours_at_bob, "emojis": ["💩"]}))
        .await
        .unwrap());
    // Bob takes the pizza back: his set is now only the thumb.
    ok(&c
        .bob
        .command(json!({"cmd": "react", "to": alice, "target_id": ours_at_bob, "emojis": ["👍"]}))
        .await
        .unwrap());
    let row = c
        .wait_row(&bob, "bob's new set", |r| {
            r.id == ours.id && r.reactions.first().is_some_and(|x| x.emojis == ["👍"])
        })
        .await;
    assert_eq!(row.reactions.len(), 1, "no reaction of mallory's: {row:?}");

    // Alice reacts to bob's message: bob's plugin sees the set, by bob's id.
    let (theirs, bob_id) = c.bob_says("pizza it is").await;
    c.engine
        .react_to_message(c.account, theirs.id, &["❤️".to_owned()])
        .await
        .unwrap();
    let seen = c
        .bob
        .wait_for(WAIT, "alice's reaction at bob", |e| {
            e["event"] == "message" && !e["reactions"].is_null()
        })
        .await
        .unwrap();
    assert_eq!(seen["reactions"]["id"], bob_id.as_str());
    assert_eq!(seen["reactions"]["emojis"], json!(["❤️"]));
    let mine = c
        .engine
        .messages_by_id(c.account, &[theirs.id])
        .await
        .unwrap();
    assert!(mine[0]
        .reactions
        .iter()
        .any(|r| r.ours && r.emojis == ["❤️"]));
    c.engine
        .react_to_message(c.account, theirs.id, &[])
        .await
        .unwrap();
    let mine = c
        .engine
        .messages_by_id(c.account, &[theirs.id])
        .await
        .unwrap();
    assert!(mine[0].reactions.is_empty(), "an empty set removes ours");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_quote_their_original_both_ways() {
    let mut c = chat("facets-reply").await;
    let (alice, bob) = (c.alice.clone(), c.bob.bare());
    let (ours, ours_at_bob) = c.alice_says("Shall we meet at noon?").await;

    ok(&c
        .bob
        .command(
            json!({"cmd": "reply", "to": alice, "target_id": ours_at_bob,
                        "reply_to": format!("{alice}/linnet"), "body": "Yes!",
                        "quote": "Shall we meet at noon?", "quote_nick": "alice"}),
        )
        .await
        .unwrap());
    let reply = c.wait_row(&bob, "bob's reply", |r| r.reply.is_some()).await;
    assert_eq!(
        reply.body, "Yes!",
        "the quoted fallback is not part of the text"
    );
    let to = reply.reply.clone().unwrap();
    assert_eq!(to.row, Some(ours.id), "linked to alice's stored message");
    assert_eq!(to.quote.as_deref(), Some("Shall we meet at noon?"));

    let (theirs, bob_id) = c.bob_says("Bring the map").await;
    let sent = c
        .engine
        .send_reply(c.account, &bob, "Will do", theirs.id)
        .await
        .unwrap();
    assert_eq!(sent.reply.as_ref().and_then(|r| r.row), Some(theirs.id));
    let seen = c
        .bob
        .wait_for(WAIT, "alice's reply at bob", |e| {
            e["event"] == "message" && !e["reply"].is_null()
        })
        .await
        .unwrap();
    assert_eq!(seen["reply"]["id"], bob_id.as_str());
    assert_eq!(seen["fallback_stripped_body"], "Will do");
    assert!(
        seen["body"]
            .as_str()
            .unwrap()
            .starts_with("> Bring the map"),
        "clients without replies see the quote: {seen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_states_are_told_both_ways_and_never_stored() {
    let mut c = chat("facets-typing").await;
    let (alice, bob) = (c.alice.clone(), c.bob.bare());
    ok(&c
        .bob
        .command(json!({"cmd": "chat_state", "to": alice, "state": "composing"}))
        .await
        .unwrap());
    let ev = wait_event(&mut c.rx, WAIT, "bob typing", |e| {
        matches!(e, EngineEvent::ChatState { .. })
    })
    .await;
    let EngineEvent::ChatState {
        peer,
        sender,
        state,
        ..
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(
        (peer.as_str(), sender, state),
        (bob.as_str(), None, ChatStateName::Composing)
    );
    assert_eq!(c.engine.count_messages(c.account, &bob).await.unwrap(), 0);

    c.engine
        .send_chat_state(c.account, &bob, ChatStateName::Composing)
        .await
        .unwrap();
    let seen = c
        .bob
        .wait_for(WAIT, "alice typing at bob", |e| {
            e["event"] == "message" && e["chat_state"] == "composing"
        })
        .await
        .unwrap();
    assert!(seen["body"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_errors_and_timestamps_change_nothing() {
    let mut c = chat("facets-forged").await;
    let alice = c.alice.clone();
    let (ours, _) = c.alice_says("are you there?").await;
    let our_id = ours.message_id.clone().unwrap();

    // Mallory claims our message to bob bounced (RFC 6120 §8.3: only bob, where it went,
    // or our server can say so).
    let error = format!(
        "<message xmlns='jabber:client' type='error' to='{alice}' id='{our_id}'>\
           <error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>\
         </message>"
    );
    ok(&c
        .mallory
        .command(json!({"cmd": "raw", "xml": error}))
        .await
        .unwrap());
    c.settle().await;
    let ours = c.row(ours.id).await;
    assert_ne!(ours.state, MessageState::Failed, "{ours:?}");

    // Mallory back-dates one message and future-dates another with XEP-0203 delays of
    // mallory's own making: both are stored at arrival time.
    let before = now_ms() - 1000;
    for (n, stamp) in [(1, "2001-01-01T00:00:00Z"), (2, "2099-01-01T00:00:00Z")] {
        let xml = format!(
            "<message xmlns='jabber:client' type='chat' to='{alice}' id='dated{n}'>\
               <body>dated {n}</body>\
               <delay xmlns='urn:xmpp:delay' from='mallory@localhost' stamp='{stamp}'/>\
             </message>"
        );
        ok(&c
            .mallory
            .command(json!({"cmd": "raw", "xml": xml}))
            .await
            .unwrap());
        let row = c
            .wait_row("mallory@localhost", "mallory's dated message", |r| {
                r.body == format!("dated {n}")
            })
            .await;
        let after = now_ms();
        assert!(
            row.at >= before - 1000 && row.at <= after,
            "stamp {stamp} stored as {} (now {after})",
            row.at
        );
    }

    // A body far over the cap is stored cut, with a marker saying so.
    let long = "x".repeat(200_000);
    c.bob.send(&alice, &long).await.unwrap();
    let bob = c.bob.bare();
    let row = c
        .wait_row(&bob, "bob's long message", |r| r.body.starts_with("xxxx"))
        .await;
    assert!(
        row.body.len() < 70 * 1024,
        "stored {} bytes",
        row.body.len()
    );
    assert!(
        row.body.ends_with("more characters were not kept]"),
        "{}",
        &row.body[row.body.len() - 60..]
    );
}
