//! One Jingle file-transfer session as its task runs it: the IQs it sends, how it ends, and
//! the two directions: offering and sending a file, answering an offer and receiving it. The
//! bytes themselves move in [`super::ibb`] and [`super::socks5`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::FullJid;
use tokio_xmpp::parsers::jingle::{Action, Reason};

use super::{sink, ANSWER_WAIT, IDLE, MAX_UNSIZED};
use crate::features::jingle::{self, FileTransport, IbbParams, Offer, OfferedFile, SessionAction};
use crate::features::s5b::{S5bInfo, S5bTransport};
use crate::features::transfers::{withdrawn_words, Signal};
use crate::store::TransferState;
use crate::*;

/// Why a session stopped early: the state it ends in, the words for it, and the reason told
/// to the other side (`None`: they ended it, nothing to tell).
pub(super) struct End(pub TransferState, pub String, pub Option<Reason>);

impl End {
    pub(super) fn failed(words: impl Into<String>) -> Self {
        Self(
            TransferState::Failed,
            words.into(),
            Some(Reason::FailedApplication),
        )
    }

    /// The other side's session-terminate, before the file was whole.
    pub(super) fn theirs(reason: &str, text: &Option<String>) -> Self {
        let state = match reason {
            "decline" => TransferState::Declined,
            "cancel" => TransferState::Cancelled,
            _ => TransferState::Failed,
        };
        Self(state, withdrawn_words(reason, text), None)
    }

    /// The user stopped it here.
    pub(super) fn cancelled() -> Self {
        Self(
            TransferState::Cancelled,
            "Cancelled.".into(),
            Some(Reason::Cancel),
        )
    }

    /// What a signal that ends the session (a terminate, our cancel) means; `None` for one
    /// that does not.
    pub(super) fn of(signal: &Signal) -> Option<Self> {
        match signal {
            Signal::Session(SessionAction::Terminate { reason, text }) => {
                Some(Self::theirs(reason, text))
            }
            Signal::Cancel => Some(Self::cancelled()),
            _ => None,
        }
    }
}

/// One session's task: the engine, its message, its sid, the other party and the content's
/// name.
pub(super) struct Session<'a> {
    pub(super) engine: &'a Engine,
    pub(super) row: &'a MessageRow,
    pub(super) sid: &'a str,
    pub(super) peer: &'a FullJid,
    pub(super) content: String,
}

impl<'a> Session<'a> {
    pub(super) fn of(engine: &'a Engine, row: &'a MessageRow, offer: &'a Offer) -> Self {
        Self {
            engine,
            row,
            sid: &offer.sid,
            peer: &offer.from,
            content: offer.content.clone(),
        }
    }

    /// Sends an IQ of the session and waits for its answer; a failure ends the session.
    pub(super) async fn request(
        &self,
        iq: Iq,
    ) -> Result<Option<tokio_xmpp::minidom::Element>, End> {
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
    pub(super) async fn transport(
        &self,
        action: Action,
        transport: &FileTransport,
    ) -> Result<(), End> {
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
    pub(super) async fn s5b_info(&self, tsid: &str, info: S5bInfo) -> Result<(), End> {
        let transport = FileTransport::S5b(S5bTransport {
            sid: tsid.to_owned(),
            info,
        });
        self.transport(Action::TransportInfo, &transport).await
    }

    /// Ends the session: done (`Ok(true)` when the other side ended it already; with the
    /// saved path, for a received file) or as `End` says, telling the other side when they
    /// did not end it themselves.
    pub(super) async fn finish(&self, outcome: Result<bool, End>, saved: Option<PathBuf>) {
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
    pub(super) async fn next(
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
    pub(super) async fn send(
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
    pub(super) fn new_ibb(&self) -> IbbParams {
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
    pub(super) async fn receive(
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

    pub(super) async fn receive_into(
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
