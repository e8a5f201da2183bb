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
mod sink;
mod socks5;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_xmpp::parsers::disco::{DiscoInfoQuery, DiscoInfoResult};
use tokio_xmpp::parsers::hashes::{Algo, Hash};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::parsers::jingle::{Action, Reason};

use crate::features::jingle::{self, FileTransport, IbbParams, Offer, OfferedFile, SessionAction};
use crate::features::s5b::{S5bInfo, S5bTransport};
use crate::features::transfers::{withdrawn_words, Signal, Taken};
use crate::store::{NewMessage, Transfer, TransferState};
use crate::*;

/// How long an offer of ours waits for the contact to answer.
const ANSWER_WAIT: Duration = Duration::from_secs(600);
/// Silence after which a transfer under way is given up.
const IDLE: Duration = Duration::from_secs(60);
/// The largest file taken when the offer gives no size.
const MAX_UNSIZED: u64 = 4 * 1024 * 1024 * 1024;

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

    /// The user stopped it here.
    fn cancelled() -> Self {
        Self(
            TransferState::Cancelled,
            "Cancelled.".into(),
            Some(Reason::Cancel),
        )
    }

    /// What a signal that ends the session (a terminate, our cancel) means; `None` for one
    /// that does not.
    fn of(signal: &Signal) -> Option<Self> {
        match signal {
            Signal::Session(SessionAction::Terminate { reason, text }) => {
                Some(Self::theirs(reason, text))
            }
            Signal::Cancel => Some(Self::cancelled()),
            _ => None,
        }
    }
}

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
        let (target, s5b) = self.transfer_target(account_id, &contact).await?;
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
    /// takes SOCKS5 bytestreams too (XEP-0260 §5).
    async fn transfer_target(
        &self,
        account_id: i64,
        contact: &tokio_xmpp::parsers::jid::BareJid,
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

/// One session's task: the engine, its message, its sid, the other party and the content's
/// name.
struct Session<'a> {
    engine: &'a Engine,
    row: &'a MessageRow,
    sid: &'a str,
    peer: &'a FullJid,
    content: String,
}

impl<'a> Session<'a> {
    fn of(engine: &'a Engine, row: &'a MessageRow, offer: &'a Offer) -> Self {
        Self {
            engine,
            row,
            sid: &offer.sid,
            peer: &offer.from,
            content: offer.content.clone(),
        }
    }

    /// Sends an IQ of the session and waits for its answer; a failure ends the session.
    async fn request(&self, iq: Iq) -> Result<Option<tokio_xmpp::minidom::Element>, End> {
        match self.engine.request(self.row.account_id, iq).await {
            Ok(payload) => Ok(payload),
            Err(EngineError::NotConnected) => Err(End(
                TransferState::Failed,
                "The connection was lost, or the other side stopped answering.".into(),
                Some(Reason::ConnectivityError),
            )),
            Err(e) => Err(End(
                TransferState::Failed,
                format!("The other side refused the transfer ({e})."),
                Some(Reason::FailedTransport),
            )),
        }
    }

    /// A transport-info, -replace or -accept of this session's content.
    async fn transport(&self, action: Action, transport: &FileTransport) -> Result<(), End> {
        let iq = jingle::transport_action(
            features::new_id(),
            action,
            self.sid,
            self.peer,
            &self.content,
            transport,
        );
        self.request(iq).await.map(drop)
    }

