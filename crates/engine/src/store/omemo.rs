//! OMEMO state (XEP-0384): our device's keys, sessions with remote devices, and the identity
//! keys we have seen with their trust. Keys and sessions are linnet-omemo's serde values.

use linnet_omemo::{Generation, IdentityKey, OwnKeys, Session};
use sqlx::Row;

use super::Store;
use crate::error::EngineError;

fn generation_name(generation: Generation) -> &'static str {
    match generation {
        Generation::Legacy => "legacy",
        Generation::Omemo2 => "omemo2",
    }
}

fn corrupt(what: &str, e: serde_json::Error) -> EngineError {
    EngineError::Corrupt(format!("OMEMO {what}: {e}"))
}

/// Trust in a remote device's identity key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// Trusted before verification (Blind Trust Before Verification, the default).
    Blind,
    /// The user compared fingerprints.
    Verified,
    /// The user distrusts it: nothing is encrypted to it; its messages are shown marked.
    Untrusted,
    /// A new device of a contact who has a verified one (Blind Trust Before Verification ends
    /// with the first verification): not encrypted to until the user verifies or accepts it;
    /// its messages are shown marked.
    Undecided,
}

impl Trust {
    fn name(self) -> &'static str {
        match self {
            Trust::Blind => "blind",
            Trust::Verified => "verified",
            Trust::Untrusted => "untrusted",
            Trust::Undecided => "undecided",
        }
    }

    pub(crate) fn parse(s: &str) -> Trust {
        match s {
            "verified" => Trust::Verified,
            "untrusted" => Trust::Untrusted,
            "undecided" => Trust::Undecided,
            _ => Trust::Blind,
        }
    }
}

/// How active a remote OMEMO device is (see [`Store::omemo_activity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Activity {
    /// Our trust in it.
    pub trust: Trust,
    /// Unix ms of the last message from it, if any.
    pub last_heard: Option<i64>,
    /// Unix ms it was first seen.
    pub first_seen: i64,
    /// Our messages encrypted for it since it was last heard from.
    pub unanswered: i64,
}

/// A device silent this long while at least [`STALE_AFTER_MESSAGES`] of ours went unanswered is
/// stale (XEP-0384 §7.4): 30 days.
pub(crate) const STALE_AFTER_MS: i64 = 30 * 24 * 3600 * 1000;
/// See [`STALE_AFTER_MS`].
pub(crate) const STALE_AFTER_MESSAGES: i64 = 100;

impl Activity {
    /// Whether the device has gone silent (both limits passed) at `now_ms`.
    pub(crate) fn stale(&self, now_ms: i64) -> bool {
        let heard = self.last_heard.unwrap_or(self.first_seen);
        self.unanswered >= STALE_AFTER_MESSAGES && now_ms - heard > STALE_AFTER_MS
    }
}

