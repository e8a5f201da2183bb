//! Jingle file transfer (XEP-0166, XEP-0234): a file sent straight to a contact's client,
//! without the server keeping a copy, and one a contact offers us. The bytes go over SOCKS5
//! Bytestreams (XEP-0260, [`socks5`]: a direct connection or the server's proxy) when both
//! sides speak it, else, or when no candidate connects, over In-Band Bytestreams (XEP-0261,
//! [`ibb`]). Each session runs in its own task; the account actor hands it the session's
//! stanzas (`features::transfers`). Its message shows the file with the session's state
//! (`file.transfer`), and progress comes as [`EngineEvent::FileProgress`].
//!
//! Sending: the contact's online resources are asked (XEP-0030) which takes Jingle file
//! transfer; the file's SHA-256 (XEP-0300) is computed, the message stored, and the session
//! offered. Receiving: [`Engine::accept_transfer`] answers the offer and writes the bytes
//! into a hidden `.part` file ([`sink::Sink`]) that becomes the file once whole and matching
//! the sender's hash. Either side may cancel; a declined, cancelled or broken transfer says
//! why.

mod ibb;
mod session;
mod sink;
mod socks5;

use session::{End, Session};

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio_xmpp::parsers::disco::{DiscoInfoQuery, DiscoInfoResult};
use tokio_xmpp::parsers::hashes::{Algo, Hash};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::jingle::Reason;

use crate::features::jingle::{self, OfferedFile};
use crate::features::transfers::{transfer_message, Taken};
use crate::store::{Transfer, TransferState};
use crate::*;

/// How long an offer of ours waits for the contact to answer.
const ANSWER_WAIT: Duration = Duration::from_secs(600);
/// Silence after which a transfer under way is given up.
const IDLE: Duration = Duration::from_secs(60);
/// The largest file taken when the offer gives no size.
const MAX_UNSIZED: u64 = 4 * 1024 * 1024 * 1024;

