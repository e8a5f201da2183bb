//! A tap on the transport: the last bytes read from the server, kept so that a
//! `<stream:error/>` tokio-xmpp's stanza stream swallows (RFC 6120 §4.9) can still be told to
//! the user, and a quick ACK after each read (TCP_QUICKACK on Linux).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Last bytes read from the server, to recover a stream error the stanza stream swallows.
#[derive(Debug, Clone, Default)]
pub struct StreamTap(Arc<Mutex<VecDeque<u8>>>);

const TAP_CAPACITY: usize = 4096;

impl StreamTap {
    fn record(&self, bytes: &[u8]) {
        if let Ok(mut buf) = self.0.lock() {
            buf.extend(bytes);
            let excess = buf.len().saturating_sub(TAP_CAPACITY);
            buf.drain(..excess);
        }
    }

    /// Takes the defined condition of a `<stream:error>` among the last bytes read, if any
    /// (RFC 6120 §4.9.3), and clears the tap.
    pub fn take_stream_error(&self) -> Option<String> {
        let bytes: Vec<u8> = match self.0.lock() {
            Ok(mut buf) => buf.drain(..).collect(),
            Err(_) => return None,
        };
        let text = String::from_utf8_lossy(&bytes);
        let start = text.rfind("<stream:error")?;
        let end = text[start..].find("</stream:error>")? + start + "</stream:error>".len();
        // Parse the fragment with minidom inside a root that declares the stream prefix.
        let wrapped = format!(
            "<w xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>{}</w>",
            &text[start..end]
        );
        let root: minidom::Element = wrapped.parse().ok()?;
        let error = root.children().next()?;
        error
            .children()
            .find(|c| c.ns() == "urn:ietf:params:xml:ns:xmpp-streams" && c.name() != "text")
            .map(|c| c.name().to_owned())
    }
}

/// A transport wrapper that copies every byte read into a [`StreamTap`].
pub(crate) struct Tapped<S> {
    pub(crate) inner: S,
    pub(crate) tap: StreamTap,
}

/// Something to do on the socket after each read.
trait AfterRead {
    fn after_read(&self) {}
}

impl AfterRead for tokio_rustls::client::TlsStream<TcpStream> {
    /// Acknowledge at once (TCP_QUICKACK, Linux). Servers that keep Nagle's algorithm on
    /// (Prosody's default) hold back the tail of an answer until our ACK; a delayed ACK then
    /// adds ~40 ms to every round trip, e.g. each page of a MAM catch-up (XEP-0313). The flag
    /// does not stick, so it is set again after every read. A failure only costs speed.
    fn after_read(&self) {
        #[cfg(target_os = "linux")]
        {
            let _ = socket2::SockRef::from(self.get_ref().0).set_tcp_quickack(true);
        }
    }
}

impl<S: AsyncRead + AfterRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            self.inner.after_read();
            let tap = self.tap.clone();
            tap.record(&buf.filled()[before..]);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