impl Store {
    /// Our device's keys for this account, if made yet.
    pub(crate) async fn omemo_own(&self, account_id: i64) -> Result<Option<OwnKeys>, EngineError> {
        let row = sqlx::query("SELECT keys FROM omemo_own WHERE account_id = ?")
            .bind(account_id)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => {
                let keys: String = row.try_get("keys")?;
                Ok(Some(
                    serde_json::from_str(&keys).map_err(|e| corrupt("keys", e))?,
                ))
            }
            None => Ok(None),
        }
    }

    /// Stores our device's keys (after a prekey was used, replenished or rotated).
    pub(crate) async fn put_omemo_own(
        &self,
        account_id: i64,
        keys: &OwnKeys,
    ) -> Result<(), EngineError> {
        let json = serde_json::to_string(keys).map_err(|e| corrupt("keys", e))?;
        sqlx::query(
            "INSERT INTO omemo_own (account_id, device_id, keys) VALUES (?, ?, ?)
             ON CONFLICT (account_id) DO UPDATE SET device_id = excluded.device_id, keys = excluded.keys",
        )
        .bind(account_id)
        .bind(i64::from(keys.device_id()))
        .bind(json)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session with one device.
    pub(crate) async fn omemo_session(
        &self,
        account_id: i64,
        jid: &str,
        device_id: u32,
        generation: Generation,
    ) -> Result<Option<Session>, EngineError> {
        let row = sqlx::query(
            "SELECT state FROM omemo_sessions WHERE account_id = ? AND jid = ? AND device_id = ? AND generation = ?",
        )
        .bind(account_id)
        .bind(jid)
        .bind(i64::from(device_id))
        .bind(generation_name(generation))
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => {
                let state: String = row.try_get("state")?;
                Ok(Some(
                    serde_json::from_str(&state).map_err(|e| corrupt("session", e))?,
                ))
            }
            None => Ok(None),
        }
    }

    /// Stores a session; with `own`, our keys too, in the same transaction (a key exchange
    /// used a prekey: the session and the prekey's removal are kept together or not at all).
    pub(crate) async fn put_omemo_session(
        &self,
        account_id: i64,
        jid: &str,
        device_id: u32,
        session: &Session,
        own: Option<&OwnKeys>,
    ) -> Result<(), EngineError> {
        let state = serde_json::to_string(session).map_err(|e| corrupt("session", e))?;
        let own = own
            .map(|k| serde_json::to_string(k).map(|j| (k.device_id(), j)))
            .transpose()
            .map_err(|e| corrupt("keys", e))?;
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO omemo_sessions (account_id, jid, device_id, generation, state) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (account_id, jid, device_id, generation) DO UPDATE SET state = excluded.state",
        )
        .bind(account_id)
        .bind(jid)
        .bind(i64::from(device_id))
        .bind(generation_name(session.generation()))
        .bind(state)
        .execute(&mut *tx)
        .await?;
        if let Some((own_device, keys)) = own {
            sqlx::query("UPDATE omemo_own SET keys = ? WHERE account_id = ? AND device_id = ?")
                .bind(keys)
                .bind(account_id)
                .bind(i64::from(own_device))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The identity key recorded for a device and our trust in it.
    pub(crate) async fn omemo_identity(
        &self,
        account_id: i64,
        jid: &str,
        device_id: u32,
    ) -> Result<Option<(IdentityKey, Trust)>, EngineError> {
        let row = sqlx::query("SELECT identity, trust FROM omemo_identities WHERE account_id = ? AND jid = ? AND device_id = ?")
            .bind(account_id)
            .bind(jid)
            .bind(i64::from(device_id))
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let bytes: Vec<u8> = row.try_get("identity")?;
        let trust: String = row.try_get("trust")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| EngineError::Corrupt("OMEMO identity of the wrong length".into()))?;
        Ok(Some((IdentityKey(key), Trust::parse(&trust))))
    }

    /// Records the identity key first seen for a device (trusted blindly until verified).
    /// Returns whether it was new.
    pub(crate) async fn add_omemo_identity(
        &self,
        account_id: i64,
        jid: &str,
        device_id: u32,
        identity: &IdentityKey,
        trust: Trust,
    ) -> Result<bool, EngineError> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO omemo_identities (account_id, jid, device_id, identity, trust, first_seen)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(account_id)
        .bind(jid)
        .bind(i64::from(device_id))
        .bind(identity.0.to_vec())
        .bind(trust.name())
        .bind(super::now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every device identity recorded for `jid`: (device id, identity, trust, first seen ms),
    /// oldest first.
    pub(crate) async fn omemo_identities(
        &self,
        account_id: i64,
        jid: &str,
    ) -> Result<Vec<(u32, IdentityKey, Trust, i64)>, EngineError> {
        let rows = sqlx::query(
            "SELECT device_id, identity, trust, first_seen FROM omemo_identities
             WHERE account_id = ? AND jid = ? ORDER BY first_seen, device_id",
        )
        .bind(account_id)
        .bind(jid)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let device: i64 = row.try_get("device_id")?;
            let bytes: Vec<u8> = row.try_get("identity")?;
            let trust: String = row.try_get("trust")?;
            let (Ok(device), Ok(key)) = (u32::try_from(device), <[u8; 32]>::try_from(bytes)) else {
                continue;
            };
            out.push((
                device,
                IdentityKey(key),
                Trust::parse(&trust),
                row.try_get("first_seen")?,
            ));
        }
        Ok(out)
    }

    /// A message (or an empty OMEMO message) from `jid`'s `device` was decrypted at `at_ms`: it
    /// is active, and nothing we sent it is unanswered any more.
    pub(crate) async fn omemo_heard(
        &self,
        account_id: i64,
        jid: &str,
        device_id: u32,
        at_ms: i64,
    ) -> Result<(), EngineError> {
        sqlx::query(
            "UPDATE omemo_identities SET last_heard = ?, unanswered = 0
             WHERE account_id = ? AND jid = ? AND device_id = ?",
        )
        .bind(at_ms)
        .bind(account_id)
        .bind(jid)
        .bind(i64::from(device_id))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// One more of our messages was encrypted for each of `devices` ((bare JID, device id)).
    pub(crate) async fn omemo_sent_to(
        &self,
        account_id: i64,
        devices: &[(String, u32)],
    ) -> Result<(), EngineError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        for (jid, device) in devices {
            sqlx::query(
                "UPDATE omemo_identities SET unanswered = unanswered + 1
                 WHERE account_id = ? AND jid = ? AND device_id = ?",
            )
            .bind(account_id)
            .bind(jid)
            .bind(i64::from(*device))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Our trust in `jid`'s `device`, when it was last heard from and how many of our messages
    /// it has not answered (one read for all that sending needs); `None` for an unknown device.
    pub(crate) async fn omemo_activity(
        &self,
        account_id: i64,
        jid: &str,
        device_id: u32,
    ) -> Result<Option<Activity>, EngineError> {
        let row = sqlx::query(
            "SELECT trust, last_heard, first_seen, unanswered FROM omemo_identities
             WHERE account_id = ? AND jid = ? AND device_id = ?",
        )
        .bind(account_id)
        .bind(jid)
        .bind(i64::from(device_id))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let trust: String = row.try_get("trust")?;
        Ok(Some(Activity {
            trust: Trust::parse(&trust),
            last_heard: row.try_get("last_heard")?,
            first_seen: row.try_get("first_seen")?,
            unanswered: row.try_get("unanswered")?,
        }))
    }

    /// Sets our trust in one device of `jid`. Returns whether the device is known.
    pub(crate) async fn set_omemo_trust(
        &self,
        account_id: i64,
        jid: &str,
        device_id: u32,
        trust: Trust,
    ) -> Result<bool, EngineError> {
        let done = sqlx::query(
            "UPDATE omemo_identities SET trust = ? WHERE account_id = ? AND jid = ? AND device_id = ?",
        )
        .bind(trust.name())
        .bind(account_id)
        .bind(jid)
        .bind(i64::from(device_id))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A system line in a one-to-one conversation (e.g. a contact's new OMEMO device).
    pub(crate) async fn insert_chat_system_line(
        &self,
        account_id: i64,
        peer: &str,
        text: &str,
    ) -> Result<i64, EngineError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO messages (account_id, peer, outgoing, body, at, state, read, groupchat)
             VALUES (?, ?, 0, ?, ?, 'system', 1, 0) RETURNING id",
        )
        .bind(account_id)
        .bind(peer)
        .bind(text)
        .bind(super::messages::whole_seconds(super::now_ms()))
        .fetch_one(self.pool())
        .await?)
    }
}

