//! SASL2 login (XEP-0388) with FAST tokens (XEP-0484), used when the server offers
//! `<authentication xmlns='urn:xmpp:sasl:2'/>`.
//!
//! A login with a stored token is one round trip and needs no password; a login with the
//! password asks for a token (bound to the exporter where the server offers
//! `HT-SHA-256-EXPR`). The server may hand out a new token on any success (rotation); the
//! caller stores it. Resource binding and stream management stay with tokio-xmpp after
//! the login (legacy bind, XEP-0198): its stanza stream takes only unbound streams, so
//! Bind2 (XEP-0386) is not requested.

use std::collections::BTreeSet;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::sasl::client::Mechanism;
use futures::SinkExt;
use minidom::Element;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};
use tokio_xmpp::parsers::fast::{FastQuery, FastResponse, RequestToken, Token};
use tokio_xmpp::parsers::sasl2::{Authenticate, Authentication, Success, UserAgent};
use tokio_xmpp::parsers::sasl_cb;
use tokio_xmpp::parsers::stream_features::StreamFeatures;
use tokio_xmpp::xmlstream::XmlStream;

use super::connector::ConnectError;
use super::sasl::{
    self, can_bind, choose, exchange, next_element, FastToken, HashedToken, LoginPolicy, Profile,
    TlsBinding,
};

/// What a login may use.
pub(crate) struct Secrets<'a> {
    /// The account's local part (SASL authcid).
    pub username: &'a str,
    pub password: Option<&'a str>,
    pub token: Option<&'a FastToken>,
    /// This installation's XEP-0388 user-agent id, which FAST tokens are bound to.
    pub client_id: uuid::Uuid,
    pub policy: LoginPolicy,
    /// Log in with the token only to have the server forget it (XEP-0484 `invalidate`).
    pub invalidate: bool,
}

/// What a SASL2 login gave.
pub(crate) struct Sasl2Outcome {
    /// The stream features sent after success (no stream restart in SASL2).
    pub features: StreamFeatures,
    /// A token the server issued or rotated; store it in place of the old one.
    pub new_token: Option<FastToken>,
    /// The mechanism that logged in.
    pub mechanism: String,
    pub round_trips: u32,
}

/// The FAST mechanisms the server offers inside `<authentication/>` (XEP-0484 §2).
fn fast_mechanisms(auth: &Authentication) -> Option<Vec<String>> {
    let inline = auth.inline.as_ref()?;
    inline.payloads.iter().find_map(|p| {
        FastQuery::try_from(p.clone())
            .ok()
            .map(|q| q.mechanisms.into_iter().map(|m| m.0).collect())
    })
}