    /// Tells our S5B outcome (candidate-used, candidate-error, activated, proxy-error).
    async fn s5b_info(&self, tsid: &str, info: S5bInfo) -> Result<(), End> {
        let transport = FileTransport::S5b(S5bTransport {
            sid: tsid.to_owned(),
            info,
        });
        self.transport(Action::TransportInfo, &transport).await
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

    /// Waits for the next signal that is not a stray one, up to `wait`; a terminate or our
    /// cancel ends the session.
    async fn next(
        &self,
        inbox: &mut mpsc::Receiver<Signal>,
        wait: Duration,
    ) -> Result<Signal, End> {
        match tokio::time::timeout(wait, inbox.recv()).await {
            Ok(Some(signal)) => match End::of(&signal) {
                Some(end) => Err(end),
                None => Ok(signal),
            },
            Ok(None) => Err(End::failed("The transfer was stopped.")),
            Err(_) => Err(End(
                TransferState::Failed,
                "The other side stopped answering.".into(),
                Some(Reason::Timeout),
            )),
        }
    }

    /// Offers the file, waits for the answer, then sends it: over SOCKS5 when both take it
    /// and a candidate connects, else over IBB (replacing the transport, XEP-0260 §3).
    async fn send(
        &self,
        me: &FullJid,
        file: &OfferedFile,
        s5b: bool,
        inbox: &mut mpsc::Receiver<Signal>,
        path: PathBuf,
    ) -> Result<bool, End> {
        let ours = if s5b {
            Some(self.engine.s5b_candidates(self.row.account_id, me).await)
        } else {
            None
        };
        let transport = match &ours {
            Some(c) => FileTransport::S5b(S5bTransport {
                sid: features::new_id(),
                info: S5bInfo::Candidates(c.list.clone()),
            }),
            None => FileTransport::Ibb(self.new_ibb()),
        };
        let offer = jingle::initiate(
            features::new_id(),
            self.sid,
            me,
            self.peer,
            file,
            &transport,
        );
        self.request(offer).await?;
        let accepted = loop {
            match self.next(inbox, ANSWER_WAIT).await? {
                Signal::Session(SessionAction::Accept { transport }) => break transport,
                _ => continue,
            }
        };
        self.engine
            .set_transfer(self.row, TransferState::Active, None)
            .await;
        let ibb =
            match (transport, accepted, ours) {
                (FileTransport::S5b(offered), Some(FileTransport::S5b(theirs)), Some(ours)) => {
                    let S5bInfo::Candidates(candidates) = theirs.info else {
                        return Err(End::failed(
                            "The contact's client answered without candidates.",
                        ));
                    };
                    match self
                        .negotiate(true, me, &offered.sid, ours, candidates, inbox)
                        .await?
                    {
                        Some(stream) => return self.send_stream(stream, file, inbox, &path).await,
                        None => {
                            // XEP-0260 §3: no candidate connected; the initiator falls back.
                            let ibb = self.new_ibb();
                            self.engine.inner.transfers.set_stream(
                                self.row.account_id,
                                self.sid,
                                &ibb.sid,
                            );
                            let replace = FileTransport::Ibb(ibb.clone());
                            self.transport(Action::TransportReplace, &replace).await?;
                            loop {
                                match self.next(inbox, IDLE).await? {
                                    Signal::Session(SessionAction::TransportAccept {
                                        transport: Some(FileTransport::Ibb(theirs)),
                                    }) if theirs.sid == ibb.sid => break theirs,
                                    _ => continue,
                                }
                            }
                        }
                    }
                }
                (FileTransport::Ibb(offered), Some(FileTransport::Ibb(theirs)), _)
                    if theirs.sid == offered.sid =>
                {
                    theirs
                }
                _ => return Err(End(
                    TransferState::Failed,
                    "The contact's client answered with a way of sending Linnet does not support."
                        .into(),
                    Some(Reason::UnsupportedTransports),
                )),
            };
        self.send_ibb(&ibb, file, inbox, &path).await
    }

    /// A fresh IBB transport of ours, registered so its packets reach this session.
    fn new_ibb(&self) -> IbbParams {
        let ibb = IbbParams {
            sid: features::new_id(),
            block_size: jingle::BLOCK_SIZE,
        };
        self.engine
            .inner
            .transfers
            .set_stream(self.row.account_id, self.sid, &ibb.sid);
        ibb
    }

    /// Answers `offer` and receives the file into `dir`; returns where it was saved, and
    /// whether the sender ended the session already. `answered` gets the outcome of the
    /// session-accept, for the caller of [`Engine::accept_transfer`].
    async fn receive(
        &self,
        me: &FullJid,
        offer: &Offer,
        inbox: &mut mpsc::Receiver<Signal>,
        dir: &Path,
        answered: tokio::sync::oneshot::Sender<Result<(), EngineError>>,
    ) -> Result<(PathBuf, bool), End> {
        let file = &offer.file;
        let mut sink = sink::Sink::create(self, file, dir, MAX_UNSIZED).await?;
        let result = self
            .receive_into(me, offer, inbox, &mut sink, answered)
            .await;
        sink.keep(result).await
    }

    async fn receive_into(
        &self,
        me: &FullJid,
        offer: &Offer,
        inbox: &mut mpsc::Receiver<Signal>,
        sink: &mut sink::Sink,
        answered: tokio::sync::oneshot::Sender<Result<(), EngineError>>,
    ) -> Result<bool, End> {
        let Some(offered) = offer.transport.clone() else {
            let _ = answered.send(Ok(()));
            return Err(End(
                TransferState::Failed,
                "The sender offered a way of sending Linnet does not support.".into(),
                Some(Reason::UnsupportedTransports),
            ));
        };
        let (ours, answer) = match &offered {
            FileTransport::Ibb(ibb) => {
                let ours = IbbParams {
                    sid: ibb.sid.clone(),
                    block_size: ibb.block_size.min(jingle::BLOCK_SIZE),
                };
                (None, FileTransport::Ibb(ours))
            }
            FileTransport::S5b(theirs) => {
                let ours = self.engine.s5b_candidates(self.row.account_id, me).await;
                let answer = FileTransport::S5b(S5bTransport {
                    sid: theirs.sid.clone(),
                    info: S5bInfo::Candidates(ours.list.clone()),
                });
                (Some(ours), answer)
            }
        };
        let accept = jingle::accept(features::new_id(), offer, me, &answer);
        match self.engine.request(self.row.account_id, accept).await {
            Ok(_) => {
                let _ = answered.send(Ok(()));
            }
            Err(e) => {
                let words = format!("The offer could not be answered ({e}).");
                let _ = answered.send(Err(e));
                return Err(End(TransferState::Failed, words, None));
            }
        }
        self.engine
            .set_transfer(self.row, TransferState::Active, None)
            .await;
        let ibb = match (offered, answer, ours) {
            (FileTransport::S5b(theirs), _, Some(ours)) => {
                let S5bInfo::Candidates(candidates) = theirs.info else {
                    return Err(End::failed("The sender offered no candidates."));
                };
                if let Some(stream) = self
                    .negotiate(false, me, &theirs.sid, ours, candidates, inbox)
                    .await?
                {
                    return self.receive_stream(stream, sink, inbox).await;
                }
                // No candidate connected: the sender replaces the transport with IBB.
                let ibb = loop {
                    match self.next(inbox, IDLE).await? {
                        Signal::Session(SessionAction::TransportReplace {
                            transport: Some(FileTransport::Ibb(ibb)),
                        }) => break ibb,
                        _ => continue,
                    }
                };
                let ours = IbbParams {
                    sid: ibb.sid.clone(),
                    block_size: ibb.block_size.min(jingle::BLOCK_SIZE),
                };
                self.engine
                    .inner
                    .transfers
                    .set_stream(self.row.account_id, self.sid, &ours.sid);
                self.transport(Action::TransportAccept, &FileTransport::Ibb(ours.clone()))
                    .await?;
                ours
            }
            (_, FileTransport::Ibb(ours), _) => ours,
            _ => return Err(End::failed("The transfer could not be set up.")),
        };
        self.receive_ibb(&ibb, sink, inbox).await
    }
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
