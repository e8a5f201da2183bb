//! Sending files with HTTP File Upload (XEP-0363). A file message is stored in the outbox
//! first, like a text (`pending`, its local file in `file.path`, no URL yet), so it is never
//! lost or sent twice; then an upload task per message waits until the account is online,
//! finds the server's upload service (disco, cached per account), checks the size against the
//! service's limit, asks for a slot, and PUTs the file over HTTPS (streamed from disk, with
//! [`EngineEvent::FileProgress`]). Once uploaded, the GET URL becomes the body and the outbox
//! sends the message with out-of-band data (XEP-0066). In an encrypted conversation the file
//! is encrypted first (XEP-0454) and the `aesgcm://` link goes inside the OMEMO message.
//! A restart hands waiting uploads back to new tasks ([`Engine::resume_uploads`]); a lost
//! HTTP connection is retried with a new slot; a refusal fails the message in words, and
//! [`Engine::retry_message`] starts it again.

use std::path::Path;

use futures::StreamExt;

use sha2::{Digest, Sha256};

use super::files::{https_client, Progress, MAX_FILE_BYTES};
use super::metadata::{self, MAX_CLEANED_BYTES};
use super::upload_service::NO_SERVICE;
use crate::features::files::{self as protocol, size_words, UploadService};
use crate::*;

/// Attempts of one upload whose HTTP connection broke, each with a new slot.
const ATTEMPTS: u32 = 3;

/// Chunks a file is sent in: read from disk (plain) or cut from the sealed file (encrypted,
/// which is encrypted whole, in memory).
const CHUNK: usize = 64 * 1024;

/// Upload state the engine keeps: the running tasks and each account's service.
pub(crate) struct Uploads {
    /// Running upload tasks by message row id.
    tasks: std::sync::Mutex<HashMap<i64, tokio::task::AbortHandle>>,
    /// At most two previews made at a time (each may download 16 MiB and decode 256 MiB).
    pub(super) previews: tokio::sync::Semaphore,
    /// Each account's upload service once found (`None`: the server has none).
    pub(super) services: tokio::sync::Mutex<HashMap<i64, Option<UploadService>>>,
}

impl Default for Uploads {
    fn default() -> Self {
        Self {
            tasks: std::sync::Mutex::default(),
            previews: tokio::sync::Semaphore::new(2),
            services: tokio::sync::Mutex::default(),
        }
    }
}

/// Why an upload stopped: for good, or worth another attempt.
enum Stop {
    Failed(String),
    Broken(String),
}

impl Engine {
    /// Shares a file from disk with `to` (a contact, a joined room, or room/nick): stored as
    /// a pending message at once (announced as `MessagesChanged`), uploaded when online, then
    /// sent. Returns the stored row (its `file.url` is `None` until uploaded).
    ///
    /// A file larger than the server's limit goes to a contact peer to peer instead
    /// ([`Self::send_file_direct`]) when their client takes that.
    ///
    /// Errors: [`EngineError::InvalidJid`]; [`EngineError::File`] in words for a path that is
    /// not a readable file, or one larger than the server's known limit ("… is 70.1 MB; your
    /// server takes files up to 67.1 MB") that cannot go directly either, which is then not
    /// stored; store errors.
    pub async fn send_file(
        &self,
        account_id: i64,
        to: &str,
        path: &Path,
    ) -> Result<MessageRow, EngineError> {
        self.send_file_with(account_id, to, path, false).await
    }

