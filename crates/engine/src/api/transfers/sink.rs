//! Where a received file goes while it arrives: a hidden `.part` file in the chosen folder,
//! hashed (SHA-256, XEP-0300) and counted as it is written, kept under the file's name only
//! once whole and matching the sender's hash, removed otherwise.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_xmpp::parsers::hashes::{Algo, Hash};
use tokio_xmpp::parsers::jingle::Reason;

use super::{End, Session};
use crate::api::files::{free_path, Progress};
use crate::features::jingle::OfferedFile;
use crate::store::TransferState;

/// A file being received.
pub(super) struct Sink {
    out: tokio::fs::File,
    part: PathBuf,
    dir: PathBuf,
    name: String,
    hasher: Sha256,
    received: u64,
    size: Option<u64>,
    cap: u64,
    sha256: Option<String>,
    progress: Progress,
}

fn damaged(words: &str) -> End {
    End(
        TransferState::Failed,
        words.to_owned(),
        Some(Reason::MediaError),
    )
}

fn unwritable(e: std::io::Error) -> End {
    End::failed(format!("The file could not be written ({e})."))
}

impl Sink {
    /// Opens `dir/.linnet-<message id>.part` for the offered `file`; at most its size, or
    /// `cap` bytes when it gave none.
    pub(super) async fn create(
        session: &Session<'_>,
        file: &OfferedFile,
        dir: &Path,
        cap: u64,
    ) -> Result<Self, End> {
        tokio::fs::create_dir_all(dir).await.map_err(|e| {
            End::failed(format!(
                "The folder {} is not writable ({e}).",
                dir.display()
            ))
        })?;
        let part = dir.join(format!(".linnet-{}.part", session.row.id));
        let out = tokio::fs::File::create(&part).await.map_err(unwritable)?;
        let mut progress = Progress::new(session.engine, session.row, false, file.size);
        progress.tell();
        Ok(Self {
            out,
            part,
            dir: dir.to_owned(),
            name: crate::features::files::safe_name(file.name.as_deref().unwrap_or("file")),
            hasher: Sha256::new(),
            received: 0,
            size: file.size,
            cap,
            sha256: file.sha256.clone(),
            progress,
        })
    }

    /// Writes the next bytes; more than the file's size (or the cap) is refused.
    pub(super) async fn write(&mut self, data: &[u8]) -> Result<(), End> {
        let received = self.received + data.len() as u64;
        if received > self.size.unwrap_or(self.cap) {
            return Err(damaged("The sender sent more than the file's size."));
        }
        self.received = received;
        self.hasher.update(data);
        self.out.write_all(data).await.map_err(unwritable)?;
        self.progress.add(data.len() as u64);
        Ok(())
    }

    /// Whether every byte of the announced size is here.
    pub(super) fn whole(&self) -> bool {
        self.size == Some(self.received)
    }

    /// Bytes still to come, when the size is known.
    pub(super) fn missing(&self) -> Option<u64> {
        self.size.map(|s| s.saturating_sub(self.received))
    }

    /// Ends the file: on success it must be whole and match the sender's hash, and is moved
    /// to a free name in the folder (never over another file); otherwise the part is removed.
    /// Passes on whether the sender ended the session already.
    pub(super) async fn keep(mut self, result: Result<bool, End>) -> Result<(PathBuf, bool), End> {
        let kept = match result {
            Ok(theirs) => self.check().await.map(|()| theirs),
            Err(end) => Err(end),
        };
        let theirs = match kept {
            Ok(theirs) => theirs,
            Err(end) => {
                let _ = tokio::fs::remove_file(&self.part).await;
                return Err(end);
            }
        };
        let (part, dir, name) = (self.part.clone(), self.dir.clone(), self.name.clone());
        let moved = tokio::task::spawn_blocking(move || place(&part, &dir, &name)).await;
        match moved {
            Ok(Ok(path)) => Ok((path, theirs)),
            Ok(Err(e)) => {
                let _ = tokio::fs::remove_file(&self.part).await;
                Err(End::failed(format!("The file could not be saved: {e}.")))
            }
            Err(e) => Err(End::failed(format!("Saving the file failed: {e}."))),
        }
    }

    async fn check(&mut self) -> Result<(), End> {
        self.out.flush().await.map_err(unwritable)?;
        if self.size.is_some_and(|size| size != self.received) {
            return Err(damaged("The file arrived incomplete."));
        }
        let digest = Hash::new(Algo::Sha_256, self.hasher.clone().finalize().to_vec()).to_base64();
        if self.sha256.as_ref().is_some_and(|want| *want != digest) {
            return Err(damaged(
                "The file arrived damaged: its checksum differs from the sender's.",
            ));
        }
        Ok(())
    }
}

/// Moves `part` to a free name for `name` in `dir`: the name is claimed first (created
/// empty, never replacing a file), then taken by the move.
fn place(part: &Path, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    for _ in 0..100 {
        let to = free_path(dir, name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&to)
        {
            Ok(_) => {
                std::fs::rename(part, &to)?;
                return Ok(to);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free name in the folder"))
}
