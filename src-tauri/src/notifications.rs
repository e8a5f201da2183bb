//! Desktop notifications through `notify-rust` (freedesktop notifications on Linux).

/// Shows "new message from `peer`". Failure (no notification service) is logged, never fatal.
pub fn message(peer: &str, body: &str, count: usize) {
    let summary = if count > 1 {
        format!("{count} new messages from {peer}")
    } else {
        format!("Message from {peer}")
    };
    // Show only a preview: notification servers may render markup, so strip angle brackets.
    let preview: String = body
        .chars()
        .take(200)
        .map(|c| if c == '<' || c == '>' { ' ' } else { c })
        .collect();
    if let Err(e) = notify_rust::Notification::new()
        .appname("Linnet")
        .summary(&summary)
        .body(&preview)
        .show()
    {
        tracing::info!("desktop notification not shown: {e}");
    }
}
