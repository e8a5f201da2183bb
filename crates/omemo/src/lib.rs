//! OMEMO end-to-end encryption for Linnet (XEP-0384), both generations:
//!
//! - **legacy** (`eu.siacs.conversations.axolotl`, XEP-0384 v0.3.0 with the libsignal wire format),
//!   spoken by Conversations, Dino, Gajim and Monal;
//! - **OMEMO 2** (`urn:xmpp:omemo:2`, XEP-0384 v0.9 with XEP-0420 envelopes), spoken by Kaidan and
//!   python-omemo.
//!
//! The protocol (X3DH, the Double Ratchet, both protobuf wire formats, payload encryption, bundles,
//! device lists) is written here on audited primitives: `x25519-dalek`, `ed25519-dalek`,
//! `curve25519-dalek`, `hkdf`/`hmac`/`sha2`, `aes-gcm`, `aes` + `cbc`. This crate does no network
//! and no storage: its state types are `serde` values the engine keeps in its (encrypted) store.
//!
//! One identity key and one device id serve both generations, as python-omemo and the XEP assume
//! (the legacy bundle carries the identity's Montgomery form and the sign bit of its Ed25519 form in
//! bit 7 of the signature's last byte). See `docs/omemo-research.md` in the repository.

pub mod bundle;
pub mod entropy;
mod error;
pub mod identity;
mod kdf;
pub mod media;
pub mod payload;
pub mod proto;
mod ratchet;
pub mod sce;
pub mod session;
mod x3dh;
pub mod xml;

pub use bundle::{Bundle, OwnKeys};
pub use entropy::{Entropy, OsEntropy};
pub use error::OmemoError;
pub use identity::{IdentityKey, IdentityKeyPair};
pub use session::{EncryptedKey, Session};

use serde::{Deserialize, Serialize};

/// Which OMEMO generation a session, bundle or message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Generation {
    /// `eu.siacs.conversations.axolotl` (XEP-0384 v0.3.0).
    Legacy,
    /// `urn:xmpp:omemo:2` (XEP-0384 v0.9).
    Omemo2,
}

impl Generation {
    /// The XML namespace of this generation's elements.
    pub fn namespace(self) -> &'static str {
        match self {
            Generation::Legacy => xml::NS_LEGACY,
            Generation::Omemo2 => xml::NS_OMEMO2,
        }
    }
}

/// Skipped message keys kept per session, and the most one message may skip (XEP-0384 §"Double
/// Ratchet": about 1000 RECOMMENDED; python-omemo uses 1000 for both).
pub const MAX_SKIP: u32 = 1000;
