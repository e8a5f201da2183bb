//! Desktop notifications through `notify-rust` (freedesktop notifications on Linux), shown by
//! one worker thread so the event path never waits for the notification service.
//!
//! Requests are coalesced by [`Coalescer`]: one notification per conversation, replaced when
//! more messages come (the summary counts them; a conversation quiet for [`FRESH`] starts a
//! new one). A new notification waits [`GATHER`] for the messages right behind it; an update
//! of a shown one waits until [`UPDATE_EVERY`] after the last, so a burst of 10,000 messages
//! to a closed chat is one notification updated every few seconds, never 10,000. When the
//! service fails (none is running, or it times out), the worker stops trying for [`BACKOFF`]
//! instead of paying the failure for every message.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Emitter, Manager};

use crate::views::OpenConversationEvent;

/// How long a new notification waits for the messages right behind the first.
const GATHER: Duration = Duration::from_millis(750);
/// Least time between two updates of one conversation's notification.
const UPDATE_EVERY: Duration = Duration::from_secs(5);
/// How long a conversation's notification keeps being updated; later messages start a new one.
const FRESH: Duration = Duration::from_secs(30);
/// How long the worker stops trying after the notification service failed.
const BACKOFF: Duration = Duration::from_secs(60);

/// New messages in one conversation that may notify.
#[derive(Debug, Clone, PartialEq, Eq)]
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

type Key = (i64, String);

/// What the worker showed for one conversation.
#[derive(Debug)]
struct Shown {
    /// The notification's id, to replace it.
    id: u32,
    /// Messages it counts.
    count: usize,
    /// When it was last shown or updated.
    at: Instant,
}

/// One notification to show now: the messages, the count it shows, the one it replaces.
#[derive(Debug, PartialEq, Eq)]
struct Due {
    incoming: Incoming,
    count: usize,
    replaces: Option<u32>,
}

/// Which notifications to show when (see the module docs); no clock of its own, so tests
/// drive it with made-up instants.
#[derive(Debug, Default)]
struct Coalescer {
    shown: HashMap<Key, Shown>,
    /// Messages not shown yet, merged per conversation, with when the first of them came.
    waiting: Vec<(Incoming, Instant)>,
}

impl Coalescer {
    fn key(incoming: &Incoming) -> Key {
        (incoming.account_id, incoming.peer.clone())
    }

    /// The conversation's notification that later messages update, if still fresh at `now`.
    fn fresh(&self, key: &Key, now: Instant) -> Option<&Shown> {
        self.shown
            .get(key)
            .filter(|s| now.saturating_duration_since(s.at) < FRESH)
    }

    /// Adds messages that came at `now`, merged into their conversation's waiting entry.
    fn push(&mut self, next: Incoming, now: Instant) {
        match self
            .waiting
            .iter_mut()
            .find(|(w, _)| w.account_id == next.account_id && w.peer == next.peer)
        {
            Some((entry, _)) => {
                entry.count += next.count;
                entry.from = next.from;
                entry.body = next.body;
            }
            None => self.waiting.push((next, now)),
        }
    }

    /// When a waiting entry is due: [`GATHER`] after its first message, and not before
    /// [`UPDATE_EVERY`] after the conversation's fresh notification was last shown.
    fn due_at(&self, incoming: &Incoming, since: Instant) -> Instant {
        let gathered = since + GATHER;
        match self.fresh(&Self::key(incoming), since) {
            Some(shown) => gathered.max(shown.at + UPDATE_EVERY),
            None => gathered,
        }
    }

    /// The earliest time something waiting is due.
    fn next_due(&self) -> Option<Instant> {
        self.waiting
            .iter()
            .map(|(w, since)| self.due_at(w, *since))
            .min()
    }

    /// Takes what is due at `now`, with the count to show and the notification it replaces.
    fn take_due(&mut self, now: Instant) -> Vec<Due> {
        let waiting = std::mem::take(&mut self.waiting);
        let mut due = Vec::new();
        for (incoming, since) in waiting {
            if self.due_at(&incoming, since) > now {
                self.waiting.push((incoming, since));
                continue;
            }
            let previous = self.fresh(&Self::key(&incoming), now);
            due.push(Due {
                count: incoming.count + previous.map_or(0, |s| s.count),
                replaces: previous.map(|s| s.id),
                incoming,
            });
        }
        due
    }

