//! Avatars in the window: the `linnet-avatar` protocol serves the PNGs the engine keeps (by
//! SHA-1, so an address never changes meaning and the web view may cache it), and the user
//! sets or removes our own (XEP-0084 and XEP-0153, `Engine::set_avatar`).

use base64::Engine as _;
use linnet_engine::{Engine, ErrorCode};
use tauri::{AppHandle, Manager, State};

use crate::error::IpcError;

type Result<T> = std::result::Result<T, IpcError>;

/// Largest picture the window may hand over to become our avatar: 16 MiB (it is made into a
/// 192 px PNG before it goes anywhere).
const MAX_PICTURE_BYTES: usize = 16 * 1024 * 1024;

/// Answers `linnet-avatar://localhost/<sha1>`: the PNG kept for that hash (200, cached for
/// a year: the hash names the picture), 400 for an address that is no SHA-1, 404 when the
/// picture is not here. Never touches the network.
pub async fn avatar_response(
    app: &AppHandle,
    request: &tauri::http::Request<Vec<u8>>,
) -> tauri::http::Response<Vec<u8>> {
    let status = |code: u16| {
        tauri::http::Response::builder()
            .status(code)
            .body(Vec::new())
            .unwrap_or_default()
    };
    let hash = request.uri().path().trim_matches('/').to_ascii_lowercase();
    if hash.len() != 40 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return status(400);
    }
    let Some(engine) = app.try_state::<Engine>() else {
        return status(503);
    };
    match engine.avatar_png(&hash).await {
        Ok(Some(png)) => tauri::http::Response::builder()
            .status(200)
            .header("Content-Type", "image/png")
            .header("Cache-Control", "max-age=31536000, immutable")
            .body(png)
            .unwrap_or_default(),
        Ok(None) => status(404),
        Err(e) => {
            tracing::debug!("avatar {hash} not served: {e}");
            status(404)
        }
    }
}

/// Makes a picture our avatar on the account (`data`: PNG, JPEG, GIF or WebP, base64; cut
/// square from its centre and made 192 px), published to PEP and our vCard; `null` removes
/// it. Returns its SHA-1 (null after a removal). Errors: `file` for data that is no picture
/// or over 16 MiB, `not_connected`, `server` when the server refuses, in words.
#[tauri::command]
pub async fn set_avatar(
    engine: State<'_, Engine>,
    account_id: i64,
    data: Option<String>,
) -> Result<Option<String>> {
    let picture = match data {
        Some(data) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| {
                    IpcError::new(ErrorCode::File, format!("The picture is unreadable: {e}"))
                })?;
            if bytes.len() > MAX_PICTURE_BYTES {
                return Err(IpcError::new(
                    ErrorCode::File,
                    "Pick a picture of at most 16 MiB for your avatar",
                ));
            }
            Some(bytes)
        }
        None => None,
    };
    Ok(engine.set_avatar(account_id, picture).await?)
}
