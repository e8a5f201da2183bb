//! Audio and video a message shares, played inline (voice messages among them). The window
//! plays from a local file only: ours as sent, one saved before, or a copy fetched into the
//! media cache when the user pressed Play ([`Engine::fetch_media`], HTTPS, decrypted when
//! `aesgcm://`, the sender's SHA-256 checked). Nothing is fetched on display.

use std::path::{Path, PathBuf};

use crate::features::files::media_type_of;
use crate::*;

/// Largest audio or video file played inline: 64 MiB (the player holds it in memory; larger
/// ones are saved with "Download" and opened outside).
pub const MAX_MEDIA_BYTES: u64 = 64 * 1024 * 1024;

/// What kind of media a shared file is, for the inline player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `audio/*` (a voice message is one).
    Audio,
    /// `video/*`.
    Video,
}

/// The media type of a shared file (the sender's, else guessed from its name) and whether
/// it is audio or video; `None` for anything else.
pub fn playable(file: &SharedFile) -> Option<(MediaKind, String)> {
    let media_type = file
        .media_type
        .clone()
        .filter(|t| t.contains('/'))
        .unwrap_or_else(|| media_type_of(&file.name))
        .to_ascii_lowercase();
    let kind = match media_type.split('/').next() {
        Some("audio") => MediaKind::Audio,
        Some("video") => MediaKind::Video,
        _ => return None,
    };
    Some((kind, media_type))
}

/// The first whole file in `dir` (a `.part` or hidden file is not one).
async fn cached(dir: &Path) -> Option<PathBuf> {
    let mut entries = tokio::fs::read_dir(dir).await.ok()?;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let whole = !entry.file_name().to_string_lossy().starts_with('.');
        if whole && entry.file_type().await.is_ok_and(|t| t.is_file()) {
            return Some(entry.path());
        }
    }
    None
}

impl Engine {
    /// The local file to play for the audio or video message `message_id`, and its media
    /// type, when there is one: ours as sent, one saved before, or the copy in
    /// `cache/<message_id>/` that [`Self::fetch_media`] made. Never touches the network.
    ///
    /// Errors ([`EngineError::File`], in words): the message is gone, shares no file, or
    /// shares no audio or video.
    pub async fn local_media(
        &self,
        message_id: i64,
        cache: &Path,
    ) -> Result<Option<(PathBuf, String)>, EngineError> {
        let (_, file) = self.file_message(message_id).await?;
        let (_, media_type) = playable(&file)
            .ok_or_else(|| EngineError::File("That message shares no audio or video.".into()))?;
        if let Some(path) = file.path.as_deref().map(PathBuf::from) {
            if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file()) {
                return Ok(Some((path, media_type)));
            }
        }
        Ok(cached(&cache.join(message_id.to_string()))
            .await
            .map(|path| (path, media_type)))
    }

    /// Makes the audio or video of message `message_id` playable: returns the local file
    /// ([`Self::local_media`]), fetching it into `cache/<message_id>/` first when there is
    /// none (progress as [`EngineEvent::FileProgress`]). Called when the user pressed Play,
    /// so a stranger's file is fetched too: that press is the user's word.
    ///
    /// Errors ([`EngineError::File`], in words): as [`Self::local_media`]; a peer-to-peer
    /// offer not taken yet; a file over [`MAX_MEDIA_BYTES`]; and those of
    /// [`Self::save_file`] (unreachable, not HTTPS, changed on the way).
    pub async fn fetch_media(&self, message_id: i64, cache: &Path) -> Result<PathBuf, EngineError> {
        if let Some((path, _)) = self.local_media(message_id, cache).await? {
            return Ok(path);
        }
        let (row, file) = self.file_message(message_id).await?;
        let Some(link) = file.url.clone() else {
            return Err(EngineError::File(
                "Nothing to play before the file is here.".into(),
            ));
        };
        if file.size.is_some_and(|s| s as u64 > MAX_MEDIA_BYTES) {
            return Err(EngineError::File(format!(
                "Too large to play here (over {} MiB); use Download.",
                MAX_MEDIA_BYTES / 1024 / 1024
            )));
        }
        let dir = cache.join(message_id.to_string());
        let path = if link.starts_with(linnet_omemo::media::SCHEME) {
            let mut progress = super::files::Progress::new(self, &row, false, None);
            self.save_encrypted(&link, &dir, Some(&mut progress))
                .await?
        } else {
            self.save_plain(&row, &link, &dir).await?
        };
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn file(name: &str, media_type: Option<&str>) -> SharedFile {
        SharedFile {
            name: name.into(),
            media_type: media_type.map(str::to_owned),
            ..SharedFile::default()
        }
    }

    #[test]
    fn audio_and_video_are_told_by_media_type_or_name() {
        assert_eq!(
            playable(&file("voice.bin", Some("audio/webm;codecs=opus"))),
            Some((MediaKind::Audio, "audio/webm;codecs=opus".into()))
        );
        assert_eq!(
            playable(&file("clip.MP4", None)),
            Some((MediaKind::Video, "video/mp4".into()))
        );
        assert_eq!(
            playable(&file("voice.ogg", None)).map(|p| p.0),
            Some(MediaKind::Audio)
        );
        assert_eq!(playable(&file("photo.png", Some("image/png"))), None);
        assert_eq!(playable(&file("notes.txt", Some("garbage"))), None);
    }

    #[tokio::test]
    async fn only_whole_files_count_as_cached() {
        let dir = std::env::temp_dir().join(format!("linnet-media-cache-{}", std::process::id()));
        tokio::fs::create_dir_all(&dir).await.unwrap();
        assert_eq!(cached(&dir).await, None);
        tokio::fs::write(dir.join(".voice.webm.7.part"), b"half")
            .await
            .unwrap();
        assert_eq!(cached(&dir).await, None);
        tokio::fs::write(dir.join("voice.webm"), b"whole")
            .await
            .unwrap();
        assert_eq!(cached(&dir).await, Some(dir.join("voice.webm")));
        tokio::fs::remove_dir_all(&dir).await.unwrap();
        assert_eq!(cached(&dir).await, None);
    }
}
