//! SASL login (RFC 6120 §6, RFC 4422): which mechanism Linnet uses, with what channel binding,
//! and the checks on the server's answers; shared by legacy SASL and SASL2 (XEP-0388, in
//! [`super::sasl2`]).
//!
//! tokio-xmpp 6's own `client_login` falls back to PLAIN or ANONYMOUS on its own and never
//! checks the SCRAM server signature; this module replaces it. The policy:
//! - SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS (channel binding `tls-exporter`, RFC 9266, on TLS
//!   1.3 where XEP-0440 allows it), then SCRAM-SHA-256, SCRAM-SHA-1; without -PLUS the GS2 flag
//!   says whether we could have bound (`y`, RFC 5802 §6), so a server that can bind sees a
//!   stripped -PLUS;
//! - the server's SCRAM signature is verified, its nonce must extend ours, and its iteration
//!   count is capped;
//! - PLAIN only after the user allowed it for the account, and never once the server has
//!   offered SCRAM (a later PLAIN-only offer is a downgrade); ANONYMOUS never.

use std::collections::BTreeSet;

use ::sasl::client::mechanisms::{Plain, Scram};
use ::sasl::client::{Mechanism, MechanismError};
use ::sasl::common::scram::{Sha1, Sha256};
use ::sasl::common::{ChannelBinding, Credentials};
use hmac::{Hmac, Mac};
use tokio_xmpp::parsers::sasl_cb;

use super::connector::ConnectError;
pub(crate) use super::sasl_exchange::{exchange, legacy_login, next_element, Advertised, Profile};

/// What the server advertised, for XEP-0474's check: `mechanisms` of the profile in use and
/// the XEP-0440 channel-binding types, if sent.
pub(crate) fn advertised<'a>(
    mechanisms: impl IntoIterator<Item = &'a String>,
    cb_types: Option<&[sasl_cb::Type]>,
) -> Advertised {
    use xso::AsXmlText as _;
    Advertised {
        mechanisms: mechanisms.into_iter().cloned().collect(),
        channel_bindings: cb_types.map(|types| {
            types
                .iter()
                .filter_map(|t| t.as_xml_text().ok().map(|s| s.into_owned()))
                .collect()
        }),
    }
}

/// What this account's past logins taught and what its user allowed; kept per account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginPolicy {
    /// The user agreed to send the password as PLAIN (inside verified TLS) to this server.
    pub allow_plain: bool,
    /// The server has offered SCRAM before, so a PLAIN-only offer now is a downgrade.
    pub scram_seen: bool,
}

/// A XEP-0484 FAST token: logs in without the password until `expiry`. Its `Debug` leaves
/// the secret out.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FastToken {
    /// The `HT-*` mechanism the token was issued for, e.g. `HT-SHA-256-NONE`.
    pub mechanism: String,
    /// The secret (`secret-token:…`), kept in the OS keyring beside the password.
    pub token: String,
    /// When the server stops accepting it (XEP-0082 date-time).
    pub expiry: String,
}

impl std::fmt::Debug for FastToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastToken")
            .field("mechanism", &self.mechanism)
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

/// The channel binding this TLS connection can give: the RFC 9266 exporter (32 bytes,
/// label `EXPORTER-Channel-Binding`), on TLS 1.3 only.
#[derive(Clone, Default)]
pub(crate) struct TlsBinding {
    pub exporter: Option<Vec<u8>>,
}

/// The password-based mechanisms Linnet uses, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    ScramSha256Plus,
    ScramSha1Plus,
    ScramSha256,
    ScramSha1,
    Plain,
}

impl Choice {
    /// The IANA SASL mechanism name.
    pub fn name(self) -> &'static str {
        match self {
            Choice::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Choice::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Choice::ScramSha256 => "SCRAM-SHA-256",
            Choice::ScramSha1 => "SCRAM-SHA-1",
            Choice::Plain => "PLAIN",
        }
    }

    fn plus(self) -> bool {
        matches!(self, Choice::ScramSha256Plus | Choice::ScramSha1Plus)
    }
}

/// Whether `offered` holds a SCRAM mechanism Linnet could use on this connection (which
/// [`LoginPolicy::scram_seen`] records): a -PLUS one only when it can bind.
pub(crate) fn offers_scram<'a>(
    offered: impl IntoIterator<Item = &'a String>,
    can_bind: bool,
) -> bool {
    offered.into_iter().any(|m| match m.as_str() {
        "SCRAM-SHA-1" | "SCRAM-SHA-256" => true,
        "SCRAM-SHA-1-PLUS" | "SCRAM-SHA-256-PLUS" => can_bind,
        _ => false,
    })
}

/// Whether the exporter can be used: we have it, and the server's XEP-0440 list (when it
/// sends one) names `tls-exporter`.
pub(crate) fn can_bind(binding: &TlsBinding, cb_types: Option<&[sasl_cb::Type]>) -> bool {
    binding.exporter.is_some()
        && cb_types.is_none_or(|types| types.contains(&sasl_cb::Type::TlsExporter))
}

