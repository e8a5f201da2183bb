//! The reconnect policy handed to tokio-xmpp's stanza stream: one attempt at a time, capped
//! exponential backoff with jitter for network failures, and a full stop (reported, never
//! retried) for a wrong password, an untrusted certificate or a fatal stream error such as
//! `<conflict/>`.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{mpsc, oneshot};
use tokio_xmpp::stanzastream::Connection;
use tokio_xmpp::xmlstream::Timeouts;

use super::connector::{ConnectError, ConnectTarget, StreamTap, TrustRoots};
use super::login::{connect_and_login, LoginReport, Secret};
use super::sasl::LoginPolicy;

/// What the reconnect task tells its account actor.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Attempt number `n` (from 1) has started.
    Started(u32),
    /// Attempt `n` failed on something that may pass; the next one starts in `retry_in`.
    Retrying {
        attempt: u32,
        retry_in: Duration,
        reason: String,
    },
    /// Logged in; what the login taught is to be kept (a new FAST token, and SCRAM seen when
    /// `scram_newly_seen`: the first time for this account).
    LoggedIn {
        report: LoginReport,
        scram_newly_seen: bool,
    },
    /// The server refused the FAST token: it is to be forgotten.
    TokenDropped,
    /// Stopped for good until the user changes something.
    Fatal(ConnectError),
}

/// Everything one connection attempt needs; cloned into each reconnect task.
#[derive(Clone)]
pub(crate) struct Reconnector {
    pub target: ConnectTarget,
    /// Password, FAST token and client id; a rotated token replaces the old one here.
    pub secret: Arc<std::sync::Mutex<Secret>>,
    /// The SASL policy; `scram_seen` is set here once the server offers SCRAM.
    pub policy: Arc<std::sync::Mutex<LoginPolicy>>,
    pub roots: TrustRoots,
    pub pins: Vec<String>,
    pub tap: StreamTap,
    pub report: mpsc::UnboundedSender<Attempt>,
    /// How the current connection was made (its connection details).
    pub route: Arc<std::sync::Mutex<Option<super::resolve::Route>>>,
}

/// First retry after 1 s, doubling to at most 60 s, each with up to 25 % random jitter.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = 1u64 << attempt.saturating_sub(1).min(6);
    let base = Duration::from_secs(base.min(60));
    let jitter = rand::rng().random_range(0.0..0.25);
    base.mul_f64(1.0 + jitter)
}

/// Stream error conditions (RFC 6120 §4.9.3) after which reconnecting would only repeat them.
fn is_fatal_stream_error(condition: &str) -> bool {
    matches!(
        condition,
        "conflict"
            | "not-authorized"
            | "policy-violation"
            | "host-unknown"
            | "improper-addressing"
            | "invalid-from"
            | "not-well-formed"
            | "unsupported-version"
            | "bad-format"
    )
}

const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

impl Reconnector {
    /// Keeps what a login taught for the next attempts: SCRAM seen, a rotated token.
    /// Returns whether SCRAM was seen now for the first time (to be stored).
    fn learn(&self, report: &LoginReport) -> bool {
        let mut newly = false;
        if report.scram_offered {
            if let Ok(mut policy) = self.policy.lock() {
                newly = !policy.scram_seen;
                policy.scram_seen = true;
            }
        }
        if let Some(token) = &report.new_token {
            if let Ok(mut secret) = self.secret.lock() {
                secret.token = Some(token.clone());
            }
        }
        newly
    }

    /// Runs attempts until one succeeds (the connection goes into `slot`) or a fatal error;
    /// gives up quietly when the stanza stream is gone (`slot` closed).
    pub async fn run(self, mut slot: oneshot::Sender<Connection>) {
        if let Some(condition) = self.tap.take_stream_error() {
            if is_fatal_stream_error(&condition) {
                let _ = self
                    .report
                    .send(Attempt::Fatal(ConnectError::Stream(condition)));
                slot.closed().await;
                return;
            }
        }
        let timeouts = Timeouts::default();
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            let _ = self.report.send(Attempt::Started(attempt));
            let secret = match self.secret.lock() {
                Ok(secret) => secret.clone(),
                Err(_) => return,
            };
            let policy = self.policy.lock().map(|p| *p).unwrap_or_default();
            let login = connect_and_login(
                &self.target,
                &secret,
                policy,
                &self.roots,
                &self.pins,
                &self.tap,
                timeouts,
            );
            let outcome = tokio::select! {
                r = tokio::time::timeout(ATTEMPT_TIMEOUT, login) => r,
                _ = slot.closed() => return,
            };
            let reason = match outcome {
                Ok(Ok((connection, mut route, report))) => {
                    route.mechanism = Some(report.mechanism.clone());
                    route.sasl2 = report.sasl2;
                    if let Ok(mut now) = self.route.lock() {
                        *now = Some(route);
                    }
                    let scram_newly_seen = self.learn(&report);
                    let _ = self.report.send(Attempt::LoggedIn {
                        report,
                        scram_newly_seen,
                    });
                    let _ = slot.send(connection);
                    return;
                }
                Ok(Err(ConnectError::TokenRefused(why))) => {
                    tracing::info!(account = %self.target.jid, "FAST token refused: {why}");
                    let has_password = match self.secret.lock() {
                        Ok(mut secret) => {
                            secret.token = None;
                            secret.password.is_some()
                        }
                        Err(_) => false,
                    };
                    let _ = self.report.send(Attempt::TokenDropped);
                    if has_password {
                        // The password logs in at once; this attempt does not count.
                        attempt = attempt.saturating_sub(1);
                        continue;
                    }
                    let _ = self
                        .report
                        .send(Attempt::Fatal(ConnectError::NoCredentials));
                    slot.closed().await;
                    return;
                }
                Ok(Err(ConnectError::Network(reason))) => reason,
                Ok(Err(ConnectError::Stream(condition))) if !is_fatal_stream_error(&condition) => {
                    condition
                }
                Ok(Err(fatal)) => {
                    let _ = self.report.send(Attempt::Fatal(fatal));
                    slot.closed().await;
                    return;
                }
                Err(_) => format!(
                    "no answer from the server within {} s",
                    ATTEMPT_TIMEOUT.as_secs()
                ),
            };
            let retry_in = backoff(attempt);
            let _ = self.report.send(Attempt::Retrying {
                attempt,
                retry_in,
                reason,
            });
            tokio::select! {
                _ = tokio::time::sleep(retry_in) => (),
                _ = slot.closed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps_at_a_minute_plus_jitter() {
        assert!(backoff(1) >= Duration::from_secs(1) && backoff(1) < Duration::from_millis(1250));
        assert!(backoff(3) >= Duration::from_secs(4) && backoff(3) < Duration::from_secs(5));
        assert!(backoff(40) >= Duration::from_secs(60) && backoff(40) <= Duration::from_secs(75));
    }

    #[test]
    fn conflict_is_fatal_but_shutdown_is_not() {
        assert!(is_fatal_stream_error("conflict"));
        assert!(!is_fatal_stream_error("system-shutdown"));
    }
}
