//! Desktop notifications through `notify-rust` (freedesktop notifications on Linux), shown by
//! one worker thread so the event path never waits for the notification service.
//!
//! Requests are coalesced: the worker gathers them for [`GATHER`] and shows one notification
//! per conversation, replacing the one it showed before for that conversation (the summary
//! counts the messages; a conversation quiet for [`FRESH`] starts a new one), so a burst of 10,000 messages to a closed chat is a handful of
//! updates of one notification, never 10,000. When the service fails (none is running, or it
//! times out), the worker stops trying for [`BACKOFF`] instead of paying the failure for every
//! message.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Emitter, Manager};

use crate::views::OpenConversationEvent;

/// How long the worker gathers requests before showing them.
const GATHER: Duration = Duration::from_millis(750);
/// How long a conversation's notification keeps being updated; later messages start a new one.
const FRESH: Duration = Duration::from_secs(30);
/// How long the worker stops trying after the notification service failed.
const BACKOFF: Duration = Duration::from_secs(60);

/// New messages in one conversation that may notify.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Account id.
    pub account_id: i64,
    /// The conversation (the room for a group message).
    pub peer: String,
    /// Who wrote the last one: a JID, or "Nick in room@service".
    pub from: String,
    /// The last one's body.
    pub body: String,
    /// How many arrived.
    pub count: usize,
}

static WORKER: OnceLock<Sender<Incoming>> = OnceLock::new();

/// Hands new messages to the notification worker (started on first use); returns at once.
pub fn message(app: &AppHandle, incoming: Incoming) {
    let sender = WORKER.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        let app = app.clone();
        let spawned = std::thread::Builder::new()
            .name("notifications".into())
            .spawn(move || run(app, rx));
        if let Err(e) = spawned {
            tracing::warn!("notification worker not started: {e}");
        }
        tx
    });
    if sender.send(incoming).is_err() {
        tracing::debug!("notification worker gone; notification dropped");
    }
}

/// What the worker showed for one conversation.
struct Shown {
    /// The notification's id, to replace it.
    id: u32,
    /// Messages it counts.
    count: usize,
    /// When it was last shown or updated.
    at: Instant,
}

fn run(app: AppHandle, rx: Receiver<Incoming>) {
    let mut shown: HashMap<(i64, String), Shown> = HashMap::new();
    let mut paused_until: Option<Instant> = None;
    while let Ok(first) = rx.recv() {
        let mut batch: Vec<Incoming> = vec![first];
        let deadline = Instant::now() + GATHER;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(next) => merge(&mut batch, next),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if paused_until.is_some_and(|t| Instant::now() < t) {
            continue;
        }
        for incoming in batch {
            let key = (incoming.account_id, incoming.peer.clone());
            let previous = shown.get(&key).filter(|s| s.at.elapsed() < FRESH);
            let count = incoming.count + previous.map_or(0, |s| s.count);
            match show(&app, &incoming, count, previous.map(|s| s.id)) {
                Ok(id) => {
                    shown.insert(
                        key,
                        Shown {
                            id,
                            count,
                            at: Instant::now(),
                        },
                    );
                }
                Err(e) => {
                    tracing::info!("desktop notifications paused for {BACKOFF:?}: {e}");
                    paused_until = Some(Instant::now() + BACKOFF);
                    break;
                }
            }
        }
    }
}

/// Adds `next` to the batch: counted into its conversation's entry, or a new entry.
fn merge(batch: &mut Vec<Incoming>, next: Incoming) {
    match batch
        .iter_mut()
        .find(|b| b.account_id == next.account_id && b.peer == next.peer)
    {
        Some(entry) => {
            entry.count += next.count;
            entry.from = next.from;
            entry.body = next.body;
        }
        None => batch.push(next),
    }
}

/// Shows (or, with `replaces`, updates) "Message from `from`". Clicking it (where the platform
/// supports actions: the freedesktop `default` action on Linux) raises the window and opens the
/// conversation through `linnet://open-conversation`. Returns the notification's id.
fn show(
    app: &AppHandle,
    incoming: &Incoming,
    count: usize,
    replaces: Option<u32>,
) -> Result<u32, notify_rust::error::Error> {
    let from = &incoming.from;
    let summary = if count > 1 {
        format!("{count} new messages, the last from {from}")
    } else {
        format!("Message from {from}")
    };
    // Show only a preview: notification servers may render markup, so strip angle brackets.
    let preview: String = incoming
        .body
        .chars()
        .take(200)
        .map(|c| if c == '<' || c == '>' { ' ' } else { c })
        .collect();
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Linnet")
        .summary(&summary)
        .body(&preview);
    if let Some(id) = replaces {
        notification.id(id);
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    notification.action("default", "Open");
    let handle = notification.show()?;
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let id = handle.id();
        // A replaced notification keeps its id and the thread already waiting for its click.
        if replaces != Some(id) {
            let app = app.clone();
            let (account_id, peer) = (incoming.account_id, incoming.peer.clone());
            // wait_for_action blocks until the notification is clicked or closed.
            let spawned = std::thread::Builder::new()
                .name("notification-action".into())
                .spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == "default" {
                            open_conversation(&app, account_id, &peer);
                        }
                    });
                });
            if let Err(e) = spawned {
                tracing::warn!("notification click handler not started: {e}");
            }
        }
        Ok(id)
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = (app, handle);
        Ok(replaces.unwrap_or(0))
    }
}

/// Raises the main window and asks the UI to open a conversation.
fn open_conversation(app: &AppHandle, account_id: i64, peer: &str) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    let _ = app.emit(
        "linnet://open-conversation",
        OpenConversationEvent {
            account_id,
            peer: peer.to_owned(),
        },
    );
}
