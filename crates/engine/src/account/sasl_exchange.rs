//! The SASL exchange itself, for legacy SASL (RFC 6120 §6.4) and SASL2 (XEP-0388 §2): the
//! challenges answered by a [`Mechanism`] that [`super::sasl`] chose, the server's answers
//! checked (SCRAM nonce and iterations, the server signature or token proof), failures and
//! stream errors turned into [`ConnectError`]s.

use ::sasl::client::Mechanism;
use futures::{SinkExt, StreamExt};
use minidom::Element;
use tokio::io::{AsyncBufRead, AsyncWrite};
use tokio_xmpp::parsers::sasl as xsasl;
use tokio_xmpp::parsers::{ns, sasl2};
use tokio_xmpp::xmlstream::{ReadError, XmlStream, XmppStreamElement};

use super::connector::ConnectError;

/// Which SASL profile an exchange speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// RFC 6120 §6, namespace `urn:ietf:params:xml:ns:xmpp-sasl`.
    Legacy,
    /// XEP-0388, namespace `urn:xmpp:sasl:2`.
    Sasl2,
}

/// The most PBKDF2 iterations a server may ask for: beyond this a hostile server could keep
/// the client busy for minutes (OWASP's 2023 figure for SHA-256 is 600,000).
const MAX_ITERATIONS: u64 = 1_000_000;

/// The fewest iterations accepted (RFC 7677 §4 and RFC 5802 §5.1: at least 4096).
const MIN_ITERATIONS: u64 = 4096;

/// What the server advertised before the login: its mechanisms (of the profile in use) and,
/// when it sent XEP-0440's list, its channel-binding types.
#[derive(Debug, Clone, Default)]
pub(crate) struct Advertised {
    pub mechanisms: Vec<String>,
    pub channel_bindings: Option<Vec<String>>,
}

impl Advertised {
    /// The XEP-0474 §5.1 downgrade-protection hash (base64) with the SCRAM mechanism's hash:
    /// the mechanisms sorted (octet order) and joined by U+001E, then, if XEP-0440 was used,
    /// U+001F and the channel-binding types sorted and joined the same way.
    pub fn ssdp_hash(&self, sha256: bool) -> String {
        use base64::Engine as _;
        use sha2::Digest as _;
        let mut mechanisms = self.mechanisms.clone();
        mechanisms.sort();
        let mut text = mechanisms.join("\u{1e}");
        if let Some(types) = &self.channel_bindings {
            let mut types = types.clone();
            types.sort();
            text.push('\u{1f}');
            text.push_str(&types.join("\u{1e}"));
        }
        let digest = if sha256 {
            sha2::Sha256::digest(text.as_bytes()).to_vec()
        } else {
            sha1::Sha1::digest(text.as_bytes()).to_vec()
        };
        base64::engine::general_purpose::STANDARD.encode(digest)
    }
}

/// Checks a SCRAM server-first-message against our client-first-message: the nonce extends
/// ours (RFC 5802 §5.1 `r`), the iteration count is sane, and the XEP-0474 `h` attribute,
/// when the server sends one, matches what it `advertised` (else someone changed the offer).
pub(crate) fn check_server_first(
    initial: &[u8],
    challenge: &[u8],
    mechanism: &str,
    advertised: &Advertised,
) -> Result<(), ConnectError> {
    let text = String::from_utf8_lossy(challenge);
    let field = |msg: &str, key: &str| -> Option<String> {
        msg.split(',')
            .find_map(|part| part.strip_prefix(key).map(str::to_owned))
    };
    let ours = String::from_utf8_lossy(initial);
    let tampered = |why: &str| {
        ConnectError::Tampered(format!("The server's login answer is not valid SCRAM ({why}), so Linnet stopped before sending anything derived from the password."))
    };
    let client_nonce = field(&ours, "r=").ok_or_else(|| tampered("no client nonce"))?;
    let server_nonce = field(&text, "r=").ok_or_else(|| tampered("no nonce"))?;
    if !server_nonce.starts_with(&client_nonce) || server_nonce.len() == client_nonce.len() {
        return Err(tampered("its nonce does not extend ours"));
    }
    let iterations: u64 = field(&text, "i=")
        .and_then(|i| i.parse().ok())
        .ok_or_else(|| tampered("no iteration count"))?;
    if iterations > MAX_ITERATIONS {
        return Err(tampered("it asks for more than a million iterations"));
    }
    if iterations < MIN_ITERATIONS {
        return Err(tampered("it asks for fewer than 4096 iterations"));
    }
    if let Some(hash) = field(&text, "h=") {
        let sha256 = mechanism.starts_with("SCRAM-SHA-256");
        if hash != advertised.ssdp_hash(sha256) {
            return Err(ConnectError::Tampered(
                "The login methods this server offered were changed on the way (XEP-0474 \
                 downgrade protection). Someone may be intercepting the connection, so Linnet \
                 stopped before sending anything derived from the password."
                    .into(),
            ));
        }
    }
    Ok(())
}

