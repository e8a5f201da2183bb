//! Logging in on a stream [`open_stream`] opened: SASL2 with FAST where the server offers
//! it ([`super::sasl2`]), legacy SASL otherwise ([`super::sasl`]), then the authenticated,
//! unbound stream handed to tokio-xmpp's stanza stream, which binds a resource and enables
//! or resumes XEP-0198.

use std::borrow::Cow;

use minidom::Element;
use tokio_xmpp::parsers::ns;
use tokio_xmpp::stanzastream::Connection;
use tokio_xmpp::xmlstream::{initiate_stream, FallibleStreamElement, StreamHeader, Timeouts};

use super::connector::{open_stream, ConnectError, ConnectTarget, Opened, StreamTap, TrustRoots};
use super::resolve::Route;
use super::sasl::{self, can_bind, choose, legacy_login, offers_scram, FastToken, LoginPolicy};
use super::sasl2::{self, Restream, Secrets};

/// What an account logs in with. Its `Debug` leaves the password out.
#[derive(Clone)]
pub struct Secret {
    /// The password from the keyring; `None` when only a FAST token is kept.
    pub password: Option<String>,
    /// The XEP-0484 token from the keyring, if the server gave one.
    pub token: Option<FastToken>,
    /// This installation's XEP-0388 user-agent id for the account.
    pub client_id: uuid::Uuid,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("token", &self.token)
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// What a login did, for the account to remember.
#[derive(Debug, Clone, Default)]
pub struct LoginReport {
    /// The SASL mechanism that logged in, e.g. `SCRAM-SHA-1` or `HT-SHA-256-NONE`.
    pub mechanism: String,
    /// Whether SASL2 (XEP-0388) was used.
    pub sasl2: bool,
    /// Whether the server offered SCRAM ([`LoginPolicy::scram_seen`] from now on).
    pub scram_offered: bool,
    /// A FAST token the server issued or rotated, to store in place of the old one.
    pub new_token: Option<FastToken>,
    /// Round trips of the authentication itself (1 for FAST, 2 for SCRAM).
    pub round_trips: u32,
}

fn net(e: impl std::fmt::Display) -> ConnectError {
    ConnectError::Network(e.to_string())
}

fn username(target: &ConnectTarget) -> Result<&str, ConnectError> {
    target
        .jid
        .node()
        .map(|n| n.as_str())
        .ok_or_else(|| ConnectError::Policy("the JID has no user part".into()))
}

fn header(target: &ConnectTarget) -> StreamHeader<'static> {
    StreamHeader {
        to: Some(Cow::Owned(target.jid.domain().as_str().to_owned())),
        from: Some(Cow::Owned(target.jid.to_bare().to_string())),
        id: None,
    }
}

/// Opens the stream ([`open_stream`]), logs in (mechanism policy: [`super::sasl`]) and
/// returns the unbound stream for tokio-xmpp's stanza stream.
///
/// Errors: those of [`open_stream`]; [`ConnectError::Auth`] when the server refuses the
/// password; [`ConnectError::TokenRefused`] when it refuses the FAST token;
/// [`ConnectError::Tampered`], [`ConnectError::PlainNotAllowed`] and
/// [`ConnectError::Policy`] from the policy; [`ConnectError::NoCredentials`].
pub async fn connect_and_login(
    target: &ConnectTarget,
    secret: &Secret,
    policy: LoginPolicy,
    roots: &TrustRoots,
    pins: &[String],
    tap: &StreamTap,
    timeouts: Timeouts,
) -> Result<(Connection, Route, LoginReport), ConnectError> {
    let Opened {
        features,
        mut stream,
        route,
        binding,
    } = open_stream::<Element>(target, roots, pins, tap, timeouts).await?;
    let username = username(target)?;
    let cb_types = features.sasl_cb.as_ref().map(|c| c.types.as_slice());
    if let Some(auth) = &features.sasl2 {
        let secrets = Secrets {
            username,
            password: secret.password.as_deref(),
            token: secret.token.as_ref(),
            client_id: secret.client_id,
            policy,
            invalidate: false,
        };
        let outcome = sasl2::login(&mut stream, auth, cb_types, &binding, &secrets).await?;
        // SASL2 has no stream restart; see [`Restream`].
        let opened = initiate_stream(
            Restream::new(stream.into_inner()),
            ns::JABBER_CLIENT,
            header(target),
            timeouts,
        )
        .await
        .map_err(net)?;
        let stream = opened.skip_features::<FallibleStreamElement>();
        let report = LoginReport {
            mechanism: outcome.mechanism,
            sasl2: true,
            scram_offered: offers_scram(&auth.mechanisms, can_bind(&binding, cb_types)),
            new_token: outcome.new_token,
            round_trips: outcome.round_trips,
        };
        let connection = Connection {
            stream: stream.box_stream(),
            features: outcome.features,
            identity: target.jid.clone(),
        };
        return Ok((connection, route, report));
    }
    let password = secret
        .password
        .as_deref()
        .ok_or(ConnectError::NoCredentials)?;
    let offered = &features.sasl_mechanisms;
    let choice = choose(offered, can_bind(&binding, cb_types), policy)?;
    let mut mechanism = sasl::mechanism(choice, username, password, &binding, offered)?;
    let exchanged = legacy_login(
        &mut stream,
        mechanism.as_mut(),
        &sasl::advertised(offered, cb_types),
    )
    .await?;
    // RFC 6120 §6.4.6: a new stream after success.
    let stream = stream
        .initiate_reset()
        .send_header(header(target))
        .await
        .map_err(net)?;
    let (features, stream) = stream
        .recv_features::<FallibleStreamElement>()
        .await
        .map_err(|e| ConnectError::Stream(e.to_string()))?;
    let report = LoginReport {
        mechanism: choice.name().to_owned(),
        sasl2: false,
        scram_offered: offers_scram(offered, can_bind(&binding, cb_types)),
        new_token: None,
        round_trips: exchanged.round_trips,
    };
    let connection = Connection {
        stream: stream.box_stream(),
        features,
        identity: target.jid.clone(),
    };
    Ok((connection, route, report))
}

/// Has the server forget a FAST token (XEP-0484 §3.4 `invalidate`): logs in with it once
/// more and closes the stream. Used when the account is removed.
///
/// Errors: those of [`open_stream`]; [`ConnectError::Policy`] when the server offers no
/// SASL2 now; [`ConnectError::TokenRefused`] when it no longer knows the token.
pub async fn revoke_token(
    target: &ConnectTarget,
    token: &FastToken,
    client_id: uuid::Uuid,
    roots: &TrustRoots,
    pins: &[String],
) -> Result<(), ConnectError> {
    let Opened {
        features,
        mut stream,
        binding,
        ..
    } = open_stream::<Element>(
        target,
        roots,
        pins,
        &StreamTap::default(),
        Timeouts::default(),
    )
    .await?;
    let auth = features
        .sasl2
        .as_ref()
        .ok_or_else(|| ConnectError::Policy("the server no longer offers SASL2".into()))?;
    let secrets = Secrets {
        username: username(target)?,
        password: None,
        token: Some(token),
        client_id,
        policy: LoginPolicy::default(),
        invalidate: true,
    };
    let cb_types = features.sasl_cb.as_ref().map(|c| c.types.as_slice());
    sasl2::login(&mut stream, auth, cb_types, &binding, &secrets).await?;
    let _ = stream.shutdown().await;
    Ok(())
}