    /// Notes that `due` was shown at `now` as notification `id`.
    fn shown(&mut self, due: &Due, id: u32, now: Instant) {
        let shown = Shown {
            id,
            count: due.count,
            at: now,
        };
        self.shown.insert(Self::key(&due.incoming), shown);
    }
}

fn run(app: AppHandle, rx: Receiver<Incoming>) {
    let mut coalescer = Coalescer::default();
    let mut paused_until: Option<Instant> = None;
    loop {
        let next = match coalescer.next_due() {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
        };
        match next {
            Ok(incoming) => coalescer.push(incoming, Instant::now()),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        let due = coalescer.take_due(now);
        if paused_until.is_some_and(|t| now < t) {
            continue;
        }
        for due in due {
            match show(&app, &due.incoming, due.count, due.replaces) {
                Ok(id) => coalescer.shown(&due, id, Instant::now()),
                Err(e) => {
                    tracing::info!("desktop notifications paused for {BACKOFF:?}: {e}");
                    paused_until = Some(Instant::now() + BACKOFF);
                    break;
                }
            }
        }
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

/// A notification that is not about messages (say, that Linnet keeps running), shown off the
/// caller's thread; a failing notification service is logged.
pub fn notify_plain(app: &AppHandle, summary: &str, body: &str) {
    let (summary, body) = (summary.to_owned(), body.to_owned());
    let _ = app;
    let spawned = std::thread::Builder::new()
        .name("notification".into())
        .spawn(move || {
            let shown = notify_rust::Notification::new()
                .appname("Linnet")
                .summary(&summary)
                .body(&body)
                .show();
            if let Err(e) = shown {
                tracing::debug!("notification not shown: {e}");
            }
        });
    if let Err(e) = spawned {
        tracing::debug!("notification not shown: {e}");
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

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    fn incoming(peer: &str, n: usize) -> Incoming {
        Incoming {
            account_id: 1,
            peer: peer.to_owned(),
            from: peer.to_owned(),
            body: format!("message {n}"),
            count: 1,
        }
    }

    /// Messages every 10 ms for `seconds` to one conversation, the worker's loop played with
    /// made-up instants: how many notifications it shows (first, then updates).
    fn burst(seconds: u64) -> Vec<Due> {
        let start = Instant::now();
        let mut c = Coalescer::default();
        let mut out = Vec::new();
        let mut id = 0;
        for step in 0..(seconds * 100) {
            let now = start + Duration::from_millis(step * 10);
            c.push(incoming("bob@localhost", step as usize), now);
            for due in c.take_due(now) {
                id = due.replaces.unwrap_or(id + 1);
                c.shown(&due, id, now);
                out.push(due);
            }
        }
        let end = c.next_due().expect("the last messages wait");
        for due in c.take_due(end) {
            c.shown(&due, id, end);
            out.push(due);
        }
        out
    }

    #[test]
    fn a_burst_to_one_conversation_is_one_notification_updated_every_few_seconds() {
        let shown = burst(35);
        // First after GATHER, then one update per UPDATE_EVERY, then the rest.
        assert!(shown.len() <= 9, "{} notifications", shown.len());
        assert_eq!(shown[0].replaces, None);
        assert!(
            shown[1..].iter().all(|d| d.replaces == Some(1)),
            "updates of the first"
        );
        assert_eq!(
            shown.last().map(|d| d.count),
            Some(3500),
            "the last counts every message"
        );
        assert_eq!(
            shown.last().map(|d| d.incoming.body.as_str()),
            Some("message 3499")
        );
    }

    #[test]
    fn conversations_get_their_own_notification_and_a_quiet_one_starts_a_new_one() {
        let t0 = Instant::now();
        let mut c = Coalescer::default();
        c.push(incoming("bob@localhost", 0), t0);
        c.push(incoming("carol@localhost", 0), t0);
        c.push(
            incoming("bob@localhost", 1),
            t0 + Duration::from_millis(100),
        );
        assert!(
            c.take_due(t0 + Duration::from_millis(500)).is_empty(),
            "still gathering"
        );
        let due = c.take_due(t0 + GATHER);
        assert_eq!(due.len(), 2);
        assert_eq!((due[0].count, due[1].count), (2, 1));
        c.shown(&due[0], 7, t0 + GATHER);
        c.shown(&due[1], 8, t0 + GATHER);
        // Long after: a new notification, counting only the new message.
        let later = t0 + FRESH + Duration::from_secs(5);
        c.push(incoming("bob@localhost", 2), later);
        let due = c.take_due(later + GATHER);
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].count, due[0].replaces), (1, None));
    }
}
