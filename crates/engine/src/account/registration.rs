//! The connection an in-band registration (XEP-0077 §3.1) runs on: TLS verified, no login. The
//! form is asked for and later submitted on the same stream (a CAPTCHA's challenge, XEP-0158,
//! belongs to it), so the open stream waits here, under a session name, while the user fills
//! the form in; it is dropped after [`FORM_LIFETIME`].

use std::collections::HashMap;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::stanza_error::StanzaError;
use tokio_xmpp::xmlstream::{FallibleStreamElement, ReadError, Timeouts, XmppStreamElement};
use tokio_xmpp::Stanza;

use super::connector::{
    open_stream, ConnectError, ConnectTarget, OpenStream, StreamTap, TrustRoots,
};
use crate::error::EngineError;
use crate::features::register::Shape;

/// How long a fetched sign-up form stays submittable.
pub(crate) const FORM_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// How long the server has to answer one registration IQ.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// A sign-up form's open stream and what its submission needs.
pub(crate) struct OpenForm {
    pub target: ConnectTarget,
    pub shape: Shape,
    pub stream: OpenStream,
    pub opened: Instant,
}

/// Open sign-up forms by session name.
#[derive(Default)]
pub(crate) struct Registrations(tokio::sync::Mutex<HashMap<String, OpenForm>>);

impl Registrations {
    /// Keeps `form` under `session`, dropping forms older than [`FORM_LIFETIME`].
    pub async fn keep(&self, session: String, form: OpenForm) {
        let mut open = self.0.lock().await;
        open.retain(|_, f| f.opened.elapsed() < FORM_LIFETIME);
        open.insert(session, form);
    }

    /// Drops the form kept under `session`, closing its connection (nothing when unknown).
    pub async fn drop_form(&self, session: &str) {
        self.0.lock().await.remove(session);
    }

    /// Takes the form kept under `session`, unless it expired.
    pub async fn take(&self, session: &str) -> Option<OpenForm> {
        let form = self.0.lock().await.remove(session)?;
        (form.opened.elapsed() < FORM_LIFETIME).then_some(form)
    }
}

/// Words for a failed connection, as the sign-up screen shows them.
fn words(e: ConnectError) -> EngineError {
    EngineError::Network(match e {
        ConnectError::Certificate(info) => format!(
            "The server's certificate is not trusted ({}), so Linnet did not send anything.",
            info.reason
        ),
        ConnectError::Network(e) => format!("Could not reach the server: {e}"),
        other => other.to_string(),
    })
}

/// Connects to `target`'s server inside verified TLS, without logging in (RFC 6120 §5).
///
/// Errors: [`EngineError::Network`] in words (unreachable, untrusted certificate, no TLS).
pub(crate) async fn connect(
    target: &ConnectTarget,
    roots: &TrustRoots,
) -> Result<OpenStream, EngineError> {
    let opened = open_stream::<FallibleStreamElement>(
        target,
        roots,
        &[],
        &StreamTap::default(),
        Timeouts::default(),
    )
    .await
    .map_err(words)?;
    Ok(opened.stream)
}

/// Sends `iq` on `stream` and waits (up to 20 s) for its answer: the result's payload, or the
/// server's stanza error. Other stanzas before it are skipped.
///
/// Errors: [`EngineError::Network`] when the stream fails, closes or the answer is late.
pub(crate) async fn exchange(
    stream: &mut OpenStream,
    iq: Iq,
) -> Result<Result<Option<Element>, StanzaError>, EngineError> {
    let id = iq.id().to_owned();
    let lost =
        |e: String| EngineError::Network(format!("The connection to the server failed: {e}"));
    stream
        .send(&XmppStreamElement::Stanza(Stanza::Iq(iq)))
        .await
        .map_err(|e| lost(e.to_string()))?;
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next())
            .await
            .map_err(|_| lost("the server did not answer in time".into()))?;
        match next.map(|v| v.and_then(|v| v.into_read_error())) {
            Some(Ok(XmppStreamElement::Stanza(Stanza::Iq(answer)))) if answer.id() == id => {
                return Ok(match answer {
                    Iq::Result { payload, .. } => Ok(payload),
                    Iq::Error { error, .. } => Err(error),
                    Iq::Get { .. } | Iq::Set { .. } => continue,
                });
            }
            Some(Ok(_)) | Some(Err(ReadError::SoftTimeout)) => (),
            Some(Err(ReadError::ParseError(e))) => {
                tracing::debug!("skipped an unreadable element during registration: {e}");
            }
            Some(Err(ReadError::HardError(e))) => return Err(lost(e.to_string())),
            None | Some(Err(ReadError::StreamFooterReceived)) => {
                return Err(lost("the server closed the connection".into()))
            }
        }
    }
}