impl Store {
    /// Whether we encrypt what we send in this conversation; `None` while undecided.
    pub async fn conversation_encryption(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<Option<bool>, EngineError> {
        let value: Option<Option<bool>> = sqlx::query_scalar(
            "SELECT encrypt FROM conversation_settings WHERE account_id = ? AND peer = ?",
        )
        .bind(account_id)
        .bind(peer)
        .fetch_optional(self.pool())
        .await?;
        Ok(value.flatten())
    }

    /// Turns OMEMO on or off for what we send in this conversation.
    pub async fn set_conversation_encryption(
        &self,
        account_id: i64,
        peer: &str,
        on: bool,
    ) -> Result<(), EngineError> {
        sqlx::query(
            "INSERT INTO conversation_settings (account_id, peer, encrypt) VALUES (?, ?, ?)
             ON CONFLICT (account_id, peer) DO UPDATE SET encrypt = excluded.encrypt",
        )
        .bind(account_id)
        .bind(peer)
        .bind(on)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Turns OMEMO on for this conversation unless the user already chose. Returns whether it
    /// changed.
    pub(crate) async fn encrypt_unless_decided(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<bool, EngineError> {
        let done = sqlx::query(
            "INSERT INTO conversation_settings (account_id, peer, encrypt) VALUES (?, ?, 1)
             ON CONFLICT (account_id, peer) DO UPDATE SET encrypt = 1 WHERE encrypt IS NULL",
        )
        .bind(account_id)
        .bind(peer)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