/// What a finished exchange gives: the `<success/>` element (SASL2 carries tokens and the
/// authorization identifier in it) and the number of round trips it took.
pub(crate) struct Exchanged {
    pub success: Element,
    pub round_trips: u32,
}

/// Runs the challenge/response part of an exchange whose first element (`<auth/>` or
/// `<authenticate/>` with `initial`) was already sent, until the server's success, which
/// is verified (SCRAM server signature, HT responder hash): RFC 6120 §6.4, XEP-0388 §2.
///
/// Errors: [`ConnectError::Auth`] on `<failure/>` (its condition and text);
/// [`ConnectError::Tampered`] when the server's proof is wrong or missing;
/// [`ConnectError::Network`]/[`ConnectError::Stream`] when the stream breaks.
pub(crate) async fn exchange<Io>(
    stream: &mut XmlStream<Io, Element>,
    profile: Profile,
    mechanism: &mut (dyn Mechanism + Send),
    initial: &[u8],
    advertised: &Advertised,
) -> Result<Exchanged, ConnectError>
where
    Io: AsyncBufRead + AsyncWrite + Unpin,
{
    let scram = mechanism.name().starts_with("SCRAM-");
    let namespace = match profile {
        Profile::Legacy => ns::SASL,
        Profile::Sasl2 => ns::SASL2,
    };
    let mut challenges = 0u32;
    let mut verified = false;
    let mut round_trips = 1u32;
    loop {
        let element = next_element(stream).await?;
        if element.ns() != namespace {
            return Err(ConnectError::Policy(format!(
                "the server sent <{}/> in the middle of the login",
                element.name()
            )));
        }
        match element.name() {
            "challenge" => {
                let data = challenge_data(profile, element)?;
                challenges += 1;
                let response = if scram && challenges == 1 {
                    check_server_first(initial, &data, mechanism.name(), advertised)?;
                    mechanism.response(&data).map_err(|e| {
                        ConnectError::Tampered(format!(
                            "The server's SCRAM challenge is not valid ({e})."
                        ))
                    })?
                } else if scram && challenges == 2 {
                    // Server-final in a challenge, then an empty success (RFC 6120 §6.4.6).
                    verify(mechanism, &data)?;
                    verified = true;
                    Vec::new()
                } else {
                    mechanism
                        .response(&data)
                        .map_err(|e| ConnectError::Policy(format!("the login went wrong: {e}")))?
                };
                send_response(stream, profile, response).await?;
                round_trips += 1;
            }
            "success" => {
                let data = success_data(profile, &element)?;
                match data {
                    Some(data) if !data.is_empty() => verify(mechanism, &data)?,
                    _ if verified || mechanism.name() == "PLAIN" => (),
                    _ => verify(mechanism, &[])?,
                }
                return Ok(Exchanged {
                    success: element,
                    round_trips,
                });
            }
            "failure" => return Err(failure(element)),
            "continue" => {
                return Err(ConnectError::Policy(
                    "the server asks for a further login step (SASL2 task) Linnet does not \
                     support"
                        .into(),
                ))
            }
            other => {
                return Err(ConnectError::Policy(format!(
                    "the server sent <{other}/> in the middle of the login"
                )))
            }
        }
    }
}

pub(crate) fn verify(
    mechanism: &mut (dyn Mechanism + Send),
    data: &[u8],
) -> Result<(), ConnectError> {
    mechanism.success(data).map_err(|e| {
        ConnectError::Tampered(format!(
            "The server accepted the login but could not prove it knows the account ({e}). \
             Someone may be impersonating the server, so Linnet disconnected."
        ))
    })
}

fn malformed(e: impl std::fmt::Display) -> ConnectError {
    ConnectError::Policy(format!("the server's login answer did not parse: {e}"))
}

