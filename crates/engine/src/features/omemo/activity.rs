//! Stale devices (XEP-0384 §7.4): a device that stays on its owner's list but is never used
//! again (a lost or reset phone) would get a key in every message forever, and its owner's
//! other devices could never tell. A device is stale once it has been silent for 30 days
//! while at least 100 of our messages were encrypted for it
//! (the store's `Activity::stale`); it is then left out, unless it is the
//! recipient's only device (a message some device can read beats none). Its next message
//! makes it active again. The encryption details show it as inactive.
//!
//! Hearing from a device is written at most once an hour while nothing was sent to it, so a
//! burst from a contact costs no write per message.

use linnet_omemo::Generation;

use super::Omemo;
use crate::features::Context;
use crate::store::now_ms;

/// How often a device's last message time is rewritten while we send it nothing.
const HEARD_EVERY_MS: i64 = 3600 * 1000;

impl Omemo {
    /// A message from `jid`'s `device` was decrypted.
    pub(crate) async fn heard(&mut self, ctx: &Context, jid: &str, device: u32) {
        let key = (jid.to_owned(), device);
        let now = now_ms();
        let answered = self.sent_since_heard.remove(&key);
        let due = answered
            || self
                .heard_written
                .get(&key)
                .is_none_or(|at| now - at > HEARD_EVERY_MS);
        if !due {
            return;
        }
        match ctx
            .store
            .omemo_heard(ctx.account_id, jid, device, now)
            .await
        {
            Ok(()) => {
                self.heard_written.insert(key, now);
            }
            Err(e) => tracing::warn!(account = ctx.account_id, "OMEMO activity not stored: {e}"),
        }
    }

    /// One more of our messages was encrypted for each of `devices`.
    pub(crate) async fn sent_to(&mut self, ctx: &Context, devices: Vec<(String, u32)>) {
        if let Err(e) = ctx.store.omemo_sent_to(ctx.account_id, &devices).await {
            tracing::warn!(account = ctx.account_id, "OMEMO activity not stored: {e}");
        }
        self.sent_since_heard.extend(devices);
    }
}

/// `found` (one owner's devices we could encrypt for, each with whether it is stale) without
/// the stale ones, unless only stale ones are left.
pub(crate) fn without_stale<T>(
    account: i64,
    jid: &str,
    found: Vec<(u32, Generation, T, bool)>,
) -> Vec<(u32, Generation, T)> {
    let (stale, active): (Vec<_>, Vec<_>) = found.into_iter().partition(|e| e.3);
    let strip = |v: Vec<(u32, Generation, T, bool)>| {
        v.into_iter()
            .map(|(d, g, t, _)| (d, g, t))
            .collect::<Vec<_>>()
    };
    if active.is_empty() {
        return strip(stale);
    }
    if !stale.is_empty() {
        let ids: Vec<String> = stale.iter().map(|e| e.0.to_string()).collect();
        tracing::info!(
            account,
            "not encrypting for {jid}'s stale OMEMO devices {}",
            ids.join(", ")
        );
    }
    strip(active)
}
