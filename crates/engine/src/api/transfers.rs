//! Jingle file transfer (XEP-0166, XEP-0234) over In-Band Bytestreams (XEP-0261, XEP-0047):
//! a file sent straight to a contact's client, without the server keeping a copy, and one a
//! contact offers us. Each session runs in its own task; the account actor hands it the
//! session's stanzas (`features::transfers`). Its message shows the file with the session's
//! state (`file.transfer`), and progress comes as [`EngineEvent::FileProgress`].
//!
//! Sending: the contact's online resources are asked (XEP-0030) which takes Jingle file
//! transfer over IBB; the file's SHA-256 (XEP-0300) is computed, the message stored, and the
//! session offered; once accepted, the file goes in blocks of [`jingle::BLOCK_SIZE`] bytes,
//! each an IQ the other side acknowledges, then the stream closes and the session ends with
//! `success`. Receiving: [`Engine::accept_transfer`] answers the offer and writes the blocks
//! into a hidden `.part` file that becomes the file once whole and matching the sender's
//! hash. Either side may cancel; a declined, cancelled or broken transfer says why.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_xmpp::parsers::disco::{DiscoInfoQuery, DiscoInfoResult};
use tokio_xmpp::parsers::hashes::{Algo, Hash};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::jingle::Reason;

use super::files::{free_path, Progress};
use crate::features::jingle::{self, IbbPacket, IbbParams, OfferedFile, SessionAction};
use crate::features::transfers::{withdrawn_words, Signal, Taken};
use crate::store::{NewMessage, Transfer, TransferState};
use crate::*;

/// How long an offer of ours waits for the contact to answer.
const ANSWER_WAIT: Duration = Duration::from_secs(600);
/// Silence after which a transfer under way is given up.
const IDLE: Duration = Duration::from_secs(60);

/// Why a session stopped early: the state it ends in, the words for it, and the reason told
/// to the other side (`None`: they ended it, nothing to tell).
struct End(TransferState, String, Option<Reason>);

impl End {
    fn failed(words: impl Into<String>) -> Self {
        Self(
            TransferState::Failed,
            words.into(),
            Some(Reason::FailedApplication),
        )
    }

    /// The other side's session-terminate, before the file was whole.
    fn theirs(reason: &str, text: &Option<String>) -> Self {
        let state = match reason {
            "decline" => TransferState::Declined,
            "cancel" => TransferState::Cancelled,
            _ => TransferState::Failed,
        };
        Self(state, withdrawn_words(reason, text), None)
    }
}