fn challenge_data(profile: Profile, element: Element) -> Result<Vec<u8>, ConnectError> {
    Ok(match profile {
        Profile::Legacy => xsasl::Challenge::try_from(element).map_err(malformed)?.data,
        Profile::Sasl2 => {
            sasl2::Challenge::try_from(element)
                .map_err(malformed)?
                .sasl_data
        }
    })
}

fn success_data(profile: Profile, element: &Element) -> Result<Option<Vec<u8>>, ConnectError> {
    Ok(match profile {
        Profile::Legacy => Some(
            xsasl::Success::try_from(element.clone())
                .map_err(malformed)?
                .data,
        ),
        Profile::Sasl2 => {
            sasl2::Success::try_from(element.clone())
                .map_err(malformed)?
                .additional_data
        }
    })
}

/// The failure's defined condition (RFC 6120 §6.5, in either profile's namespace) and
/// text, for [`ConnectError::Auth`].
fn failure(element: Element) -> ConnectError {
    let condition = element
        .children()
        .find(|c| c.name() != "text")
        .map(|c| c.name().to_owned())
        .unwrap_or_else(|| "not-authorized".into());
    let text = element
        .children()
        .find(|c| c.name() == "text")
        .map(|c| c.text())
        .filter(|t| !t.is_empty());
    ConnectError::Auth(match text {
        Some(text) => format!("{condition}: {text}"),
        None => condition,
    })
}

async fn send_response<Io>(
    stream: &mut XmlStream<Io, Element>,
    profile: Profile,
    data: Vec<u8>,
) -> Result<(), ConnectError>
where
    Io: AsyncBufRead + AsyncWrite + Unpin,
{
    let sent = match profile {
        Profile::Legacy => {
            stream
                .send(&XmppStreamElement::Sasl(xsasl::Nonza::Response(
                    xsasl::Response { data },
                )))
                .await
        }
        Profile::Sasl2 => stream.send(&sasl2::Response { sasl_data: data }).await,
    };
    sent.map_err(|e| ConnectError::Network(e.to_string()))
}

/// The next element of a stream during login; a `<stream:error/>` becomes
/// [`ConnectError::Stream`] with its condition (RFC 6120 §4.9.3).
pub(crate) async fn next_element<Io>(
    stream: &mut XmlStream<Io, Element>,
) -> Result<Element, ConnectError>
where
    Io: AsyncBufRead + AsyncWrite + Unpin,
{
    loop {
        match stream.next().await {
            Some(Ok(element)) if element.is("error", ns::STREAM) => {
                let condition = element
                    .children()
                    .find(|c| c.ns() == ns::XMPP_STREAMS && c.name() != "text")
                    .map(|c| c.name().to_owned())
                    .unwrap_or_else(|| "undefined-condition".into());
                return Err(ConnectError::Stream(condition));
            }
            Some(Ok(element)) => return Ok(element),
            Some(Err(ReadError::SoftTimeout)) => continue,
            Some(Err(ReadError::ParseError(e))) => {
                return Err(ConnectError::Network(format!(
                    "unreadable data during login: {e}"
                )))
            }
            Some(Err(ReadError::HardError(e))) => return Err(ConnectError::Network(e.to_string())),
            None | Some(Err(ReadError::StreamFooterReceived)) => {
                return Err(ConnectError::Network(
                    "the server closed the stream during login".into(),
                ))
            }
        }
    }
}

/// Legacy SASL (RFC 6120 §6.4): `<auth/>` with the initial response, then [`exchange`].
pub(crate) async fn legacy_login<Io>(
    stream: &mut XmlStream<Io, Element>,
    mechanism: &mut (dyn Mechanism + Send),
    advertised: &Advertised,
) -> Result<Exchanged, ConnectError>
where
    Io: AsyncBufRead + AsyncWrite + Unpin,
{
    let name = mechanism
        .name()
        .parse::<xsasl::Mechanism>()
        .map_err(|e| ConnectError::Policy(format!("unknown mechanism: {e}")))?;
    let initial = mechanism.initial();
    stream
        .send(&XmppStreamElement::Sasl(xsasl::Nonza::Auth(xsasl::Auth {
            mechanism: name,
            data: initial.clone(),
        })))
        .await
        .map_err(|e| ConnectError::Network(e.to_string()))?;
    exchange(stream, Profile::Legacy, mechanism, &initial, advertised).await
}