/// Logs in over SASL2: with the token when it fits what the server offers, else with the
/// password (asking for a token when FAST is offered).
///
/// Errors: [`ConnectError::TokenRefused`] when the server refused the token (drop it, try
/// the password); [`ConnectError::NoCredentials`] without a password or a usable token;
/// the errors of [`sasl::choose`] and [`sasl::exchange`].
pub(crate) async fn login<Io>(
    stream: &mut XmlStream<Io, Element>,
    auth: &Authentication,
    cb_types: Option<&[sasl_cb::Type]>,
    binding: &TlsBinding,
    secrets: &Secrets<'_>,
) -> Result<Sasl2Outcome, ConnectError>
where
    Io: AsyncBufRead + AsyncWrite + Unpin,
{
    let fast = fast_mechanisms(auth).unwrap_or_default();
    let usable_token = secrets
        .token
        .filter(|t| fast.contains(&t.mechanism))
        .and_then(|t| HashedToken::new(t, secrets.username, binding).ok());
    let mut payloads: Vec<Element> = Vec::new();
    let mut requested: Option<String> = None;
    let (mut mechanism, with_token): (Box<dyn Mechanism + Send>, bool) =
        match (usable_token, secrets.password) {
            (Some(token), _) => {
                payloads.push(
                    FastResponse {
                        count: 0,
                        invalidate: secrets.invalidate,
                    }
                    .into(),
                );
                (Box::new(token), true)
            }
            (None, Some(password)) if !secrets.invalidate => {
                let offered: BTreeSet<String> = auth.mechanisms.iter().cloned().collect();
                let bindable = can_bind(binding, cb_types);
                let choice = choose(&offered, bindable, secrets.policy)?;
                let ht = if bindable && fast.iter().any(|m| m == "HT-SHA-256-EXPR") {
                    Some("HT-SHA-256-EXPR")
                } else if fast.iter().any(|m| m == "HT-SHA-256-NONE") {
                    Some("HT-SHA-256-NONE")
                } else {
                    None
                };
                if let Some(ht) = ht {
                    payloads.push(
                        RequestToken {
                            mechanism: ht.to_owned(),
                        }
                        .into(),
                    );
                    requested = Some(ht.to_owned());
                }
                (
                    sasl::mechanism(choice, secrets.username, password, binding, &offered)?,
                    false,
                )
            }
            _ => return Err(ConnectError::NoCredentials),
        };
    let name = mechanism.name().to_owned();
    let initial = mechanism.initial();
    let authenticate = Authenticate {
        mechanism: name.clone(),
        initial_response: Some(initial.clone()),
        user_agent: UserAgent {
            id: secrets.client_id,
            software: Some("Linnet".into()),
            device: None,
        },
        payloads,
    };
    stream
        .send(&authenticate)
        .await
        .map_err(|e| ConnectError::Network(e.to_string()))?;
    let offered = sasl::advertised(&auth.mechanisms, cb_types);
    let exchanged = match exchange(
        stream,
        Profile::Sasl2,
        mechanism.as_mut(),
        &initial,
        &offered,
    )
    .await
    {
        Err(ConnectError::Auth(why)) if with_token => return Err(ConnectError::TokenRefused(why)),
        other => other?,
    };
    let success = Success::try_from(exchanged.success).map_err(|e| {
        ConnectError::Policy(format!("the server's login success did not parse: {e}"))
    })?;
    let new_token = success.payloads.into_iter().find_map(|p| {
        Token::try_from(p).ok().map(|t| FastToken {
            mechanism: requested.clone().unwrap_or_else(|| name.clone()),
            token: t.token,
            expiry: t.expiry.0.to_rfc3339(),
        })
    });
    // No restart: the features of the authenticated stream follow the success.
    let features = next_element(stream).await?;
    let features = StreamFeatures::try_from(features).map_err(|e| {
        ConnectError::Stream(format!(
            "the stream features after login did not parse: {e}"
        ))
    })?;
    Ok(Sasl2Outcome {
        features,
        new_token,
        mechanism: name,
        round_trips: exchanged.round_trips,
    })
}

/// The header [`Restream`] answers with: what every XMPP server sends, without addresses.
const LOCAL_HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

/// Hands a stream that SASL2 authenticated, which has no restart, to tokio-xmpp's stanza
/// stream. tokio-xmpp builds an XML stream of its own element type only by opening a
/// stream, so that opening is answered here: until the local header has been read, what
/// tokio-xmpp writes (its own header) is dropped instead of sent, and reads give
/// [`LOCAL_HEADER`]; after that, bytes pass through both ways. Bytes the XML parser had
/// read past the features would be lost; the server sends none before our next stanza
/// (RFC 6120 §7: the client binds first), which the SASL2 test shows against Prosody.
pub(crate) struct Restream<Io> {
    inner: Io,
    header_left: &'static [u8],
}

impl<Io> Restream<Io> {
    pub fn new(inner: Io) -> Self {
        Restream {
            inner,
            header_left: LOCAL_HEADER,
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for Restream<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.header_left.is_empty() {
            let n = self.header_left.len().min(buf.remaining());
            buf.put_slice(&self.header_left[..n]);
            self.header_left = &self.header_left[n..];
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<Io: AsyncBufRead + Unpin> AsyncBufRead for Restream<Io> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if !this.header_left.is_empty() {
            return Poll::Ready(Ok(this.header_left));
        }
        Pin::new(&mut this.inner).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amount: usize) {
        if !self.header_left.is_empty() {
            let n = amount.min(self.header_left.len());
            self.header_left = &self.header_left[n..];
            return;
        }
        Pin::new(&mut self.inner).consume(amount)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Restream<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if !self.header_left.is_empty() {
            // tokio-xmpp's own stream header, which the server must not see.
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.header_left.is_empty() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