impl Engine {
    /// Sends a file from disk straight to contact `to` with Jingle (XEP-0234 over XEP-0261),
    /// to the most available of its resources that takes such transfers. The message is
    /// stored (announced as `MessagesChanged`) with the transfer `offered`; the contact's
    /// answer and the bytes follow in a task. Returns the stored row.
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
        if self
            .inner
            .store
            .conversation_encryption(account_id, &peer)
            .await?
            == Some(true)
        {
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
        let target = self.transfer_target(account_id, &contact).await?;
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
        };
        let row = self
            .inner
            .store
            .insert_message(&NewMessage {
                account_id,
                peer: &peer,
                outgoing: true,
                body: &file.name,
                encryption: "none",
                omemo_device: None,
                stanza_id: None,
                origin_id: None,
                message_id: None,
                at: crate::store::now_ms(),
                state: MessageState::Sent,
                read: true,
                markable: false,
                groupchat: false,
                sender: None,
                occupant_id: None,
                reply: None,
                amend: None,
                file: Some(&file),
            })
            .await?
            .ok_or_else(|| EngineError::File("The file could not be stored.".into()))?;
        self.emit(EngineEvent::MessagesChanged {
            account_id,
            peer,
            ids: vec![row.id],
            live: false,
        });
        let ibb = IbbParams {
            sid: features::new_id(),
            block_size: jingle::BLOCK_SIZE,
        };
        let inbox = self.inner.transfers.open(
            account_id,
            &sid,
            target.clone(),
            row.id,
            Some(ibb.sid.clone()),
        );
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
            };
            let outcome = session
                .send(&me, &offered, &ibb, inbox, path_of(&sending))
                .await;
            session.finish(outcome, None).await;
        });
        Ok(row)
    }

    /// Takes the file offered in message `message_id` and receives it into `dir` under its
    /// name (a free variant when taken). Progress comes as [`EngineEvent::FileProgress`]; the
    /// saved path is set on the message once the whole file arrived and matched the sender's
    /// SHA-256. Returns at once; the transfer runs in a task.
    ///
    /// Errors: [`EngineError::NotFound`] when the message has no offer still open (the sender
    /// withdrew it, or it was answered); [`EngineError::NotConnected`].
    pub async fn accept_transfer(&self, message_id: i64, dir: &Path) -> Result<(), EngineError> {
        let (row, taken, me) = self.open_offer(message_id).await?;
        let Some(ibb) = taken.offer.ibb.clone() else {
            let end = End(
                TransferState::Failed,
                "The sender offered a way of sending Linnet does not support.".into(),
                Some(Reason::UnsupportedTransports),
            );
            let session = Session::of(self, &row, &taken.offer.sid, &taken.offer.from);
            session.finish(Err(end), None).await;
            return Ok(());
        };
        let accept = jingle::accept(features::new_id(), &taken.offer, &me, &ibb);
        self.request(row.account_id, accept).await?;
        self.set_transfer(&row, TransferState::Active, None).await;
        let engine = self.clone();
        let dir = dir.to_owned();
        self.run_transfer(row.id, async move {
            let Taken { offer, inbox } = taken;
            let session = Session::of(&engine, &row, &offer.sid, &offer.from);
            let outcome = session.receive(&offer.file, inbox, &dir).await;
            let saved = outcome.as_ref().ok().map(|(path, _)| path.clone());
            session
                .finish(outcome.map(|(_, theirs)| theirs), saved)
                .await;
        });
        Ok(())
    }

    /// Declines the file offered in message `message_id` (XEP-0166 §6.7 `decline`).
    ///
    /// Errors: as [`Self::accept_transfer`].
    pub async fn decline_transfer(&self, message_id: i64) -> Result<(), EngineError> {
        let (row, taken, _) = self.open_offer(message_id).await?;
        let session = Session::of(self, &row, &taken.offer.sid, &taken.offer.from);
        let end = End(
            TransferState::Declined,
            "Declined.".into(),
            Some(Reason::Decline),
        );
        session.finish(Err(end), None).await;
        Ok(())
    }

    /// Stops a transfer of message `message_id` that is offered or under way, in either
    /// direction: the other side is told (`cancel`) and the message says "Cancelled.".
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
        if let Some(task) = self
            .inner
            .transfer_tasks
            .lock()
            .ok()
            .and_then(|mut t| t.remove(&message_id))
        {
            task.abort();
        }
        let peer = self.inner.transfers.peer(row.account_id, &transfer.sid);
        let end = End(
            TransferState::Cancelled,
            "Cancelled.".into(),
            Some(Reason::Cancel),
        );
        match peer {
            Some(peer) => {
                Session::of(self, &row, &transfer.sid, &peer)
                    .finish(Err(end), None)
                    .await
            }
            None => self.set_transfer(&row, end.0, Some(&end.1)).await,
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
    /// announces Jingle file transfer over IBB (XEP-0030 disco#info of each, in turn).
    async fn transfer_target(
        &self,
        account_id: i64,
        contact: &tokio_xmpp::parsers::jid::BareJid,
    ) -> Result<FullJid, EngineError> {
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
            let query = Iq::from_get(features::new_id(), DiscoInfoQuery { node: None })
                .with_to(Jid::from(full.clone()));
            let Ok(Some(payload)) = self.request(account_id, query).await else {
                continue;
            };
            let Ok(info) = DiscoInfoResult::try_from(payload) else {
                continue;
            };
            if jingle::FEATURES
                .iter()
                .all(|f| info.features.iter().any(|g| g == f))
            {
                return Ok(full);
            }
        }
        Err(EngineError::File(format!(
            "{contact}'s client does not take direct transfers; send the file as an upload."
        )))
    }

    /// Runs a transfer's task, remembered by message row so it can be cancelled.
    fn run_transfer(
        &self,
        message_id: i64,
        work: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let engine = self.clone();
        let task = tokio::spawn(async move {
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

/// One session's task: the engine, its message, its sid and the other party.
struct Session<'a> {
    engine: &'a Engine,
    row: &'a MessageRow,
    sid: &'a str,
    peer: &'a FullJid,
}

impl<'a> Session<'a> {
    fn of(engine: &'a Engine, row: &'a MessageRow, sid: &'a str, peer: &'a FullJid) -> Self {
        Self {
            engine,
            row,
            sid,
            peer,
        }
    }

    async fn request(&self, iq: Iq) -> Result<(), End> {
        match self.engine.request(self.row.account_id, iq).await {
            Ok(_) => Ok(()),
            Err(EngineError::NotConnected) => Err(End(
                TransferState::Failed,
                "The connection was lost during the transfer.".into(),
                None,
            )),
            Err(e) => Err(End(
                TransferState::Failed,
                format!("The other side refused the transfer ({e})."),
                None,
            )),
        }
    }

    /// Ends the session: done (`Ok(true)` when the other side ended it already; with the
    /// saved path, for a received file) or as `End` says, telling the other side when they
    /// did not end it themselves.
    async fn finish(&self, outcome: Result<bool, End>, saved: Option<PathBuf>) {
        let account_id = self.row.account_id;
        let (state, words, tell) = match outcome {
            Ok(true) => (TransferState::Done, None, None),
            Ok(false) => (TransferState::Done, None, Some(Reason::Success)),
            Err(End(state, words, tell)) => (state, Some(words), tell),
        };
        if let Some(reason) = tell {
            let text = words.as_deref().filter(|_| reason != Reason::Success);
            let end = jingle::terminate(features::new_id(), self.sid, self.peer, reason, text);
            // Best effort: a lost connection has ended the session for them too.
            let _ = self
                .engine
                .send_command(account_id, Command::Send(Box::new(end.into())))
                .await;
        }
        self.engine.inner.transfers.close(account_id, self.sid);
        if let Some(path) = saved {
            let _ = self
                .engine
                .inner
                .store
                .set_file_path(self.row.id, &path.to_string_lossy())
                .await;
        }
        self.engine
            .set_transfer(self.row, state, words.as_deref())
            .await;
    }

    /// Offers the file, waits for the answer, then sends it over IBB.
    async fn send(
        &self,
        me: &FullJid,
        file: &OfferedFile,
        ibb: &IbbParams,
        mut inbox: mpsc::UnboundedReceiver<Signal>,
        path: PathBuf,
    ) -> Result<bool, End> {
        let offer = jingle::initiate(features::new_id(), self.sid, me, self.peer, file, ibb);
        self.request(offer).await?;
        // The answer: an accept (with the IBB transport as offered, or a smaller block), or
        // a terminate (declined).
        let block = loop {
            match tokio::time::timeout(ANSWER_WAIT, inbox.recv()).await {
                Ok(Some(Signal::Session(SessionAction::Accept { ibb: Some(theirs) })))
                    if theirs.sid == ibb.sid =>
                {
                    break usize::from(theirs.block_size.clamp(1, ibb.block_size));
                }
                Ok(Some(Signal::Session(SessionAction::Accept { .. }))) => return Err(End(
                    TransferState::Failed,
                    "The contact's client answered with a way of sending Linnet does not support."
                        .into(),
                    Some(Reason::UnsupportedTransports),
                )),
                Ok(Some(Signal::Session(SessionAction::Terminate { reason, text }))) => {
                    return Err(End::theirs(&reason, &text))
                }
                Ok(Some(_)) => continue,
                Ok(None) => return Err(End::failed("The transfer was stopped.")),
                Err(_) => {
                    return Err(End(
                        TransferState::Failed,
                        "No answer from the contact.".into(),
                        Some(Reason::Timeout),
                    ))
                }
            }
        };
        self.engine
            .set_transfer(self.row, TransferState::Active, None)
            .await;
        self.request(jingle::ibb_open(features::new_id(), self.peer, ibb))
            .await?;
        let mut reader = tokio::fs::File::open(&path)
            .await
            .map_err(|e| End::failed(format!("The file can no longer be read ({e}).")))?;
        let total = file.size;
        let mut progress = Progress::new(self.engine, self.row, true, total);
        progress.tell();
        let mut buf = vec![0u8; block];
        let mut seq: u16 = 0;
        loop {
            // The other side may have cancelled meanwhile.
            while let Ok(signal) = inbox.try_recv() {
                if let Signal::Session(SessionAction::Terminate { reason, text }) = signal {
                    return Err(End::theirs(&reason, &text));
                }
            }
            let n = read_block(&mut reader, &mut buf)
                .await
                .map_err(|e| End::failed(format!("The file can no longer be read ({e}).")))?;
            if n == 0 {
                break;
            }
            let data = jingle::ibb_data(
                features::new_id(),
                self.peer,
                &ibb.sid,
                seq,
                buf[..n].to_vec(),
            );
            self.request(data).await?;
            seq = seq.wrapping_add(1);
            progress.add(n as u64);
        }
        self.request(jingle::ibb_close(features::new_id(), self.peer, &ibb.sid))
            .await?;
        // The receiver checks the file and ends the session; or we do after a while.
        match tokio::time::timeout(IDLE, async {
            loop {
                match inbox.recv().await {
                    Some(Signal::Session(SessionAction::Terminate { reason, text })) => {
                        break Some((reason, text))
                    }
                    Some(_) => continue,
                    None => break None,
                }
            }
        })
        .await
        {
            Ok(Some((reason, _))) if reason == "success" => Ok(true),
            Ok(Some((reason, text))) => Err(End::theirs(&reason, &text)),
            Ok(None) | Err(_) => Ok(false),
        }
    }

    /// Receives the file over IBB into `dir`; returns where it was saved, and whether the
    /// sender ended the session already.
    async fn receive(
        &self,
        file: &OfferedFile,
        mut inbox: mpsc::UnboundedReceiver<Signal>,
        dir: &Path,
    ) -> Result<(PathBuf, bool), End> {
        let name = features::files::safe_name(file.name.as_deref().unwrap_or("file"));
        tokio::fs::create_dir_all(dir).await.map_err(|e| {
            End::failed(format!(
                "The folder {} is not writable ({e}).",
                dir.display()
            ))
        })?;
        let part = dir.join(format!(".{name}.{}.part", self.row.id));
        let result = self.receive_into(file, &mut inbox, &part).await;
        let saved = match result {
            Ok(theirs) => {
                let dir = dir.to_owned();
                let from = part.clone();
                tokio::task::spawn_blocking(move || {
                    let to = free_path(&dir, &name);
                    std::fs::rename(&from, &to).map(|()| (to, theirs))
                })
                .await
                .map_err(|e| End::failed(format!("Saving the file failed: {e}.")))
                .and_then(|r| {
                    r.map_err(|e| End::failed(format!("The file could not be saved: {e}.")))
                })
            }
            Err(end) => Err(end),
        };
        if saved.is_err() {
            let _ = tokio::fs::remove_file(&part).await;
        }
        saved
    }

    async fn receive_into(
        &self,
        file: &OfferedFile,
        inbox: &mut mpsc::UnboundedReceiver<Signal>,
        part: &Path,
    ) -> Result<bool, End> {
        let mut out = tokio::fs::File::create(part)
            .await
            .map_err(|e| End::failed(format!("The file could not be written ({e}).")))?;
        let mut progress = Progress::new(self.engine, self.row, false, file.size);
        progress.tell();
        let mut hasher = Sha256::new();
        let mut received: u64 = 0;
        let mut expected: u16 = 0;
        let damaged = |words: &str| {
            End(
                TransferState::Failed,
                words.to_owned(),
                Some(Reason::MediaError),
            )
        };
        let theirs = loop {
            let signal = match tokio::time::timeout(IDLE, inbox.recv()).await {
                Ok(Some(signal)) => signal,
                Ok(None) => return Err(End::failed("The transfer was stopped.")),
                Err(_) => {
                    return Err(End(
                        TransferState::Failed,
                        "The sender stopped sending.".into(),
                        Some(Reason::Timeout),
                    ))
                }
            };
            match signal {
                Signal::Ibb(IbbPacket::Open { .. }) | Signal::Session(SessionAction::Other) => {}
                Signal::Session(SessionAction::Accept { .. }) => {}
                Signal::Ibb(IbbPacket::Data { seq, data, .. }) => {
                    if seq != expected {
                        return Err(damaged("Part of the file went missing on the way."));
                    }
                    expected = expected.wrapping_add(1);
                    received += data.len() as u64;
                    if file.size.is_some_and(|size| received > size) {
                        return Err(damaged("The sender sent more than the file's size."));
                    }
                    hasher.update(&data);
                    out.write_all(&data).await.map_err(|e| {
                        End::failed(format!("The file could not be written ({e})."))
                    })?;
                    progress.add(data.len() as u64);
                }
                Signal::Ibb(IbbPacket::Close { .. }) => break false,
                Signal::Session(SessionAction::Terminate { reason, text }) => {
                    if reason == "success" && file.size == Some(received) {
                        break true;
                    }
                    return Err(End::theirs(&reason, &text));
                }
            }
        };
        out.flush()
            .await
            .map_err(|e| End::failed(format!("The file could not be written ({e}).")))?;
        if file.size.is_some_and(|size| size != received) {
            return Err(damaged("The file arrived incomplete."));
        }
        let digest = Hash::new(Algo::Sha_256, hasher.finalize().to_vec()).to_base64();
        if file.sha256.as_ref().is_some_and(|want| *want != digest) {
            return Err(damaged(
                "The file arrived damaged: its checksum differs from the sender's.",
            ));
        }
        Ok(theirs)
    }
}

/// Fills `buf` as far as the file goes; returns the bytes read (0 at its end).
async fn read_block(reader: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = reader.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
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