/// Picks the mechanism for a password login from the server's offer.
///
/// Errors: [`ConnectError::Tampered`] when only PLAIN is offered by a server that offered
/// SCRAM before; [`ConnectError::PlainNotAllowed`] when PLAIN is all there is and the user
/// has not allowed it; [`ConnectError::Policy`] when nothing usable is offered.
pub(crate) fn choose(
    offered: &BTreeSet<String>,
    can_bind: bool,
    policy: LoginPolicy,
) -> Result<Choice, ConnectError> {
    let ranked = [
        Choice::ScramSha256Plus,
        Choice::ScramSha1Plus,
        Choice::ScramSha256,
        Choice::ScramSha1,
    ];
    if let Some(choice) = ranked
        .into_iter()
        .find(|c| (can_bind || !c.plus()) && offered.contains(c.name()))
    {
        return Ok(choice);
    }
    if offered.contains("PLAIN") {
        if policy.scram_seen {
            return Err(ConnectError::Tampered(
                "This server offered a secure login (SCRAM) before, and now offers only to receive \
                 the password in plain form. Someone may be intercepting the connection, so \
                 Linnet did not send the password."
                    .into(),
            ));
        }
        if !policy.allow_plain {
            return Err(ConnectError::PlainNotAllowed);
        }
        return Ok(Choice::Plain);
    }
    let list: Vec<&str> = offered.iter().map(String::as_str).collect();
    Err(ConnectError::Policy(format!(
        "The server offers no login method Linnet uses (it offers: {}). Linnet logs in with \
         SCRAM, or PLAIN when allowed for the account.",
        if list.is_empty() {
            "none".into()
        } else {
            list.join(", ")
        }
    )))
}

/// The mechanism object for `choice`: the channel binding for -PLUS, else the GS2 flag `y`
/// when we could bind but the server offers no -PLUS at all, `n` otherwise (RFC 5802 §6).
pub(crate) fn mechanism(
    choice: Choice,
    username: &str,
    password: &str,
    binding: &TlsBinding,
    offered: &BTreeSet<String>,
) -> Result<Box<dyn Mechanism + Send>, ConnectError> {
    let channel_binding = match (&binding.exporter, choice.plus()) {
        (Some(data), true) => ChannelBinding::TlsExporter(data.clone()),
        (Some(_), false) if !offered.iter().any(|m| m.ends_with("-PLUS")) => {
            ChannelBinding::Unsupported
        }
        _ => ChannelBinding::None,
    };
    let creds = Credentials::default()
        .with_username(username)
        .with_password(password)
        .with_channel_binding(channel_binding);
    let built: Result<Box<dyn Mechanism + Send>, MechanismError> = match choice {
        Choice::ScramSha256Plus | Choice::ScramSha256 => {
            Scram::<Sha256>::from_credentials(creds).map(|m| Box::new(m) as _)
        }
        Choice::ScramSha1Plus | Choice::ScramSha1 => {
            Scram::<Sha1>::from_credentials(creds).map(|m| Box::new(m) as _)
        }
        Choice::Plain => Plain::from_credentials(creds).map(|m| Box::new(m) as _),
    };
    built.map_err(|e| ConnectError::Policy(format!("cannot start {}: {e}", choice.name())))
}

type HmacSha256 = Hmac<sha2::Sha256>;

/// The XEP-0484 `HT-SHA-256-*` mechanisms (draft-schmaus-kitten-sasl-ht): the initial
/// response is `username NUL HMAC(token, "Initiator" ‖ cb)`, and the server proves it knows the
/// token with `HMAC(token, "Responder" ‖ cb)` in its success.
pub(crate) struct HashedToken {
    name: String,
    username: String,
    token: String,
    binding: Vec<u8>,
}

impl HashedToken {
    /// `HT-SHA-256-NONE` without binding data, `HT-SHA-256-EXPR` with the exporter.
    ///
    /// Errors: the token's mechanism is another one, or EXPR without an exporter.
    pub fn new(token: &FastToken, username: &str, binding: &TlsBinding) -> Result<Self, String> {
        let data = match (token.mechanism.as_str(), &binding.exporter) {
            ("HT-SHA-256-NONE", _) => Vec::new(),
            ("HT-SHA-256-EXPR", Some(exporter)) => exporter.clone(),
            (other, _) => return Err(format!("cannot use a {other} token on this connection")),
        };
        Ok(HashedToken {
            name: token.mechanism.clone(),
            username: username.to_owned(),
            token: token.token.clone(),
            binding: data,
        })
    }

    fn mac(&self, role: &[u8]) -> HmacSha256 {
        // HMAC takes a key of any length.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.token.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(role);
        mac.update(&self.binding);
        mac
    }
}

impl Mechanism for HashedToken {
    fn name(&self) -> &str {
        &self.name
    }

    fn from_credentials(_: Credentials) -> Result<Self, MechanismError> {
        Err(MechanismError::InvalidState)
    }

    fn initial(&mut self) -> Vec<u8> {
        let mut out = self.username.as_bytes().to_vec();
        out.push(0);
        out.extend(self.mac(b"Initiator").finalize().into_bytes());
        out
    }

    fn success(&mut self, data: &[u8]) -> Result<(), MechanismError> {
        self.mac(b"Responder")
            .verify_slice(data)
            .map_err(|_| MechanismError::InvalidSignatureInSuccessResponse)
    }
}

#[cfg(test)]
#[path = "sasl_tests.rs"]
mod tests;
