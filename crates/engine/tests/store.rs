//! Store tests without a server: SQLCipher at rest, per-conversation settings, account edits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use linnet_engine::{Store, StoreOptions};

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
