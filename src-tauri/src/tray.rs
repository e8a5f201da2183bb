//! The tray icon (Linux: a StatusNotifierItem through libayatana-appindicator; Windows: the
//! notification area; macOS: the menu bar), with the unread count as its label and tooltip
//! and a menu: "Open Linnet", "Quit". Closing the window then only hides it: Linnet stays
//! connected and keeps notifying; the first time, a notification says so. Where no tray can
//! be shown (a Linux session without a StatusNotifierWatcher), closing the window quits, as
//! before: Linnet never disappears without a way back.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use linnet_engine::Engine;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};

/// The tray, when one is shown.
pub struct Tray {
    icon: Option<TrayIcon>,
    /// The unread count shown (-1 before the first).
    shown: AtomicI64,
    /// The user was told once that closing keeps Linnet running (a file in the data folder).
    told_marker: PathBuf,
    told: AtomicBool,
    /// The user's choice (the window's settings): closing keeps Linnet in the tray.
    close_to_tray: AtomicBool,
}

/// The words of the label and tooltip for `unread` messages.
fn words(unread: i64) -> (String, String) {
    match unread {
        0 => (String::new(), "Linnet".to_owned()),
        1 => ("1".to_owned(), "Linnet: 1 unread message".to_owned()),
        n => (n.to_string(), format!("Linnet: {n} unread messages")),
    }
}

/// Whether this session can show a tray icon: on Linux, a StatusNotifierWatcher owns its
/// name on the session bus (KDE, GNOME with the AppIndicator extension, most panels); on
/// Windows and macOS, always.
fn tray_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        let owned = zbus::blocking::Connection::session().and_then(|bus| {
            let reply = bus.call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "NameHasOwner",
                &("org.kde.StatusNotifierWatcher",),
            )?;
            reply.body().deserialize::<bool>()
        });
        owned.unwrap_or(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Raises the main window.
pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

impl Tray {
    /// Shows the tray icon when the session has a tray; `data_dir` keeps whether the user was
    /// told about closing.
    pub fn new(app: &AppHandle, data_dir: &std::path::Path) -> Self {
        let told_marker = data_dir.join("close-to-tray-told");
        let told = AtomicBool::new(told_marker.exists());
        let icon = if tray_available() {
            match build(app) {
                Ok(icon) => Some(icon),
                Err(e) => {
                    tracing::warn!("no tray icon: {e}");
                    None
                }
            }
        } else {
            tracing::info!("no tray in this session: closing the window quits Linnet");
            None
        };
        Self {
            icon,
            shown: AtomicI64::new(-1),
            told_marker,
            told,
            close_to_tray: AtomicBool::new(true),
        }
    }

    /// Whether a tray icon is shown.
    pub fn shown(&self) -> bool {
        self.icon.is_some()
    }

    /// Whether closing the window should hide it: a tray is there to bring it back, and the
    /// user wants it so.
    pub fn keeps_running(&self) -> bool {
        self.shown() && self.close_to_tray.load(Ordering::SeqCst)
    }

    /// Tells the user, once ever, that Linnet keeps running after the window closed.
    pub fn tell_once(&self, app: &AppHandle) {
        if self.told.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = std::fs::write(&self.told_marker, b"");
        crate::notifications::notify_plain(
            app,
            "Linnet is still running",
            "Messages keep arriving. Open Linnet from its tray icon; Quit is in its menu.",
        );
    }

    /// Shows `unread` on the icon (nothing when it did not change).
    fn set_unread(&self, unread: i64) {
        let Some(icon) = &self.icon else {
            return;
        };
        if self.shown.swap(unread, Ordering::SeqCst) == unread {
            return;
        }
        let (label, tooltip) = words(unread);
        let _ = icon.set_title(Some(label));
        let _ = icon.set_tooltip(Some(tooltip));
    }
}

fn build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let open = MenuItem::with_id(app, "open", "Open Linnet", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut builder = TrayIconBuilder::with_id("main")
        .menu(&menu)
        .tooltip("Linnet")
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|icon, event| {
            if let tauri::tray::TrayIconEvent::Click { .. } = event {
                show_window(icon.app_handle());
            }
        });
    if let Some(image) = app.default_window_icon() {
        builder = builder.icon(image.clone());
    }
    builder.build(app)
}

/// Counts the unread messages of every conversation not muted and shows them on the icon.
pub async fn refresh(app: &AppHandle, engine: &Engine) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    if !tray.shown() {
        return;
    }
    match engine.unread_total().await {
        Ok(unread) => tray.set_unread(unread),
        Err(e) => tracing::debug!("unread count not read: {e}"),
    }
}

/// Whether closing the window keeps Linnet running in the tray (default) or quits; the
/// window's settings say it at start and on every change.
#[tauri::command]
pub fn set_close_to_tray(tray: tauri::State<'_, Tray>, keep: bool) {
    tray.close_to_tray.store(keep, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_reads_as_words() {
        assert_eq!(words(0), (String::new(), "Linnet".into()));
        assert_eq!(words(1), ("1".into(), "Linnet: 1 unread message".into()));
        assert_eq!(
            words(12),
            ("12".into(), "Linnet: 12 unread messages".into())
        );
    }
}
