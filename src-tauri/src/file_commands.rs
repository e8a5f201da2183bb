//! Commands on shared files (XEP-0363 HTTP File Upload, XEP-0066, XEP-0454): choosing files
//! to send, sending a dropped or pasted one, cancelling an upload, saving a received file into
//! Downloads and showing it there. Progress arrives as `linnet://file-progress`, outcomes as
//! `linnet://messages`.
//!
//! The UI never names an arbitrary file to send: `send_file` takes only paths the user gave
//! the app through the OS (dropped on the window, or picked in the file dialog), recorded in
//! [`FileGrants`]; pasted data is written into the app's cache first.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use linnet_engine::{Engine, ErrorCode};
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::error::IpcError;
use crate::views::MessageView;

type Result<T> = std::result::Result<T, IpcError>;

/// Largest pasted file (the data crosses IPC as base64): 64 MiB.
const MAX_PASTE_BYTES: usize = 64 * 1024 * 1024;

/// Files the user handed to the app through the OS (drag and drop, the file dialog): the only
/// paths `send_file` sends.
#[derive(Default)]
pub struct FileGrants(Mutex<HashSet<PathBuf>>);

impl FileGrants {
    /// Records paths the OS gave us.
    pub fn grant(&self, paths: impl IntoIterator<Item = PathBuf>) {
        if let Ok(mut granted) = self.0.lock() {
            granted.extend(paths);
        }
    }

    pub(crate) fn granted(&self, path: &Path) -> bool {
        self.0.lock().is_ok_and(|g| g.contains(path))
    }
}

/// A file the user picked in the file dialog, to show before it is sent.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct PickedFile {
    /// Its path, granted for `send_file` / `send_file_direct`.
    pub path: String,
    /// Its name.
    pub name: String,
    /// Bytes, when readable.
    pub size: Option<i64>,
}

/// Opens the file dialog; the files picked (none when cancelled), granted for sending. Nothing
/// is sent until the window asks (`send_file`, `send_file_direct`), after the user saw them.
#[tauri::command]
pub async fn pick_files(app: AppHandle, grants: State<'_, FileGrants>) -> Result<Vec<PickedFile>> {
    // The dialog blocks its thread until closed: not one of the runtime's workers.
    let dialog = app.clone();
    let picked = tauri::async_runtime::spawn_blocking(move || {
        dialog
            .dialog()
            .file()
            .set_title("Send files")
            .blocking_pick_files()
    })
    .await
    .ok()
    .flatten()
    .unwrap_or_default();
    let paths: Vec<PathBuf> = picked
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect();
    grants.grant(paths.iter().cloned());
    let mut files = Vec::new();
    for path in paths {
        let size = tokio::fs::metadata(&path)
            .await
            .ok()
            .and_then(|m| i64::try_from(m.len()).ok());
        files.push(PickedFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: path.display().to_string(),
            size,
        });
    }
    Ok(files)
}

/// Waits a little for the grant of `path` (a drop event and the UI's call race); refuses a
/// path the OS did not hand us with `not_found`.
async fn granted(grants: &FileGrants, path: &Path) -> Result<()> {
    for _ in 0..20 {
        if grants.granted(path) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(IpcError::new(
        ErrorCode::NotFound,
        "Linnet sends only files you dropped on its window or picked in its file dialog",
    ))
}

/// Sends a file the user dropped on the window or picked (`path` as the OS gave it) by HTTP
/// File Upload; a photo keeps its metadata only when `keep_metadata`. Paths the OS did not
/// hand us are refused with `not_found`.
#[tauri::command]
pub async fn send_file(
    engine: State<'_, Engine>,
    grants: State<'_, FileGrants>,
    account_id: i64,
    to: String,
    path: String,
    keep_metadata: bool,
) -> Result<MessageView> {
    let path = PathBuf::from(path);
    granted(&grants, &path).await?;
    Ok(engine
        .send_file_with(account_id, &to, &path, keep_metadata)
        .await?
        .into())
}

/// Sends a dropped or picked file straight to contact `to`, peer to peer (Jingle, XEP-0234:
/// no copy on the server, no size limit; both must be online).
#[tauri::command]
pub async fn send_file_direct(
    engine: State<'_, Engine>,
    grants: State<'_, FileGrants>,
    account_id: i64,
    to: String,
    path: String,
) -> Result<MessageView> {
    let path = PathBuf::from(path);
    granted(&grants, &path).await?;
    Ok(engine
        .send_file_direct(account_id, &to, &path)
        .await?
        .into())
}

/// Sends pasted data (an image from the clipboard) as a file called `name`: written into the
/// app's cache (`outgoing/<random>/name`), then sent like a dropped file. `data` is base64.
#[tauri::command]
pub async fn send_file_data(
    app: AppHandle,
    engine: State<'_, Engine>,
    account_id: i64,
    to: String,
    name: String,
    data: String,
    keep_metadata: bool,
) -> Result<MessageView> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| {
            IpcError::new(
                ErrorCode::File,
                format!("The pasted data is unreadable: {e}"),
            )
        })?;
    if bytes.len() > MAX_PASTE_BYTES {
        return Err(IpcError::new(
            ErrorCode::File,
            "Pasted files may be at most 64 MiB; drop large files on the window instead",
        ));
    }
    let cache = app
        .path()
        .app_cache_dir()
        .map_err(|e| IpcError::new(ErrorCode::Internal, format!("No cache folder: {e}")))?;
    let dir = cache
        .join("outgoing")
        .join(hex::encode(rand::random::<[u8; 8]>()));
    let path = dir.join(linnet_engine::features::files::safe_name(&name));
    let written = tokio::task::spawn_blocking({
        let path = path.clone();
        move || {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&path, bytes)
        }
    })
    .await;
    match written {
        Ok(Ok(())) => Ok(engine
            .send_file_with(account_id, &to, &path, keep_metadata)
            .await?
            .into()),
        Ok(Err(e)) => Err(IpcError::new(
            ErrorCode::Internal,
            format!("Could not keep the pasted file: {e}"),
        )),
        Err(e) => Err(IpcError::new(
            ErrorCode::Internal,
            format!("Could not keep the pasted file: {e}"),
        )),
    }
}

