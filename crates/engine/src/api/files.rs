//! Received files, downloaded on request (never on display): out-of-band links (XEP-0066,
//! what HTTP File Upload senders send) and the encrypted ones of OMEMO (XEP-0454 `aesgcm://`,
//! which Conversations, Dino, Gajim and Monal send in encrypted chats). Fetched over HTTPS
//! only (certificates verified, our roots), refused past [`MAX_FILE_BYTES`], an encrypted one
//! decrypted and checked (AES-256-GCM: a changed file or a wrong key fails), and saved under a
//! name of its own in the folder given; nothing is left behind for a file that fails.

use std::path::{Path, PathBuf};

use linnet_omemo::media::{decrypt_file, EncryptedLink};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_xmpp::parsers::hashes::{Algo, Hash};

use crate::features::files::{file_name, safe_name};
use crate::*;
/// Largest file downloaded: 512 MiB.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// `dir/name`, or `dir/stem (2).ext` and so on when taken.
pub(super) fn free_path(dir: &Path, name: &str) -> PathBuf {
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

/// The HTTPS client for file transfers: our rustls configuration and roots, `https://` only.
pub(crate) fn https_client(trust: &TrustRoots) -> Result<reqwest::Client, EngineError> {
    let tls = trust.https_config().map_err(EngineError::File)?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .https_only(true)
        // A server that stalls fails the transfer (an upload is then tried again).
        .connect_timeout(std::time::Duration::from_secs(20))
        .read_timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| EngineError::File(format!("No HTTPS client: {e}.")))
}

fn too_large(cap: u64) -> EngineError {
    EngineError::File(format!(
        "The file is larger than {} MiB; it was not downloaded.",
        cap / 1024 / 1024
    ))
}

/// Progress of one transfer, told at most every [`PROGRESS_EVERY`] bytes or at its end.
pub(crate) struct Progress {
    engine: Engine,
    account_id: i64,
    peer: String,
    message_id: i64,
    upload: bool,
    total: Option<u64>,
    done: u64,
    told: u64,
}

/// Bytes between two progress events of a transfer (256 KiB: a 20 MB file tells 80 times).
const PROGRESS_EVERY: u64 = 256 * 1024;

impl Progress {
    pub(crate) fn new(engine: &Engine, row: &MessageRow, upload: bool, total: Option<u64>) -> Self {
        Self {
            engine: engine.clone(),
            account_id: row.account_id,
            peer: row.peer.clone(),
            message_id: row.id,
            upload,
            total,
            done: 0,
            told: 0,
        }
    }

    pub(crate) fn add(&mut self, bytes: u64) {
        self.done += bytes;
        if self.done - self.told >= PROGRESS_EVERY || Some(self.done) == self.total {
            self.tell();
        }
    }

    pub(crate) fn tell(&mut self) {
        self.told = self.done;
        self.engine.emit(EngineEvent::FileProgress {
            account_id: self.account_id,
            peer: self.peer.clone(),
            message_id: self.message_id,
            upload: self.upload,
            done: self.done,
            total: self.total,
        });
    }
}

impl Engine {
    /// Downloads the file a message shares and saves it in `dir` under its name (a free
    /// variant when taken): an `https://` link as it is, an `aesgcm://` one (XEP-0454)
    /// decrypted. Progress comes as [`EngineEvent::FileProgress`]; the saved path is
    /// remembered on the message (`file.path`) and announced as `MessagesChanged`. Returns it.
    ///
    /// Errors ([`EngineError::File`], in words): no file on this message, a link that is not
    /// HTTPS, the server unreachable or answering with an error, a file larger than
    /// [`MAX_FILE_BYTES`], one that does not decrypt (changed, or a wrong key), one whose
    /// SHA-256 differs from the sender's (XEP-0447), or the folder not writable.
    pub async fn save_file(&self, message_id: i64, dir: &Path) -> Result<PathBuf, EngineError> {
        let (row, file) = self.file_message(message_id).await?;
        let link = file
            .url
            .ok_or_else(|| EngineError::File("That message shares no file.".into()))?;
        let path = if link.starts_with(linnet_omemo::media::SCHEME) {
            let mut progress = Progress::new(self, &row, false, None);
            self.save_encrypted(&link, dir, Some(&mut progress)).await?
        } else {
            self.save_plain(&row, &link, dir).await?
        };
        self.inner
            .store
            .set_file_path(message_id, &path.to_string_lossy())
            .await?;
        self.emit(EngineEvent::MessagesChanged {
            account_id: row.account_id,
            peer: row.peer,
            ids: vec![message_id],
            live: false,
        });
        Ok(path)
    }

    /// Message `message_id` and the file it shares.
    ///
    /// Errors: [`EngineError::File`] when the message is gone or shares no file.
    pub(super) async fn file_message(
        &self,
        message_id: i64,
    ) -> Result<(MessageRow, SharedFile), EngineError> {
        let row = self
            .inner
            .store
            .message(message_id)
            .await?
            .ok_or_else(|| EngineError::File("That message is gone.".into()))?;
        let file = row
            .file
            .clone()
            .ok_or_else(|| EngineError::File("That message shares no file.".into()))?;
        Ok((row, file))
    }