impl Engine {
    /// Sends a file from disk straight to contact `to` with Jingle (XEP-0234), to the most
    /// available of its resources that takes such transfers. The message is stored
    /// (announced as `MessagesChanged`) with the transfer `offered`; the contact's answer and
    /// the bytes follow in a task. Returns the stored row.
    ///
    /// Errors ([`EngineError::File`] in words unless said): [`EngineError::InvalidJid`];
    /// [`EngineError::NotConnected`]; a room, or a chat with OMEMO on (the bytes would go
    /// unencrypted); a path that is not a readable file; a contact with no resource online,
    /// or none whose client takes direct transfers.
    pub async fn send_file_direct(
        &self,
        account_id: i64,
        to: &str,
        path: &Path,
    ) -> Result<MessageRow, EngineError> {
        let contact = parse_jid(to)?.to_bare();
        let peer = contact.to_string();
        if self.inner.store.room(account_id, &peer).await?.is_some() {
            return Err(EngineError::File(
                "Direct transfers go to one contact, not to a room.".into(),
            ));
        }
        let encrypted = self
            .inner
            .store
            .conversation_encryption(account_id, &peer)
            .await?;
        if encrypted == Some(true) {
            return Err(EngineError::File(
                "Direct transfers are not encrypted yet; in this encrypted chat the file goes as an encrypted upload."
                    .into(),
            ));
        }
        let me = self
            .inner
            .transfers
            .bound(account_id)
            .ok_or(EngineError::NotConnected)?;
        let meta = tokio::fs::metadata(path)
            .await
            .ok()
            .filter(std::fs::Metadata::is_file)
            .ok_or_else(|| {
                EngineError::File(format!("{} is not a file Linnet can read.", path.display()))
            })?;
        let (target, s5b) = self.transfer_target(account_id, &contact, &me).await?;
        let sha256 = file_sha256(path).await.map_err(|e| {
            EngineError::File(format!("{} could not be read ({e}).", path.display()))
        })?;
        let name = features::files::safe_name(
            &path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let sid = features::new_id();
        let file = SharedFile {
            media_type: Some(features::files::media_type_of(&name)),
            name,
            size: i64::try_from(meta.len()).ok(),
            url: None,
            path: Some(path.to_string_lossy().into_owned()),
            sha256: Some(sha256),
            transfer: Some(Transfer {
                state: TransferState::Offered,
                sid: sid.clone(),
                reason: None,
            }),
            keep_metadata: false,
        };
        let row = self
            .inner
            .store
            .insert_message(&transfer_message(account_id, &peer, true, &file))
            .await?
            .ok_or_else(|| EngineError::File("The file could not be stored.".into()))?;
        self.emit(EngineEvent::MessagesChanged {
            account_id,
            peer,
            ids: vec![row.id],
            live: false,
        });
        let inbox = self
            .inner
            .transfers
            .open(account_id, &sid, target.clone(), row.id);
        let offered = OfferedFile {
            name: Some(file.name.clone()),
            size: Some(meta.len()),
            media_type: file.media_type.clone(),
            sha256: file.sha256.clone(),
        };
        let engine = self.clone();
        let sending = row.clone();
        self.run_transfer(row.id, async move {
            let session = Session {
                engine: &engine,
                row: &sending,
                sid: &sid,
                peer: &target,
                content: jingle::CONTENT.to_owned(),
            };
            let mut inbox = inbox;
            let outcome = session
                .send(&me, &offered, s5b, &mut inbox, path_of(&sending))
                .await;
            session.finish(outcome, None).await;
        });
        Ok(row)
    }

    /// Takes the file offered in message `message_id` and receives it into `dir` under its
    /// name (a free variant when taken). Progress comes as [`EngineEvent::FileProgress`]; the
    /// saved path is set on the message once the whole file arrived and matched the sender's
    /// SHA-256. Returns once the offer is answered; the transfer runs in a task.
    ///
    /// Errors: [`EngineError::NotFound`] when the message has no offer still open (the sender
    /// withdrew it, or it was answered); [`EngineError::NotConnected`] (the offer then
    /// fails: the session cannot wait for a reconnection).
    pub async fn accept_transfer(&self, message_id: i64, dir: &Path) -> Result<(), EngineError> {
        let (row, taken, me) = self.open_offer(message_id).await?;
        let Taken { offer, mut inbox } = taken;
        let engine = self.clone();
        let dir = dir.to_owned();
        let (answered, answer) = tokio::sync::oneshot::channel();
        self.run_transfer(row.id, async move {
            let session = Session::of(&engine, &row, &offer);
            let outcome = session
                .receive(&me, &offer, &mut inbox, &dir, answered)
                .await;
            let saved = outcome.as_ref().ok().map(|(path, _)| path.clone());
            session
                .finish(outcome.map(|(_, theirs)| theirs), saved)
                .await;
        });
        answer.await.unwrap_or(Err(EngineError::NotConnected))
    }

    /// Declines the file offered in message `message_id` (XEP-0166 §6.7 `decline`).
    ///
    /// Errors: as [`Self::accept_transfer`].
    pub async fn decline_transfer(&self, message_id: i64) -> Result<(), EngineError> {
        let (row, taken, _) = self.open_offer(message_id).await?;
        let session = Session::of(self, &row, &taken.offer);
        let end = End(
            TransferState::Declined,
            "Declined.".into(),
            Some(Reason::Decline),
        );
        session.finish(Err(end), None).await;
        Ok(())
    }

    /// Stops a transfer of message `message_id` that is offered or under way, in either
    /// direction: the other side is told (`cancel`), a partly received file is removed, and
    /// the message says "Cancelled.".
    ///
    /// Errors: [`EngineError::NotFound`] when it has no transfer under way.
    pub async fn cancel_transfer(&self, message_id: i64) -> Result<(), EngineError> {
        let row = self.inner.store.message(message_id).await?;
        let Some((row, transfer)) = row.and_then(|r| {
            let t = r.file.as_ref()?.transfer.clone()?;
            (!t.state.ended()).then_some((r, t))
        }) else {
            return Err(EngineError::NotFound(format!("transfer {message_id}")));
        };
        // A running session ends itself (and cleans up); one without a task is ended here.
        if self.inner.transfers.cancel(row.account_id, &transfer.sid) {
            return Ok(());
        }
        let peer = self.inner.transfers.peer(row.account_id, &transfer.sid);
        match peer {
            Some(peer) => {
                let session = Session {
                    engine: self,
                    row: &row,
                    sid: &transfer.sid,
                    peer: &peer,
                    content: jingle::CONTENT.to_owned(),
                };
                session.finish(Err(End::cancelled()), None).await
            }
            None => {
                let end = End::cancelled();
                self.set_transfer(&row, end.0, Some(&end.1)).await
            }
        }
        Ok(())
    }

    /// The message with an open offer to us, the offer, and our full JID.
    async fn open_offer(
        &self,
        message_id: i64,
    ) -> Result<(MessageRow, Taken, FullJid), EngineError> {
        let not_open = || EngineError::NotFound(format!("file offer {message_id}"));
        let row = self
            .inner
            .store
            .message(message_id)
            .await?
            .ok_or_else(not_open)?;
        let transfer = row
            .file
            .as_ref()
            .and_then(|f| f.transfer.clone())
            .filter(|t| t.state == TransferState::Offered && !row.outgoing)
            .ok_or_else(not_open)?;
        let me = self
            .inner
            .transfers
            .bound(row.account_id)
            .ok_or(EngineError::NotConnected)?;
        let taken = self
            .inner
            .transfers
            .take_offer(row.account_id, &transfer.sid)
            .ok_or_else(not_open)?;
        Ok((row, taken, me))
    }

    /// The resource of `contact` to send a file to: the most available one whose client
    /// announces Jingle file transfer (XEP-0030 disco#info of each, in turn), and whether it
    /// takes SOCKS5 bytestreams too (XEP-0260 §5). `contact` may be our own bare JID: then
    /// another device of ours, never this one (`me`).
    async fn transfer_target(
        &self,
        account_id: i64,
        contact: &tokio_xmpp::parsers::jid::BareJid,
        me: &FullJid,
    ) -> Result<(FullJid, bool), EngineError> {
        let resources = self
            .inner
            .presence
            .resources(account_id, &contact.to_string());
        if resources.is_empty() {
            return Err(EngineError::File(format!(
                "{contact} is offline; a direct transfer needs them online."
            )));
        }
        for resource in resources {
            let Ok(full) = contact.with_resource_str(&resource) else {
                continue;
            };
            if full == *me {
                continue;
            }
            let Some(info) = self.disco_info(account_id, Jid::from(full.clone())).await else {
                continue;
            };
            let has = |f: &str| info.features.iter().any(|g| g == f);
            if jingle::FEATURES.iter().all(|f| has(f)) {
                return Ok((full, has(jingle::S5B_FEATURE)));
            }
        }
        Err(EngineError::File(format!(
            "{contact}'s client does not take direct transfers; send the file as an upload."
        )))
    }

    /// An entity's disco#info (XEP-0030), `None` when it does not answer one.
    async fn disco_info(&self, account_id: i64, jid: Jid) -> Option<DiscoInfoResult> {
        let query = Iq::from_get(features::new_id(), DiscoInfoQuery { node: None }).with_to(jid);
        let payload = self.request(account_id, query).await.ok()??;
        DiscoInfoResult::try_from(payload).ok()
    }

    /// Runs a transfer's task, remembered by message row (registered before it starts).
    fn run_transfer(
        &self,
        message_id: i64,
        work: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let engine = self.clone();
        let (go, start) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = start.await;
            work.await;
            if let Ok(mut tasks) = engine.inner.transfer_tasks.lock() {
                if tasks
                    .get(&message_id)
                    .is_some_and(|t| t.id() == tokio::task::id())
                {
                    tasks.remove(&message_id);
                }
            }
        });
        if let Ok(mut tasks) = self.inner.transfer_tasks.lock() {
            tasks.insert(message_id, task.abort_handle());
        }
        let _ = go.send(());
    }

    async fn set_transfer(&self, row: &MessageRow, state: TransferState, reason: Option<&str>) {
        let set = self.inner.store.set_transfer_state(row.id, state, reason);
        if let Ok(Some(row)) = set.await {
            self.emit(EngineEvent::MessagesChanged {
                account_id: row.account_id,
                peer: row.peer,
                ids: vec![row.id],
                live: false,
            });
        }
    }
}

fn path_of(row: &MessageRow) -> PathBuf {
    PathBuf::from(
        row.file
            .as_ref()
            .and_then(|f| f.path.clone())
            .unwrap_or_default(),
    )
}

/// The SHA-256 of a file (XEP-0300, base64), read in 64 KiB pieces.
async fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut reader = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(Hash::new(Algo::Sha_256, hasher.finalize().to_vec()).to_base64())
}
