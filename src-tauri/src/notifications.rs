//! Desktop notifications through `notify-rust` (freedesktop notifications on Linux).

use tauri::{AppHandle, Emitter, Manager};

use crate::views::OpenConversationEvent;

/// Shows "Message from `from`" (`from`: the sender's JID, or "Nick in room@service" for a
/// group message). Clicking it (where the platform supports actions: the freedesktop
/// `default` action on Linux) raises the window and opens the conversation with `peer` (the
/// room for a group message) through `linnet://open-conversation`. Failure (no notification
/// service) is logged, never fatal.
pub fn message(app: &AppHandle, account_id: i64, peer: &str, from: &str, body: &str, count: usize) {
    let summary = if count > 1 {
        format!("{count} new messages, the last from {from}")
    } else {
        format!("Message from {from}")
    };
    // Show only a preview: notification servers may render markup, so strip angle brackets.
    let preview: String = body
        .chars()
        .take(200)
        .map(|c| if c == '<' || c == '>' { ' ' } else { c })
        .collect();
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Linnet")
        .summary(&summary)
        .body(&preview);
    #[cfg(all(unix, not(target_os = "macos")))]
    notification.action("default", "Open");
    let handle = match notification.show() {
        Ok(handle) => handle,
        Err(e) => {
            tracing::info!("desktop notification not shown: {e}");
            return;
        }
    };
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let app = app.clone();
        let peer = peer.to_owned();
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
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = (app, account_id, handle);
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
