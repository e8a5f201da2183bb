//! Forwards engine events to the UI, coalesced: events arriving within one short window are
//! merged, so a burst of 10,000 messages becomes a few emits, not 10,000 re-renders.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use linnet_engine::{Engine, EngineEvent};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::notifications;
use crate::views::{
    AccountStateEvent, ChatStateEvent, FileProgressEvent, MessageState, MessageView, MessagesEvent,
    ReloadEvent, RoomEvent, RoomInviteEvent, RosterEvent,
};

/// How long to gather events before emitting.
const WINDOW: Duration = Duration::from_millis(50);

/// Runs until the engine's channel closes.
pub async fn forward(app: AppHandle, engine: Engine) {
    let mut rx = engine.subscribe();
    loop {
        let first = match rx.recv().await {
            Ok(ev) => ev,
            Err(RecvError::Lagged(_)) => {
                reload_everything(&app, &engine).await;
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + WINDOW;
        while let Ok(Ok(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            batch.push(ev);
        }
        emit_batch(&app, &engine, batch).await;
    }
}

/// Too far behind the engine: every store in the UI reloads (accounts, conversations, and each
/// account's roster and rooms), since any of their events may have been lost.
async fn reload_everything(app: &AppHandle, engine: &Engine) {
    let _ = app.emit("linnet://accounts", ReloadEvent::default());
    let _ = app.emit("linnet://conversations", ReloadEvent::default());
    let accounts = engine.accounts().await.unwrap_or_default();
    for account in accounts {
        let account_id = account.id;
        let _ = app.emit("linnet://roster", RosterEvent { account_id });
        for room in engine.rooms(account_id).await.unwrap_or_default() {
            let room = room.jid;
            let _ = app.emit("linnet://room", RoomEvent { account_id, room });
        }
    }
}

async fn emit_batch(app: &AppHandle, engine: &Engine, batch: Vec<EngineEvent>) {
    let mut messages: BTreeMap<(i64, String), BTreeSet<i64>> = BTreeMap::new();
    // Ids that arrived live from someone else: only these may notify (not history or carbons).
    let mut live_ids: HashSet<i64> = HashSet::new();
    let mut rosters: HashSet<i64> = HashSet::new();
    let mut blocklists: BTreeSet<i64> = BTreeSet::new();
    let mut rooms: BTreeSet<(i64, String)> = BTreeSet::new();
    let mut conversations = false;
    let mut accounts = false;
    // Only the newest progress of each transfer in this batch is worth telling.
    let mut progress: BTreeMap<(i64, bool), FileProgressEvent> = BTreeMap::new();
    for ev in batch {
        match ev {
            EngineEvent::AccountState { account_id, state } => {
                let _ = app.emit(
                    "linnet://account-state",
                    AccountStateEvent { account_id, state },
                );
            }
            EngineEvent::AccountsChanged => {
                let _ = app.emit("linnet://accounts", ReloadEvent::default());
            }
            EngineEvent::ConversationsChanged => conversations = true,
            EngineEvent::ChatState {
                account_id,
                peer,
                sender,
                state,
            } => {
                let _ = app.emit(
                    "linnet://chat-state",
                    ChatStateEvent {
                        account_id,
                        peer,
                        sender,
                        state,
                    },
                );
            }
            EngineEvent::RoomInvite {
                account_id,
                room,
                from,
                reason,
            } => {
                let _ = app.emit(
                    "linnet://room-invite",
                    RoomInviteEvent {
                        account_id,
                        room,
                        from,
                        reason,
                    },
                );
            }
            EngineEvent::RoomChanged { account_id, room } => {
                rooms.insert((account_id, room));
            }
            EngineEvent::MessagesChanged {
                account_id,
                peer,
                ids,
                live,
            } => {
                if live {
                    live_ids.extend(ids.iter().copied());
                }
                messages.entry((account_id, peer)).or_default().extend(ids);
                conversations = true;
            }
            EngineEvent::FileProgress {
                account_id,
                peer,
                message_id,
                upload,
                done,
                total,
            } => {
                progress.insert(
                    (message_id, upload),
                    FileProgressEvent {
                        account_id,
                        peer,
                        message_id,
                        upload,
                        done,
                        total,
                    },
                );
            }
            EngineEvent::BlocklistChanged { account_id } => {
                blocklists.insert(account_id);
            }
            EngineEvent::AvatarChanged { account_id, .. } => {
                // Contacts, conversations and accounts all show avatars.
                rosters.insert(account_id);
                conversations = true;
                accounts = true;
            }
            EngineEvent::RosterChanged { account_id }
            | EngineEvent::PresenceChanged { account_id, .. }
            | EngineEvent::SubscriptionRequest { account_id, .. } => {
                rosters.insert(account_id);
            }
        }
    }
    for event in progress.into_values() {
        let _ = app.emit("linnet://file-progress", event);
    }
    // The tray's unread count follows new messages and read state.
    let changed = !messages.is_empty() || conversations;
    for ((account_id, peer), ids) in messages {
        let ids: Vec<i64> = ids.into_iter().collect();
        let rows: Vec<MessageView> = match engine.messages_by_id(account_id, &ids).await {
            Ok(rows) => rows.into_iter().map(MessageView::from).collect(),
            Err(e) => {
                tracing::warn!("reading changed messages failed: {e}");
                Vec::new()
            }
        };
        // The engine decided which may notify (never muted, history or our own).
        let live: Vec<MessageView> = rows
            .iter()
            .filter(|m| live_ids.contains(&m.id))
            .cloned()
            .collect();
        notify_incoming(app, &live);
        let _ = app.emit(
            "linnet://messages",
            MessagesEvent {
                account_id,
                peer,
                messages: rows,
            },
        );
    }
    for (account_id, room) in rooms {
        let _ = app.emit("linnet://room", RoomEvent { account_id, room });
    }
    for account_id in blocklists {
        let _ = app.emit(
            "linnet://blocklist",
            crate::views::BlocklistEvent { account_id },
        );
    }
    for account_id in rosters {
        let _ = app.emit("linnet://roster", RosterEvent { account_id });
    }
    if conversations {
        let _ = app.emit("linnet://conversations", ReloadEvent::default());
    }
    if accounts {
        let _ = app.emit("linnet://accounts", ReloadEvent::default());
    }
    if changed {
        crate::tray::refresh(app, engine).await;
    }
}

/// The conversation the UI shows, set by the `set_active_conversation` command.
#[derive(Debug, Default)]
pub struct ActiveConversation(pub std::sync::Mutex<Option<(i64, String)>>);

/// A desktop notification for new incoming messages the engine let notify, unless the window
/// is focused and shows that very conversation.
fn notify_incoming(app: &AppHandle, rows: &[MessageView]) {
    let incoming: Vec<&MessageView> = rows
        .iter()
        .filter(|m| !m.outgoing && m.state == MessageState::Received)
        .collect();
    let Some(last) = incoming.last() else { return };
    let focused = app
        .get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    let showing = app
        .try_state::<ActiveConversation>()
        .and_then(|a| {
            a.0.lock()
                .ok()
                .map(|g| g.as_ref() == Some(&(last.account_id, last.peer.clone())))
        })
        .unwrap_or(false);
    if focused && showing {
        return;
    }
    // A group message names its sender and the room (XEP-0045); a chat message its sender.
    let from = match (&last.sender, last.groupchat) {
        (Some(nick), true) => format!("{nick} in {}", last.peer),
        _ => last.peer.clone(),
    };
    notifications::message(
        app,
        notifications::Incoming {
            account_id: last.account_id,
            peer: last.peer.clone(),
            from,
            body: last.body.clone(),
            count: incoming.len(),
        },
    );
}