    /// [`Self::send_file`], keeping a photo's metadata (location, camera, time) when
    /// `keep_metadata` says so; otherwise it is removed before the upload (`api::metadata`).
    /// The choice is stored with the message, so an upload resumed after a restart keeps it.
    ///
    /// Errors: as [`Self::send_file`].
    pub async fn send_file_with(
        &self,
        account_id: i64,
        to: &str,
        path: &Path,
        keep_metadata: bool,
    ) -> Result<MessageRow, EngineError> {
        let (peer, groupchat) = self.outgoing_conversation(account_id, to).await?;
        let meta = tokio::fs::metadata(path)
            .await
            .ok()
            .filter(std::fs::Metadata::is_file)
            .ok_or_else(|| {
                EngineError::File(format!("{} is not a file Linnet can read.", path.display()))
            })?;
        let size = meta.len();
        // Told before anything is stored when the limit is known (or can be learnt now).
        let service = self.upload_service(account_id).await.ok().flatten();
        if let Some(max) = service.and_then(|s| s.max_size) {
            if size > max {
                // Too large for the server: straight to the contact, when its client can.
                if groupchat {
                    return Err(EngineError::File(too_large(size, max)));
                }
                return match self.send_file_direct(account_id, &peer, path).await {
                    Ok(row) => Ok(row),
                    Err(EngineError::File(why)) => Err(EngineError::File(format!(
                        "{} A direct transfer is not possible either: {why}",
                        too_large(size, max)
                    ))),
                    Err(e) => Err(e),
                };
            }
        }
        let name = protocol::safe_name(
            &path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let file = SharedFile {
            media_type: Some(protocol::media_type_of(&name)),
            name,
            size: i64::try_from(size).ok(),
            url: None,
            path: Some(path.to_string_lossy().into_owned()),
            sha256: None,
            transfer: None,
            keep_metadata,
        };
        let row = features::outbox::store_pending(
            &self.inner.store,
            account_id,
            &peer,
            &file.name,
            groupchat,
            None,
            Some(&file),
        )
        .await?;
        self.emit(EngineEvent::MessagesChanged {
            account_id,
            peer,
            ids: vec![row.id],
            live: false,
        });
        self.start_upload(row.id);
        Ok(row)
    }

    /// Stops an upload that has not finished: the message fails with "Upload cancelled."
    /// (announced), and [`Self::retry_message`] can start it again.
    ///
    /// Errors: [`EngineError::NotFound`] when the message is not an upload still under way.
    pub async fn cancel_upload(&self, message_id: i64) -> Result<(), EngineError> {
        self.stop_upload_task(message_id);
        let row = self.inner.store.message(message_id).await?;
        match row {
            Some(row)
                if row.state == MessageState::Pending
                    && row.file.as_ref().is_some_and(|f| f.url.is_none()) =>
            {
                self.fail_upload(&row, "Upload cancelled.").await;
                Ok(())
            }
            _ => Err(EngineError::NotFound(format!("upload {message_id}"))),
        }
    }

    /// Starts a task for every upload a previous run left waiting (at start).
    pub(crate) async fn resume_uploads(&self) -> Result<(), EngineError> {
        for row in self.inner.store.waiting_uploads().await? {
            self.start_upload(row.id);
        }
        Ok(())
    }

    /// Runs the upload of one stored file message in its own task (one at a time per row).
    /// A task that has ended (or is ending) gives way to a new one.
    pub(crate) fn start_upload(&self, message_id: i64) {
        let Ok(mut tasks) = self.inner.uploads.tasks.lock() else {
            return;
        };
        if let Some(old) = tasks.remove(&message_id) {
            old.abort();
        }
        let engine = self.clone();
        let task = tokio::spawn(async move {
            engine.upload(message_id).await;
            // Only our own entry: a newer task for the row may have taken the place.
            let me = tokio::task::id();
            if let Ok(mut tasks) = engine.inner.uploads.tasks.lock() {
                if tasks.get(&message_id).is_some_and(|t| t.id() == me) {
                    tasks.remove(&message_id);
                }
            }
        });
        tasks.insert(message_id, task.abort_handle());
    }

    /// Stops the upload task of a message, if one runs (cancel, retraction).
    pub(crate) fn stop_upload_task(&self, message_id: i64) {
        let task = self
            .inner
            .uploads
            .tasks
            .lock()
            .ok()
            .and_then(|mut t| t.remove(&message_id));
        if let Some(task) = task {
            task.abort();
        }
    }

    async fn upload(&self, message_id: i64) {
        for attempt in 1..=ATTEMPTS {
            let Ok(Some(row)) = self.inner.store.message(message_id).await else {
                return;
            };
            if row.state != MessageState::Pending {
                return;
            }
            let reason = match self.upload_once(&row).await {
                Ok(()) => return,
                Err(Stop::Failed(reason)) => reason,
                Err(Stop::Broken(reason)) if attempt < ATTEMPTS => {
                    tracing::info!(
                        message_id,
                        attempt,
                        "upload broke off, trying again: {reason}"
                    );
                    tokio::time::sleep(std::time::Duration::from_secs(2u64.pow(attempt))).await;
                    continue;
                }
                Err(Stop::Broken(reason)) => reason,
            };
            self.fail_upload(&row, &reason).await;
            return;
        }
    }

    async fn fail_upload(&self, row: &MessageRow, reason: &str) {
        let failed = self
            .inner
            .store
            .set_message_state(row.id, MessageState::Failed, Some(reason));
        if failed.await.is_ok() {
            self.emit(EngineEvent::MessagesChanged {
                account_id: row.account_id,
                peer: row.peer.clone(),
                ids: vec![row.id],
                live: false,
            });
        }
    }

    async fn upload_once(&self, row: &MessageRow) -> Result<(), Stop> {
        let Some(file) = row.file.clone() else {
            return Ok(());
        };
        if file.url.is_some() {
            // Uploaded before a restart: the outbox sends it.
            let _ = self
                .send_command(row.account_id, Command::SendMessage(row.id))
                .await;
            return Ok(());
        }
        self.wait_online(row.account_id).await;
        let service = match self.upload_service(row.account_id).await {
            Ok(Some(service)) => service,
            Ok(None) => return Err(Stop::Failed(NO_SERVICE.into())),
            Err(e) => return Err(Stop::Broken(e.to_string())),
        };
        let path = file.path.clone().unwrap_or_default();
        let gone = |e: std::io::Error| {
            Stop::Failed(format!("The file {path} can no longer be read ({e})."))
        };
        let encrypted = row.encryption == features::outbox::ENCRYPT_OMEMO;
        let file_len = tokio::fs::metadata(&path).await.map_err(gone)?.len();
        let plain_type = file
            .media_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into());
        // Photos lose their EXIF and XMP (GPS position, camera, time) first: `api::metadata`.
        let clean = !file.keep_metadata && metadata::is_cleaned(&plain_type);
        let cleaned = if clean && file_len <= MAX_CLEANED_BYTES {
            let data = tokio::fs::read(&path).await.map_err(gone)?;
            let cleaned = tokio::task::spawn_blocking(move || {
                metadata::without_metadata(&data).map(|c| c.unwrap_or(data))
            })
            .await
            .map_err(|e| Stop::Failed(format!("Cleaning the photo failed: {e}.")))?
            .map_err(|e| Stop::Failed(format!("Not sent: {e}.")))?;
            Some(cleaned)
        } else {
            None
        };
        // What goes up from memory (a cleaned photo, or any file sealed whole for an encrypted
        // chat: XEP-0454, AES-256-GCM with the tag appended); `None`: streamed from disk.
        let (payload, key) = if encrypted {
            // Sealed whole in memory: bounded by what any Linnet downloads.
            if file_len > MAX_FILE_BYTES {
                return Err(Stop::Failed(format!(
                    "The file is {}; encrypted files can be at most {}.",
                    size_words(file_len),
                    size_words(MAX_FILE_BYTES)
                )));
            }
            let plain = match cleaned {
                Some(data) => data,
                None => tokio::fs::read(&path).await.map_err(gone)?,
            };
            let (sealed, key) = tokio::task::spawn_blocking(move || {
                linnet_omemo::media::encrypt_file(&plain, &mut linnet_omemo::OsEntropy)
            })
            .await
            .map_err(|e| Stop::Failed(format!("Encrypting the file failed: {e}.")))?
            .map_err(|e| Stop::Failed(format!("Encrypting the file failed: {e}.")))?;
            (Some(sealed), Some(key))
        } else {
            (cleaned, None)
        };
        if !encrypted && super::previews::is_image(&file) {
            // Its size and thumbnail go with it (XEP-0446); never in an encrypted chat.
            self.describe_upload(row.id, Path::new(&path), payload.as_deref(), file_len)
                .await;
        }
        let size = payload.as_ref().map_or(file_len, |data| data.len() as u64);
        if let Some(max) = service.max_size.filter(|max| size > *max) {
            return Err(Stop::Failed(too_large(size, max)));
        }
        let media_type = if encrypted {
            "application/octet-stream".to_owned()
        } else {
            plain_type
        };
        let request = protocol::slot_request(&service, &file.name, size, &media_type);
        let slot = match self.request(row.account_id, request).await {
            Ok(payload) => protocol::parse_slot(payload)
                .map_err(|e| Stop::Failed(format!("The server refused the upload: {e}.")))?,
            Err(EngineError::NotConnected) => {
                return Err(Stop::Broken("the server did not answer".into()))
            }
            Err(e) => return Err(Stop::Failed(format!("The server refused the upload: {e}."))),
        };
        let client = https_client(&self.inner.trust).map_err(|e| Stop::Failed(e.to_string()))?;
        let mut put = client
            .put(&slot.put.url)
            .header(reqwest::header::CONTENT_TYPE, &media_type)
            .header(reqwest::header::CONTENT_LENGTH, size);
        for header in &slot.put.headers {
            put = put.header(header.name.as_str(), &header.value);
        }
        let mut progress = Progress::new(self, row, true, Some(size));
        progress.tell();
        // Progress and the SHA-256 of what goes up (for XEP-0447), as the body is read.
        let progress = std::sync::Arc::new(std::sync::Mutex::new((progress, Sha256::new())));
        let counted = progress.clone();
        let count = move |chunk: &bytes::Bytes| {
            if let Ok(mut p) = counted.lock() {
                p.0.add(chunk.len() as u64);
                p.1.update(chunk);
            }
        };
        let body = match payload {
            Some(data) => {
                let whole = bytes::Bytes::from(data);
                let chunks: Vec<bytes::Bytes> = (0..whole.len())
                    .step_by(CHUNK)
                    .map(|at| whole.slice(at..(at + CHUNK).min(whole.len())))
                    .collect();
                reqwest::Body::wrap_stream(futures::stream::iter(chunks).map(move |c| {
                    count(&c);
                    Ok::<_, std::io::Error>(c)
                }))
            }
            None => {
                let reader = tokio::fs::File::open(&path).await.map_err(gone)?;
                reqwest::Body::wrap_stream(
                    tokio_util::io::ReaderStream::with_capacity(reader, CHUNK).map(move |c| {
                        if let Ok(c) = &c {
                            count(c);
                        }
                        c
                    }),
                )
            }
        };
        let response = put
            .body(body)
            .send()
            .await
            .map_err(|e| Stop::Broken(format!("The upload broke off: {e}.")))?;
        if !response.status().is_success() {
            return Err(Stop::Failed(format!(
                "The upload service refused the file (HTTP {}).",
                response.status()
            )));
        }
        // The plain file's size (a cleaned photo's; without the 16-byte GCM tag when sealed).
        let plain_size = if key.is_some() {
            size.saturating_sub(16)
        } else {
            size
        };
        let link = match key {
            Some(key) => linnet_omemo::media::EncryptedLink::for_upload(&slot.get.url, key)
                .map_err(|e| Stop::Failed(format!("The upload's address is unusable: {e}.")))?
                .to_link(),
            None => slot.get.url,
        };
        let sha256 = progress
            .lock()
            .map(|p| base64_sha256(p.1.clone()))
            .map_err(|_| Stop::Failed("The upload's checksum was lost.".into()))?;
        let stored = self
            .inner
            .store
            .set_file_url(row.id, &link, &sha256, plain_size)
            .await;
        if let Ok(Some(sent)) = stored {
            self.emit(EngineEvent::MessagesChanged {
                account_id: sent.account_id,
                peer: sent.peer,
                ids: vec![sent.id],
                live: false,
            });
            // Offline now is fine: the outbox goes out on the next session.
            let _ = self
                .send_command(row.account_id, Command::SendMessage(row.id))
                .await;
        }
        Ok(())
    }
}

fn too_large(size: u64, max: u64) -> String {
    format!(
        "The file is {}; your server takes files up to {}.",
        size_words(size),
        size_words(max)
    )
}

/// The digest as XEP-0300 writes it: base64.
fn base64_sha256(hasher: Sha256) -> String {
    use tokio_xmpp::parsers::hashes::{Algo, Hash};
    Hash::new(Algo::Sha_256, hasher.finalize().to_vec()).to_base64()
}
