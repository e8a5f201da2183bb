//! Linnet on the desktop: one instance per data folder (tauri-plugin-single-instance; a second
//! launch hands its arguments to the first, which comes to the front, and exits), and `xmpp:`
//! links (RFC 5122) given on the command line, at start or to a second launch, handed to the
//! window (`launch_uri`, `linnet://open-uri`), which shows what they ask before doing it.
//! Starting at login (tauri-plugin-autostart: an XDG autostart entry on Linux, a launch agent
//! on macOS, the Run key on Windows), off until the user turns it on; started so, Linnet stays
//! in the tray when there is one.

use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use linnet_engine::uri::{parse_xmpp_uri, XmppUri};
use linnet_engine::ErrorCode;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_autostart::ManagerExt;

use crate::error::IpcError;

/// The argument the login entry starts Linnet with.
pub const AUTOSTART_ARG: &str = "--autostart";

/// Started at login with a tray to come back from: the window stays hidden until opened.
pub fn start_in_tray_when_autostarted(app: &AppHandle) {
    let autostarted = std::env::args().any(|a| a == AUTOSTART_ARG);
    let tray = app
        .try_state::<crate::tray::Tray>()
        .is_some_and(|t| t.shown());
    if autostarted && tray {
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.hide();
        }
    }
}

fn autostart_error(e: impl std::fmt::Display) -> IpcError {
    IpcError::new(
        ErrorCode::Internal,
        format!("Starting at login could not be changed: {e}"),
    )
}

/// Whether Linnet starts when the user logs in.
///
/// Errors: `internal` in words when the system's entry cannot be read.
#[tauri::command]
pub fn autostart_enabled(app: AppHandle) -> Result<bool, IpcError> {
    app.autolaunch().is_enabled().map_err(autostart_error)
}

/// Makes Linnet start (or no longer start) when the user logs in.
///
/// Errors: `internal` in words when the system's entry cannot be written.
#[tauri::command]
pub fn set_autostart(app: AppHandle, enabled: bool) -> Result<(), IpcError> {
    let autolaunch = app.autolaunch();
    if enabled {
        autolaunch.enable()
    } else {
        autolaunch.disable()
    }
    .map_err(autostart_error)
}

/// The `xmpp:` link Linnet was started with, until the window takes it.
pub struct LaunchUri(Mutex<Option<XmppUri>>);

impl LaunchUri {
    /// From this process's arguments.
    pub fn from_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        Self(Mutex::new(uri_in(&args)))
    }
}

/// The first argument that is a valid `xmpp:` link (others are logged and skipped).
pub fn uri_in(args: &[String]) -> Option<XmppUri> {
    args.iter()
        .filter(|a| a.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("xmpp:")))
        .find_map(|a| match parse_xmpp_uri(a) {
            Ok(uri) => Some(uri),
            Err(e) => {
                tracing::warn!("ignored a link given to Linnet: {e}");
                None
            }
        })
}

/// The single-instance D-Bus name's prefix (Linux): the app identifier for the usual data
/// folder; for another one (`LINNET_DATA_DIR`) a name of its own, so that two Linnets with
/// two databases can run side by side while each database has one.
pub fn instance_id(identifier: &str, data_dir: Option<&std::ffi::OsStr>) -> String {
    match data_dir {
        None => identifier.to_owned(),
        Some(dir) => {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            dir.hash(&mut hasher);
            format!("{identifier}.d{:016x}", hasher.finish())
        }
    }
}

/// A second launch: the window comes to the front, and an `xmpp:` link among its arguments
/// goes to the window.
pub fn on_second_launch(app: &AppHandle, argv: Vec<String>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    if let Some(uri) = uri_in(argv.get(1..).unwrap_or_default()) {
        let _ = app.emit("linnet://open-uri", uri);
    }
}

/// The `xmpp:` link Linnet was started with, once (`None` afterwards, or when there was none).
#[tauri::command]
pub fn launch_uri(launch: State<'_, LaunchUri>) -> Option<XmppUri> {
    launch.0.lock().ok().and_then(|mut uri| uri.take())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_valid_xmpp_link_among_the_arguments_is_taken() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(uri_in(&args(&["--flag", "file.txt"])), None);
        let uri = uri_in(&args(&["xmpp:@bad", "XMPP:peer@localhost?message;body=hi"]));
        assert_eq!(
            uri.map(|u| (u.jid, u.body)),
            Some(("peer@localhost".into(), Some("hi".into())))
        );
    }

    #[test]
    fn each_data_folder_has_an_instance_of_its_own() {
        let id = "im.linnet.desktop";
        assert_eq!(instance_id(id, None), id);
        let a = instance_id(id, Some(std::ffi::OsStr::new("/tmp/a")));
        let b = instance_id(id, Some(std::ffi::OsStr::new("/tmp/b")));
        assert_ne!(a, b);
        assert!(
            a.starts_with("im.linnet.desktop.d") && a.len() == id.len() + 18,
            "{a}"
        );
        assert_eq!(a, instance_id(id, Some(std::ffi::OsStr::new("/tmp/a"))));
    }
}