/// The user's Downloads folder: the desktop's own (XDG user dirs on Linux), else `~/Downloads`
/// (systems without user-dirs configured have no answer for the first).
fn downloads(app: &AppHandle) -> Result<PathBuf> {
    let path = app.path();
    path.download_dir()
        .or_else(|_| path.home_dir().map(|home| home.join("Downloads")))
        .map_err(|e| IpcError::new(ErrorCode::Internal, format!("No Downloads folder: {e}")))
}

/// Stops our upload of message `message_id`; the message fails as "Upload cancelled." and
/// `retry_message` starts it again.
#[tauri::command]
pub async fn cancel_upload(engine: State<'_, Engine>, message_id: i64) -> Result<()> {
    Ok(engine.cancel_upload(message_id).await?)
}

/// Takes the file a contact offers peer to peer in message `message_id` (Jingle): it is
/// received into the user's Downloads folder, with progress as `linnet://file-progress`.
#[tauri::command]
pub async fn accept_transfer(
    app: AppHandle,
    engine: State<'_, Engine>,
    message_id: i64,
) -> Result<()> {
    let dir = downloads(&app)?;
    Ok(engine.accept_transfer(message_id, &dir).await?)
}

/// Declines the file offered in message `message_id`.
#[tauri::command]
pub async fn decline_transfer(engine: State<'_, Engine>, message_id: i64) -> Result<()> {
    Ok(engine.decline_transfer(message_id).await?)
}

/// Stops the peer-to-peer transfer of message `message_id`, ours or theirs.
#[tauri::command]
pub async fn cancel_transfer(engine: State<'_, Engine>, message_id: i64) -> Result<()> {
    Ok(engine.cancel_transfer(message_id).await?)
}

/// Downloads the file message `message_id` shares (decrypted when it is an OMEMO `aesgcm://`
/// link) into the user's Downloads folder. Returns the saved file's path.
#[tauri::command]
pub async fn save_file(
    app: AppHandle,
    engine: State<'_, Engine>,
    message_id: i64,
) -> Result<String> {
    let dir = downloads(&app)?;
    let path = engine.save_file(message_id, &dir).await?;
    Ok(path.display().to_string())
}

/// Files saved where the user chose ("Save as…"), which "Show in folder" may also show.
#[derive(Default)]
pub struct SavedFiles(FileGrants);

/// "Save as…": asks where to save the file message `message_id` shares (the save dialog,
/// its name suggested), then downloads it there. Returns the path, `None` when cancelled.
#[tauri::command]
pub async fn save_file_as(
    app: AppHandle,
    engine: State<'_, Engine>,
    saved: State<'_, SavedFiles>,
    message_id: i64,
) -> Result<Option<String>> {
    let name = engine
        .message(message_id)
        .await?
        .and_then(|m| m.file)
        .map(|f| linnet_engine::features::files::safe_name(&f.name))
        .unwrap_or_else(|| "file".into());
    let dialog = app.clone();
    let start = downloads(&app).ok();
    let chosen = tauri::async_runtime::spawn_blocking(move || {
        let mut builder = dialog
            .dialog()
            .file()
            .set_title("Save as")
            .set_file_name(name);
        if let Some(start) = start {
            builder = builder.set_directory(start);
        }
        builder.blocking_save_file()
    })
    .await
    .ok()
    .flatten()
    .and_then(|p| p.into_path().ok());
    let Some(path) = chosen else {
        return Ok(None);
    };
    let path = engine.save_file_as(message_id, &path).await?;
    saved.0.grant([path.clone()]);
    Ok(Some(path.display().to_string()))
}

