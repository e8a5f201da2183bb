//! Voice messages: recorded from the microphone (`linnet-media`: GStreamer, Opus in Ogg)
//! when the user presses the composer's microphone button, and sent as an audio file like
//! any other (XEP-0363 upload, encrypted in an encrypted chat). One recording at a time; it
//! is written into the app's cache (`outgoing/<random>/Voice message <time>.ogg`), where the
//! outbox keeps it until it is uploaded.

use std::path::PathBuf;
use std::sync::Mutex;

use linnet_engine::{Engine, ErrorCode};
use linnet_media::{MediaError, Recording, Source};
use tauri::{AppHandle, Manager, State};

use crate::error::IpcError;
use crate::views::MessageView;

/// Set (to anything) to record GStreamer's test tone instead of the microphone: for machines
/// without sound hardware (tests).
pub const TEST_TONE_ENV: &str = "LINNET_MOCK_CAPTURE";

/// The recording in progress, if any.
#[derive(Default)]
pub struct VoiceRecorder(Mutex<Option<Recording>>);

fn media_error(e: MediaError) -> IpcError {
    IpcError::new(ErrorCode::File, e.to_string())
}

fn busy() -> IpcError {
    IpcError::new(ErrorCode::Internal, "The recorder is not available.")
}

/// `Voice message 2026-12-04 21-30-05.ogg`, in local time.
fn voice_name(at: chrono::DateTime<chrono::Local>) -> String {
    format!("Voice message {}.ogg", at.format("%Y-%m-%d %H-%M-%S"))
}

/// Starts recording a voice message from the microphone. A recording already running is
/// thrown away first.
///
/// Errors: `file` in words when GStreamer or a plugin is missing or the microphone cannot
/// be opened (none, in use, access refused).
#[tauri::command]
pub async fn start_voice_message(
    app: AppHandle,
    recorder: State<'_, VoiceRecorder>,
) -> Result<(), IpcError> {
    let cache = app
        .path()
        .app_cache_dir()
        .map_err(|e| IpcError::new(ErrorCode::Internal, format!("No cache folder: {e}")))?;
    let dir = cache
        .join("outgoing")
        .join(hex::encode(rand::random::<[u8; 8]>()));
    let path: PathBuf = dir.join(voice_name(chrono::Local::now()));
    let source = if std::env::var_os(TEST_TONE_ENV).is_some() {
        Source::TestTone
    } else {
        Source::Microphone
    };
    let recording = tauri::async_runtime::spawn_blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| MediaError::File(e.to_string()))?;
        Recording::start(&path, source)
    })
    .await
    .map_err(|_| busy())?
    .map_err(media_error)?;
    let previous = recorder.0.lock().map_err(|_| busy())?.replace(recording);
    if let Some(previous) = previous {
        previous.cancel();
    }
    Ok(())
}

/// Ends the recording and sends it to `to` as an audio file; the message, as `send_file`.
///
/// Errors: `file` when nothing is being recorded, or the recording failed or is empty; then
/// those of `send_file`.
#[tauri::command]
pub async fn send_voice_message(
    engine: State<'_, Engine>,
    recorder: State<'_, VoiceRecorder>,
    account_id: i64,
    to: String,
) -> Result<MessageView, IpcError> {
    let recording = recorder
        .0
        .lock()
        .map_err(|_| busy())?
        .take()
        .ok_or_else(|| IpcError::new(ErrorCode::File, "Nothing is being recorded."))?;
    let recorded = tauri::async_runtime::spawn_blocking(move || recording.finish())
        .await
        .map_err(|_| busy())?
        .map_err(media_error)?;
    tracing::debug!(
        seconds = recorded.duration.as_secs_f32(),
        "voice message recorded"
    );
    Ok(engine
        .send_file(account_id, &to, &recorded.path)
        .await?
        .into())
}

/// Stops the recording and throws it away (nothing when none runs).
#[tauri::command]
pub async fn cancel_voice_message(recorder: State<'_, VoiceRecorder>) -> Result<(), IpcError> {
    let recording = recorder.0.lock().map_err(|_| busy())?.take();
    if let Some(recording) = recording {
        tauri::async_runtime::spawn_blocking(move || recording.cancel())
            .await
            .map_err(|_| busy())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_voice_message_is_named_by_its_local_time() {
        let at = chrono::Local
            .with_ymd_and_hms(2026, 12, 4, 21, 5, 9)
            .unwrap();
        assert_eq!(voice_name(at), "Voice message 2026-12-04 21-05-09.ogg");
    }
}
