//! Files shared as links: today the encrypted ones of OMEMO (XEP-0454 `aesgcm://`), which
//! Conversations, Dino, Gajim and Monal send when a chat is encrypted. The file is fetched over
//! HTTPS only (certificates verified, our roots), refused past [`MAX_FILE_BYTES`], decrypted
//! and checked (AES-256-GCM: a changed file or a wrong key fails), and saved under a name of
//! its own in the folder given; nothing is written for a file that fails.

use std::path::{Path, PathBuf};

use linnet_omemo::media::{decrypt_file, EncryptedLink};

use crate::*;

/// Largest encrypted file downloaded: 512 MiB.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The file name an upload URL's last path segment gives, percent-decoded and made safe: no
/// folders, no leading dot, no control characters; "file" when nothing is left.
fn file_name(https: &str) -> String {
    let last = url::Url::parse(https)
        .ok()
        .and_then(|u| u.path_segments()?.next_back().map(str::to_owned))
        .unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(&last).decode_utf8_lossy();
    let safe: String = decoded
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let safe = safe.trim().trim_start_matches('.').to_owned();
    if safe.is_empty() {
        "file".to_owned()
    } else {
        safe
    }
}

/// `dir/name`, or `dir/stem (2).ext` and so on when taken.
fn free_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

impl Engine {
    /// Downloads the encrypted file of an `aesgcm://` link (XEP-0454), decrypts it and saves it
    /// in `dir` under the name the link ends with (a free variant when taken). Returns the path.
    ///
    /// Errors ([`EngineError::File`], in words): not an `aesgcm://` link, the server unreachable
    /// or answering with an error, a file larger than [`MAX_FILE_BYTES`], one that does not
    /// decrypt (changed, or a wrong key), or the folder not writable.
    pub async fn save_encrypted_file(
        &self,
        link: &str,
        dir: &Path,
    ) -> Result<PathBuf, EngineError> {
        let link = EncryptedLink::parse(link.trim())
            .map_err(|e| EngineError::File(format!("This is not an encrypted file link: {e}.")))?;
        let tls = self.inner.trust.https_config().map_err(EngineError::File)?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(true)
            .build()
            .map_err(|e| EngineError::File(format!("No HTTPS client: {e}.")))?;
        let unreachable = |e: reqwest::Error| {
            EngineError::File(format!("The file could not be downloaded: {e}."))
        };
        let mut response = client
            .get(&link.https)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unreachable)?;
        if response
            .content_length()
            .is_some_and(|n| n > MAX_FILE_BYTES)
        {
            return Err(EngineError::File(format!(
                "The file is larger than {} MiB; it was not downloaded.",
                MAX_FILE_BYTES / 1024 / 1024
            )));
        }
        let mut sealed = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if sealed.len() as u64 + chunk.len() as u64 > MAX_FILE_BYTES {
                return Err(EngineError::File(format!(
                    "The file is larger than {} MiB; it was not downloaded.",
                    MAX_FILE_BYTES / 1024 / 1024
                )));
            }
            sealed.extend_from_slice(&chunk);
        }
        let plain = decrypt_file(&sealed, &link.key).map_err(|_| {
            EngineError::File(
                "The file could not be decrypted: it was changed on the way, or the link's key is wrong."
                    .into(),
            )
        })?;
        let name = file_name(&link.https);
        let dir = dir.to_owned();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let path = free_path(&dir, &name);
            std::fs::write(&path, plain)?;
            Ok::<_, std::io::Error>(path)
        })
        .await
        .map_err(|e| EngineError::File(format!("Saving the file failed: {e}.")))?
        .map_err(|e| EngineError::File(format!("The file could not be saved: {e}.")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_come_from_the_url_and_cannot_leave_the_folder() {
        assert_eq!(
            file_name("https://up.example.org/f/abc/photo.jpg"),
            "photo.jpg"
        );
        assert_eq!(
            file_name("https://up.example.org/f/abc/my%20photo%C3%A9.jpg?x=1"),
            "my photoé.jpg"
        );
        assert_eq!(
            file_name("https://up.example.org/f/abc/..%2F..%2Fetc%2Fpasswd"),
            "_.._etc_passwd"
        );
        assert_eq!(file_name("https://up.example.org/f/abc/.hidden"), "hidden");
        assert_eq!(file_name("https://up.example.org/"), "file");
        assert_eq!(file_name("https://up.example.org/f/100%"), "100%");
    }

    #[test]
    fn a_taken_name_gets_a_number() {
        let dir = std::env::temp_dir().join(format!("linnet-free-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.txt"), b"1").unwrap();
        assert_eq!(free_path(&dir, "a.txt"), dir.join("a (2).txt"));
        assert_eq!(free_path(&dir, "b.txt"), dir.join("b.txt"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
