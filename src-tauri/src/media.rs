//! Inline audio and video (voice messages among them). `fetch_media` makes a message's file
//! playable (the engine fetches it into the media cache when it is not here yet); the
//! window then reads it through the `linnet-media` protocol into a `blob:` URL for its
//! `<audio>` / `<video>` element (WebKitGTK's GStreamer player cannot read custom schemes
//! itself). The protocol serves only files already here (ours, saved, or cached) and at most
//! [`linnet_engine::MAX_MEDIA_BYTES`]: a page can never make it fetch anything.

use linnet_engine::Engine;
use std::path::PathBuf;
use tauri::{AppHandle, Manager, State};

use crate::error::IpcError;

/// The media cache: `<data dir>/media/<message id>/<file>`, copies of received audio and
/// video fetched to be played (in the owner-only data folder).
pub struct MediaCache(pub PathBuf);

/// Makes the audio or video message `message_id` shares playable: fetches it into the media
/// cache unless it is here already (ours, saved, or fetched before). Progress comes as
/// `linnet://file-progress`. The window then plays `linnet-media://localhost/<message id>`.
///
/// Errors: `file` in words (not audio or video, too large to play here, unreachable, changed
/// on the way).
#[tauri::command]
pub async fn fetch_media(
    engine: State<'_, Engine>,
    cache: State<'_, MediaCache>,
    message_id: i64,
) -> Result<(), IpcError> {
    engine.fetch_media(message_id, &cache.0).await?;
    Ok(())
}

/// The request's `Origin` when it is our own window's page (Tauri serves it as
/// `tauri://localhost` on Linux and macOS, `http://tauri.localhost` on Windows, and from
/// `http://localhost:<port>` under the dev server); `None` for anything else.
fn own_origin(request: &tauri::http::Request<Vec<u8>>) -> Option<&str> {
    let origin = request.headers().get("Origin")?.to_str().ok()?;
    let ours = matches!(
        origin,
        "tauri://localhost" | "http://tauri.localhost" | "https://tauri.localhost"
    ) || origin
        .strip_prefix("http://localhost:")
        .is_some_and(|port| port.parse::<u16>().is_ok());
    ours.then_some(origin)
}

/// Answers `linnet-media://localhost/<message id>`: 200 with the file; 400 for a bad path,
/// 404 when the file is not here (not fetched yet, or gone), 413 for one over
/// [`linnet_engine::MAX_MEDIA_BYTES`], 503 before the database is open.
pub async fn media_response(
    app: &AppHandle,
    request: &tauri::http::Request<Vec<u8>>,
) -> tauri::http::Response<Vec<u8>> {
    let status = |code: u16| {
        tauri::http::Response::builder()
            .status(code)
            .body(Vec::new())
            .unwrap_or_default()
    };
    let Ok(id) = request.uri().path().trim_matches('/').parse::<i64>() else {
        return status(400);
    };
    let Some(engine) = app.try_state::<Engine>() else {
        return status(503);
    };
    let Some(cache) = app.try_state::<MediaCache>() else {
        return status(503);
    };
    let (path, media_type) = match engine.local_media(id, &cache.0).await {
        Ok(Some(found)) => found,
        Ok(None) => return status(404),
        Err(e) => {
            tracing::debug!(message_id = id, "no media: {e}");
            return status(404);
        }
    };
    let Ok(len) = tokio::fs::metadata(&path).await.map(|m| m.len()) else {
        return status(404);
    };
    if len > linnet_engine::MAX_MEDIA_BYTES {
        return status(413);
    }
    let Ok(data) = tokio::fs::read(&path).await else {
        return status(404);
    };
    let mut response = tauri::http::Response::builder();
    if let Some(origin) = own_origin(request) {
        // The window's page reads it with `fetch` (another origin than the protocol's).
        response = response.header("Access-Control-Allow-Origin", origin);
    }
    response
        .status(200)
        .header("Content-Type", media_type)
        .header("Cache-Control", "no-store")
        .body(data)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn from(origin: &str) -> tauri::http::Request<Vec<u8>> {
        tauri::http::Request::builder()
            .uri("linnet-media://localhost/1")
            .header("Origin", origin)
            .body(Vec::new())
            .unwrap()
    }

    #[test]
    fn only_our_own_page_may_read_media() {
        for ours in [
            "tauri://localhost",
            "http://tauri.localhost",
            "http://localhost:1420",
        ] {
            assert_eq!(own_origin(&from(ours)), Some(ours));
        }
        for other in ["https://evil.example", "http://localhost:1420.evil", "null"] {
            assert_eq!(own_origin(&from(other)), None, "{other}");
        }
    }
}