    /// "Save as…": like [`Self::save_file`], but to `path`, the name the user chose (an existing
    /// file there is replaced: the save dialog asked). Staged in a hidden folder beside it and
    /// moved into place once whole and checked. Returns `path`.
    ///
    /// Errors: as [`Self::save_file`], and a `path` without a folder.
    pub async fn save_file_as(&self, message_id: i64, path: &Path) -> Result<PathBuf, EngineError> {
        let folder = path
            .parent()
            .ok_or_else(|| EngineError::File("Choose a file in a folder.".into()))?;
        let staging = folder.join(format!(".linnet-saving-{message_id}"));
        let staged = self.save_file(message_id, &staging).await;
        let moved = match staged {
            Ok(staged) => tokio::fs::rename(&staged, path)
                .await
                .map_err(|e| EngineError::File(format!("The file could not be saved there: {e}."))),
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_dir_all(&staging).await;
        moved?;
        self.inner
            .store
            .set_file_path(message_id, &path.to_string_lossy())
            .await?;
        Ok(path.to_owned())
    }

    /// Downloads an `aesgcm://` link's file (XEP-0454), decrypts it and saves it in `dir`
    /// under the name the link ends with (a free variant when taken). Returns the path.
    ///
    /// Errors: as [`Self::save_file`], and a link that is not `aesgcm://`.
    pub async fn save_encrypted_file(
        &self,
        link: &str,
        dir: &Path,
    ) -> Result<PathBuf, EngineError> {
        self.save_encrypted(link, dir, None).await
    }

    pub(super) async fn save_encrypted(
        &self,
        link: &str,
        dir: &Path,
        progress: Option<&mut Progress>,
    ) -> Result<PathBuf, EngineError> {
        let client = https_client(&self.inner.trust)?;
        let link = EncryptedLink::parse(link.trim())
            .map_err(|e| EngineError::File(format!("This is not an encrypted file link: {e}.")))?;
        let sealed = download(&client, &link.https, progress, MAX_FILE_BYTES).await?;
        decrypted_to(&sealed, &link, dir).await
    }

    /// Streams an `https://` file into `dir/.name.part`, renamed to a free name once whole.
    pub(super) async fn save_plain(
        &self,
        row: &MessageRow,
        link: &str,
        dir: &Path,
    ) -> Result<PathBuf, EngineError> {
        let client = https_client(&self.inner.trust)?;
        if url::Url::parse(link).map(|u| u.scheme() == "https") != Ok(true) {
            return Err(EngineError::File(
                "This file's address is not HTTPS; Linnet downloads only over encrypted connections.".into(),
            ));
        }
        let mut response = get(&client, link, MAX_FILE_BYTES).await?;
        let mut progress = Progress::new(self, row, false, response.content_length());
        // The name the card shows (the sender's, made safe), else the URL's.
        let name = row
            .file
            .as_ref()
            .map_or_else(|| file_name(link), |f| safe_name(&f.name));
        let saving =
            |e: std::io::Error| EngineError::File(format!("The file could not be saved: {e}."));
        tokio::fs::create_dir_all(dir).await.map_err(saving)?;
        let part = dir.join(format!(".{name}.{}.part", row.id));
        // The sender's SHA-256 (XEP-0447), checked before the file gets its name.
        let expected = row.file.as_ref().and_then(|f| f.sha256.clone());
        let written = async {
            let mut out = tokio::fs::File::create(&part).await.map_err(saving)?;
            let mut hasher = Sha256::new();
            while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
                if progress.done + chunk.len() as u64 > MAX_FILE_BYTES {
                    return Err(too_large(MAX_FILE_BYTES));
                }
                out.write_all(&chunk).await.map_err(saving)?;
                hasher.update(&chunk);
                progress.add(chunk.len() as u64);
            }
            out.flush().await.map_err(saving)?;
            let got = Hash::new(Algo::Sha_256, hasher.finalize().to_vec()).to_base64();
            if expected.is_some_and(|e| e != got) {
                return Err(EngineError::File(
                    "The file is not the one the sender described (its SHA-256 differs); it was not saved."
                        .into(),
                ));
            }
            progress.tell();
            Ok(())
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(e);
        }
        let dir = dir.to_owned();
        tokio::task::spawn_blocking(move || {
            let path = free_path(&dir, &name);
            std::fs::rename(&part, &path).map(|()| path)
        })
        .await
        .map_err(|e| EngineError::File(format!("Saving the file failed: {e}.")))?
        .map_err(saving)
    }
}

fn unreachable(e: reqwest::Error) -> EngineError {
    EngineError::File(format!("The file could not be downloaded: {e}."))
}

/// GET with an error status turned into an error, refused early when the server says the
/// file is larger than `cap` bytes.
async fn get(
    client: &reqwest::Client,
    url: &str,
    cap: u64,
) -> Result<reqwest::Response, EngineError> {
    let response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(unreachable)?;
    if response.content_length().is_some_and(|n| n > cap) {
        return Err(too_large(cap));
    }
    Ok(response)
}

/// The whole body of `url` in memory (encrypted files are decrypted whole), at most `cap`
/// bytes.
pub(super) async fn download(
    client: &reqwest::Client,
    url: &str,
    mut progress: Option<&mut Progress>,
    cap: u64,
) -> Result<Vec<u8>, EngineError> {
    let mut response = get(client, url, cap).await?;
    if let Some(p) = progress.as_deref_mut() {
        p.total = response.content_length();
    }
    let mut data = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if data.len() as u64 + chunk.len() as u64 > cap {
            return Err(too_large(cap));
        }
        data.extend_from_slice(&chunk);
        if let Some(p) = progress.as_deref_mut() {
            p.add(chunk.len() as u64);
        }
    }
    Ok(data)
}

/// Decrypts a downloaded `aesgcm://` file and writes it into `dir` under a free name.
async fn decrypted_to(
    sealed: &[u8],
    link: &EncryptedLink,
    dir: &Path,
) -> Result<PathBuf, EngineError> {
    let plain = decrypt_file(sealed, &link.key).map_err(|_| {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