/// Shows a file Linnet saved (in the Downloads folder, or where the user chose with "Save
/// as…") in the system's file manager. Other paths are refused.
#[tauri::command]
pub fn show_saved_file(app: AppHandle, saved: State<'_, SavedFiles>, path: String) -> Result<()> {
    let dir = downloads(&app)?;
    let path = std::path::PathBuf::from(path);
    let inside = path
        .canonicalize()
        .ok()
        .zip(dir.canonicalize().ok())
        .is_some_and(|(p, d)| p.starts_with(d));
    if !inside && !saved.0.granted(&path) {
        return Err(IpcError::new(
            ErrorCode::NotFound,
            "Linnet only shows files it saved in your Downloads folder",
        ));
    }
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| IpcError::new(ErrorCode::Internal, format!("Could not show the file: {e}")))
}

/// Largest picked file read for its picture in the send dialog: 64 MiB.
const MAX_PICKED_PREVIEW_BYTES: u64 = 64 * 1024 * 1024;

/// The picture of a file about to be sent (`picked?path=<path>`, percent-encoded): made
/// (`linnet_engine::make_preview`) only for a path the OS handed the app ([`FileGrants`]) and
/// up to [`MAX_PICKED_PREVIEW_BYTES`]; `None` otherwise, or when it is no image.
async fn picked_preview(app: &AppHandle, query: &str) -> Option<Vec<u8>> {
    let path = url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "path")
        .map(|(_, value)| PathBuf::from(value.as_ref()))?;
    if !app.state::<FileGrants>().granted(&path) {
        return None;
    }
    let meta = tokio::fs::metadata(&path).await.ok()?;
    if meta.len() > MAX_PICKED_PREVIEW_BYTES {
        return None;
    }
    let data = tokio::fs::read(&path).await.ok()?;
    tokio::task::spawn_blocking(move || linnet_engine::make_preview(&data).ok())
        .await
        .ok()
        .flatten()
}

/// Answers the `linnet-preview` protocol: `linnet-preview://localhost/<message id>` (Windows:
/// `http://linnet-preview.localhost/<id>`) is the PNG preview of that message's image
/// (`Engine::image_preview`: made once, kept in the encrypted store; an image from outside
/// the roster is fetched for it only with `?show`, when the user clicked "Show image"); with
/// `?thumb`, the thumbnail the sender put in the message (`Engine::sender_thumbnail`, XEP-0264,
/// nothing fetched); `picked?path=<path>` is the picture of a file about to be sent, see
/// [`picked_preview`]. 404 where there is none, 400 for another address.
pub async fn preview_response(
    app: &AppHandle,
    request: &tauri::http::Request<Vec<u8>>,
) -> tauri::http::Response<Vec<u8>> {
    let status = |code: u16| {
        tauri::http::Response::builder()
            .status(code)
            .body(Vec::new())
            .unwrap_or_default()
    };
    let png = |png: Vec<u8>| {
        tauri::http::Response::builder()
            .status(200)
            .header("Content-Type", "image/png")
            .header("Cache-Control", "no-store")
            .body(png)
            .unwrap_or_default()
    };
    if request.uri().path() == "/picked" {
        return match picked_preview(app, request.uri().query().unwrap_or_default()).await {
            Some(made) => png(made),
            None => status(404),
        };
    }
    let Ok(id) = request.uri().path().trim_matches('/').parse::<i64>() else {
        return status(400);
    };
    let Some(engine) = app.try_state::<Engine>() else {
        return status(503);
    };
    // `?show` when the user asked to see an image a stranger or a room shared; `?thumb` for
    // the thumbnail its sender put in the message (nothing fetched).
    let flag = |name: &str| {
        request
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == name))
    };
    let made = if flag("thumb") {
        engine.sender_thumbnail(id).await
    } else {
        engine.image_preview(id, flag("show")).await
    };
    match made {
        Ok(made) => png(made),
        Err(e) => {
            tracing::debug!(message_id = id, "no preview: {e}");
            status(404)
        }
    }
}
