//! The bytes of a Jingle file transfer over In-Band Bytestreams (XEP-0261, XEP-0047): blocks
//! as IQs, a few in flight at once (each acknowledged, in order), read back in sequence.

use std::path::Path;

use futures::stream::{FuturesOrdered, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_xmpp::parsers::jingle::Reason;

use super::sink::Sink;
use super::{End, Session, IDLE};
use crate::api::files::Progress;
use crate::features::jingle::{self, IbbPacket, IbbParams, OfferedFile, SessionAction};
use crate::features::new_id;
use crate::features::transfers::Signal;
use crate::store::TransferState;

/// Blocks sent before the first is acknowledged (XEP-0047 §2.2 lets a sender go on; the
/// stream keeps them in order).
const WINDOW: usize = 8;

impl Session<'_> {
    /// Sends the file over the IBB stream `ibb` (opened here, closed at the end), then waits
    /// for the receiver to end the session. `Ok(true)`: they ended it with success.
    pub(super) async fn send_ibb(
        &self,
        ibb: &IbbParams,
        file: &OfferedFile,
        inbox: &mut mpsc::Receiver<Signal>,
        path: &Path,
    ) -> Result<bool, End> {
        self.request(jingle::ibb_open(new_id(), self.peer, ibb))
            .await?;
        let mut reader = tokio::fs::File::open(path)
            .await
            .map_err(|e| End::failed(format!("The file can no longer be read ({e}).")))?;
        let mut progress = Progress::new(self.engine, self.row, true, file.size);
        progress.tell();
        let block = usize::from(ibb.block_size.max(1));
        let mut seq: u16 = 0;
        let mut at_end = false;
        let mut in_flight = FuturesOrdered::new();
        loop {
            while !at_end && in_flight.len() < WINDOW {
                let mut buf = vec![0u8; block];
                let n = read_block(&mut reader, &mut buf)
                    .await
                    .map_err(|e| End::failed(format!("The file can no longer be read ({e}).")))?;
                if n == 0 {
                    at_end = true;
                    break;
                }
                buf.truncate(n);
                let data = jingle::ibb_data(new_id(), self.peer, &ibb.sid, seq, buf);
                seq = seq.wrapping_add(1);
                in_flight.push_back(async move { (n, self.request(data).await) });
            }
            // The other side (or the user) may have stopped it meanwhile.
            while let Ok(signal) = inbox.try_recv() {
                if let Some(end) = End::of(&signal) {
                    return Err(end);
                }
            }
            let Some((n, acked)) = in_flight.next().await else {
                break;
            };
            acked?;
            progress.add(n as u64);
        }
        self.request(jingle::ibb_close(new_id(), self.peer, &ibb.sid))
            .await?;
        self.await_end(inbox).await
    }

    /// After the last byte went: the receiver checks the file and ends the session (or we do
    /// after a while). `Ok(true)`: they ended it with success.
    pub(super) async fn await_end(&self, inbox: &mut mpsc::Receiver<Signal>) -> Result<bool, End> {
        loop {
            match tokio::time::timeout(IDLE, inbox.recv()).await {
                Ok(Some(Signal::Session(SessionAction::Terminate { reason, .. })))
                    if reason == "success" =>
                {
                    return Ok(true)
                }
                Ok(Some(signal)) => match End::of(&signal) {
                    Some(end) => return Err(end),
                    None => continue,
                },
                Ok(None) | Err(_) => return Ok(false),
            }
        }
    }

    /// Receives the IBB stream `ibb` into `sink`: blocks in sequence, none larger than the
    /// block size agreed. `Ok(true)`: the sender ended the session once all had come.
    pub(super) async fn receive_ibb(
        &self,
        ibb: &IbbParams,
        sink: &mut Sink,
        inbox: &mut mpsc::Receiver<Signal>,
    ) -> Result<bool, End> {
        let damaged = |words: &str| {
            End(
                TransferState::Failed,
                words.to_owned(),
                Some(Reason::MediaError),
            )
        };
        let mut expected: u16 = 0;
        loop {
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
                Signal::Ibb(IbbPacket::Data { seq, data, .. }) => {
                    if seq != expected {
                        return Err(damaged("Part of the file went missing on the way."));
                    }
                    if data.len() > usize::from(ibb.block_size) {
                        return Err(damaged("The sender sent blocks larger than agreed."));
                    }
                    expected = expected.wrapping_add(1);
                    sink.write(&data).await?;
                }
                Signal::Ibb(IbbPacket::Close { .. }) => return Ok(false),
                Signal::Session(SessionAction::Terminate { reason, .. })
                    if reason == "success" && sink.whole() =>
                {
                    return Ok(true)
                }
                other => {
                    if let Some(end) = End::of(&other) {
                        return Err(end);
                    }
                }
            }
        }
    }
}

/// Fills `buf` as far as the file goes; returns the bytes read (0 at its end).
pub(super) async fn read_block(
    reader: &mut tokio::fs::File,
    buf: &mut [u8],
) -> std::io::Result<usize> {
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
