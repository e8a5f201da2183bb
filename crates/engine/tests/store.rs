//! Store tests without a server: SQLCipher at rest, per-conversation settings, account edits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use linnet_engine::store::{NewMessage, RowIds};
use linnet_engine::{MessageState, Store, StoreOptions};

fn options(path: &std::path::Path, key: Option<&str>) -> StoreOptions {
    StoreOptions {
        path: Some(path.to_owned()),
        key: key.map(str::to_owned),
    }
}

#[tokio::test]
async fn keyed_store_is_encrypted_at_rest_and_needs_its_key() {
    let path = common::temp_db("sqlcipher");
    let store = Store::open(&options(&path, Some("correct horse")))
        .await
        .unwrap();
    let account = store
        .insert_account("alice@example.org", None, None, None, false)
        .await
        .unwrap();
    store
        .set_muted(account.id, "bob@example.org", true)
        .await
        .unwrap();
    store.close().await;

    // No plaintext on disk: neither the SQLite header nor our data.
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.starts_with(b"SQLite format 3"),
        "file must not be plain SQLite"
    );
    let needle = b"alice@example.org";
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle),
        "account JID must not appear in clear"
    );

    // Wrong key: a clear error, not garbage.
    let wrong = Store::open(&options(&path, Some("wrong"))).await;
    let err = wrong.expect_err("a wrong key must not open the store");
    assert!(err.to_string().contains("not a database"), "{err}");
    // No key at all: also refused.
    assert!(Store::open(&options(&path, None)).await.is_err());

    // Right key: everything is there.
    let store = Store::open(&options(&path, Some("correct horse")))
        .await
        .unwrap();
    let accounts = store.accounts().await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].jid, "alice@example.org");
    assert!(store.is_muted(account.id, "bob@example.org").await.unwrap());
    store.close().await;
}

#[tokio::test]
async fn a_plain_database_is_encrypted_in_place_with_nothing_lost() {
    let path = common::temp_db("migrate");
    let store = Store::open(&options(&path, None)).await.unwrap();
    let account = store
        .insert_account("erin@example.org", None, None, None, false)
        .await
        .unwrap();
    store
        .set_muted(account.id, "frank@example.org", true)
        .await
        .unwrap();
    // Left open as a crash would leave it: its latest writes still in the WAL.
    drop(store);
    assert!(linnet_engine::store::is_plain_sqlite(&path));

    let key = format!("x'{}'", "ab".repeat(32));
    let store = Store::open(&options(&path, Some(&key))).await.unwrap();
    let accounts = store.accounts().await.unwrap();
    assert_eq!(accounts.len(), 1, "the account survived");
    assert_eq!(accounts[0].jid, "erin@example.org");
    assert!(store
        .is_muted(account.id, "frank@example.org")
        .await
        .unwrap());
    store.close().await;
    assert!(!linnet_engine::store::is_plain_sqlite(&path));
    let bytes = std::fs::read(&path).unwrap();
    let needle = b"erin@example.org";
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle),
        "no JID in clear"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only the owner may read it");
    }
    // And it opens again with the key only.
    assert!(Store::open(&options(&path, None)).await.is_err());
    let store = Store::open(&options(&path, Some(&key))).await.unwrap();
    assert_eq!(store.accounts().await.unwrap().len(), 1);
    store.close().await;
}

#[tokio::test]
async fn unkeyed_store_is_plain_sqlite() {
    let path = common::temp_db("plain");
    let store = Store::open(&options(&path, None)).await.unwrap();
    store
        .insert_account("carol@example.org", None, None, None, false)
        .await
        .unwrap();
    store.close().await;
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3"));
}

#[tokio::test]
async fn mute_and_connection_settings_persist() {
    let path = common::temp_db("settings");
    let store = Store::open(&options(&path, None)).await.unwrap();
    let a = store
        .insert_account("dave@example.org", None, None, None, false)
        .await
        .unwrap();
    assert!(!store.is_muted(a.id, "erin@example.org").await.unwrap());
    store
        .set_muted(a.id, "erin@example.org", true)
        .await
        .unwrap();
    store
        .set_muted(a.id, "erin@example.org", false)
        .await
        .unwrap();
    assert!(!store.is_muted(a.id, "erin@example.org").await.unwrap());
    store
        .set_muted(a.id, "erin@example.org", true)
        .await
        .unwrap();

    store
        .set_account_connection(a.id, Some("127.0.0.1"), Some(5223), true)
        .await
        .unwrap();
    store.close().await;

    let store = Store::open(&options(&path, None)).await.unwrap();
    assert!(store.is_muted(a.id, "erin@example.org").await.unwrap());
    let row = store.account(a.id).await.unwrap();
    assert_eq!(row.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(row.port, Some(5223));
    assert!(row.direct_tls);
    assert!(store
        .set_account_connection(9999, None, None, false)
        .await
        .is_err());
}

/// One incoming chat message from `peer` at `at_ms` with archive id `stanza_id`.
fn incoming<'a>(account_id: i64, peer: &'a str, body: &'a str, at_ms: i64) -> NewMessage<'a> {
    NewMessage {
        account_id,
        peer,
        outgoing: false,
        body,
        stanza_id: Some(body),
        origin_id: None,
        message_id: None,
        at: at_ms,
        state: MessageState::Received,
        read: false,
        markable: false,
        groupchat: false,
        sender: None,
        occupant_id: None,
        reply: None,
        amend: None,
        file: None,
        image: None,
        encryption: "none",
        omemo_device: None,
    }
}

#[tokio::test]
async fn a_catch_up_stored_after_live_messages_of_the_same_second_sorts_before_them() {
    let path = common::temp_db("row-ids");
    let store = Store::open(&options(&path, None)).await.unwrap();
    let account = store
        .insert_account("alice@example.org", None, None, None, false)
        .await
        .unwrap();
    let bob = "bob@example.org";
    let second = 1_700_000_000_000;
    // Before this session.
    store
        .store_page(
            account.id,
            &[incoming(account.id, bob, "earlier", second + 100)],
            None,
            RowIds::Next,
        )
        .await
        .unwrap();
    let first = store.reserve_message_ids(10).await.unwrap();
    // Live in this session (the next free ids are above the reserved block) ...
    for body in ["live 2", "live 3"] {
        store
            .insert_message(&incoming(account.id, bob, body, second + 900))
            .await
            .unwrap()
            .unwrap();
    }
    // ... then the catch-up brings what the archive got before them, the last one a
    // copy of a live one (a duplicate: skipped) and one after it that came from the
    // archive first.
    let page = [
        incoming(account.id, bob, "archived 0", second),
        incoming(account.id, bob, "archived 1", second),
        incoming(account.id, bob, "live 2", second),
        incoming(account.id, bob, "live 4", second),
    ];
    let changed = store
        .store_page(
            account.id,
            &page,
            Some(("", "live 4")),
            RowIds::Reserved { first, count: 2 },
        )
        .await
        .unwrap();
    assert_eq!(
        changed.len(),
        3,
        "the duplicate of a live message is skipped"
    );
    let bodies: Vec<String> = store
        .messages(account.id, bob, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(
        bodies,
        [
            "earlier",
            "archived 0",
            "archived 1",
            "live 2",
            "live 3",
            "live 4"
        ]
    );
    // A second block starts above everything used so far.
    let next = store.reserve_message_ids(10).await.unwrap();
    assert!(next > first + 10, "{next} after {first}");
    store.close().await;
}
