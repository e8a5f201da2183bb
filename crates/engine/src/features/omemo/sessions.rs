//! Our Double Ratchet sessions with remote devices, kept in memory while the account runs and
//! in the store (`omemo_sessions`).
//!
//! What must survive a crash at once is written through: a session started by a key exchange
//! (with the used prekey's removal, in one transaction), one we built from a bundle, and every
//! step of a sending chain (a message key must never be used twice). The receiving chain's
//! steps, one per message received, are written in batches (after [`PERSIST_EVERY`] steps,
//! at the actor's periodic tick, and when the account stops): after a crash a session is at
//! most a batch behind, which the ratchet catches up with as skipped keys (up to
//! 1000), and the messages themselves were stored as text already. Without this, a burst paid
//! a read and a write of the session for every message.

use linnet_omemo::{Generation, OwnKeys, Session};

use super::repair::DeviceKey;
use super::Omemo;
use crate::error::EngineError;
use crate::features::Context;

/// Receiving-chain steps (messages) after which the changed sessions are written.
pub(crate) const PERSIST_EVERY: usize = 64;

impl Omemo {
    /// The session with `jid`'s `device` in `generation`, from memory or the store.
    ///
    /// Errors: the store, or a stored session that does not read back.
    pub(crate) async fn session(
        &mut self,
        ctx: &Context,
        jid: &str,
        device: u32,
        generation: Generation,
    ) -> Result<Option<Session>, EngineError> {
        let key: DeviceKey = (jid.to_owned(), device, generation);
        if let Some(session) = self.sessions.get(&key) {
            return Ok(Some(session.clone()));
        }
        let stored = ctx
            .store
            .omemo_session(ctx.account_id, jid, device, generation)
            .await?;
        if let Some(session) = &stored {
            self.sessions.insert(key, session.clone());
        }
        Ok(stored)
    }

    /// Keeps `session` and writes it now, with our keys when `own` (a used prekey).
    ///
    /// Errors: the store; memory keeps the session either way.
    pub(crate) async fn save_session(
        &mut self,
        ctx: &Context,
        jid: &str,
        device: u32,
        session: Session,
        own: Option<&OwnKeys>,
    ) -> Result<(), EngineError> {
        let key: DeviceKey = (jid.to_owned(), device, session.generation());
        let written = ctx
            .store
            .put_omemo_session(ctx.account_id, jid, device, &session, own)
            .await;
        if written.is_ok() {
            self.unsaved.remove(&key);
        } else {
            self.unsaved.insert(key.clone());
        }
        self.sessions.insert(key, session);
        written
    }

    /// Keeps a session whose receiving chain moved on; it is written with the next batch.
    pub(crate) async fn stage_session(
        &mut self,
        ctx: &Context,
        jid: &str,
        device: u32,
        session: Session,
    ) {
        let key: DeviceKey = (jid.to_owned(), device, session.generation());
        self.sessions.insert(key.clone(), session);
        self.unsaved.insert(key);
        self.unsaved_steps += 1;
        if self.unsaved_steps >= PERSIST_EVERY {
            self.persist_sessions(ctx).await;
        }
    }

    /// Writes every session changed since it was last written (see the module docs).
    pub(crate) async fn persist_sessions(&mut self, ctx: &Context) {
        self.unsaved_steps = 0;
        for key in std::mem::take(&mut self.unsaved) {
            let Some(session) = self.sessions.get(&key) else {
                continue;
            };
            let (jid, device, _) = &key;
            if let Err(e) = ctx
                .store
                .put_omemo_session(ctx.account_id, jid, *device, session, None)
                .await
            {
                tracing::warn!(
                    account = ctx.account_id,
                    "OMEMO session with {jid}/{device} not stored: {e}"
                );
                self.unsaved.insert(key);
                return;
            }
        }
    }
}
