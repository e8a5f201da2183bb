//! The long-term identity key (XEP-0384 §"Key Management").
//!
//! Kept, as python-omemo keeps it, as an Ed25519 seed: its Ed25519 public key is the OMEMO 2 `ik`,
//! its Montgomery form (RFC 7748 birational map) is the legacy `identityKey` and the fingerprint,
//! and its X25519 private scalar is the clamped first half of SHA-512(seed) (RFC 8032 §5.1.5),
//! which is what X3DH uses in both generations.

use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::montgomery::MontgomeryPoint;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use x25519_dalek::StaticSecret;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::entropy::Entropy;
use crate::OmemoError;

/// The type byte libsignal puts before a Curve25519 public key (`DJB_TYPE`).
pub(crate) const DJB_TYPE: u8 = 0x05;

/// Our identity key pair: a 32-byte Ed25519 seed. Wiped from memory when dropped.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct IdentityKeyPair {
    seed: [u8; 32],
}

impl std::fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityKeyPair")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl IdentityKeyPair {
    /// A new random identity.
    pub fn generate(entropy: &mut dyn Entropy) -> Self {
        Self {
            seed: entropy.array32(),
        }
    }

    /// The identity with this Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { seed }
    }

    fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.seed)
    }

    /// The Ed25519 public key (32 bytes), OMEMO 2's `<ik/>`.
    pub fn ed_public(&self) -> [u8; 32] {
        self.signing_key().verifying_key().to_bytes()
    }

    /// The public identity (its Montgomery form).
    pub fn public(&self) -> IdentityKey {
        IdentityKey(
            self.signing_key()
                .verifying_key()
                .to_montgomery()
                .to_bytes(),
        )
    }

    /// The X25519 secret used for X3DH (clamped when used).
    pub(crate) fn dh_secret(&self) -> StaticSecret {
        StaticSecret::from(self.signing_key().to_scalar_bytes())
    }

    /// A standard Ed25519 signature (RFC 8032), as OMEMO 2 signs the signed prekey and labels.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing_key().sign(message).to_bytes()
    }

    /// A legacy (libsignal "curve25519") signature: Ed25519 with the sign bit of our Ed25519 public
    /// key copied into bit 7 of the last byte, so a verifier holding only the Montgomery form can
    /// recover the Edwards key (libsignal `curve25519_verify`).
    pub fn sign_legacy(&self, message: &[u8]) -> [u8; 64] {
        let mut signature = self.sign(message);
        signature[63] |= self.ed_public()[31] & 0x80;
        signature
    }
}

/// A public identity key: the 32-byte Montgomery u-coordinate (little-endian). This is what the
/// fingerprint shows and what trust is bound to, whichever generation the key arrived through.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct IdentityKey(pub [u8; 32]);

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdentityKey({})", self.fingerprint())
    }
}

impl IdentityKey {
    /// From an OMEMO 2 Ed25519 public key (`<ik/>`, 32 bytes).
    ///
    /// # Errors
    /// [`OmemoError::Malformed`] when the bytes are not a valid Edwards point.
    pub fn from_ed(ed: &[u8]) -> Result<Self, OmemoError> {
        let point = edwards_point(ed)?;
        Ok(IdentityKey(point.to_montgomery().to_bytes()))
    }

    /// From a legacy serialized key: `0x05 || u` (33 bytes).
    ///
    /// # Errors
    /// [`OmemoError::Malformed`] on another length or type byte.
    pub fn from_legacy(bytes: &[u8]) -> Result<Self, OmemoError> {
        Ok(IdentityKey(legacy_key(bytes)?))
    }

    /// The legacy serialization `0x05 || u` (33 bytes).
    pub fn legacy_bytes(&self) -> [u8; 33] {
        legacy_encode(&self.0)
    }

    /// The Ed25519 form with the given sign bit (0 or 1).
    ///
    /// # Errors
    /// [`OmemoError::Malformed`] when `u` has no Edwards point (it is on the twist).
    pub fn ed_with_sign(&self, sign: u8) -> Result<[u8; 32], OmemoError> {
        MontgomeryPoint(self.0)
            .to_edwards(sign & 1)
            .map(|p| p.compress().to_bytes())
            .ok_or(OmemoError::Malformed("identity key is not on the curve"))
    }

    /// The fingerprint as Conversations, Dino and Gajim show it: the key's 64 hex digits in eight
    /// groups of eight, lower case (without libsignal's `05` type byte).
    pub fn fingerprint(&self) -> String {
        let hex: String = self.0.iter().map(|b| format!("{b:02x}")).collect();
        hex.as_bytes()
            .chunks(8)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Verifies a legacy signature over `message` (libsignal `curve25519_verify`: the sign bit of
    /// the Edwards key is bit 7 of the signature's last byte).
    ///
    /// # Errors
    /// [`OmemoError::BadSignature`] when it does not verify.
    pub fn verify_legacy(&self, message: &[u8], signature: &[u8]) -> Result<(), OmemoError> {
        let mut sig: [u8; 64] = signature
            .try_into()
            .map_err(|_| OmemoError::Malformed("signature length"))?;
        let sign = sig[63] >> 7;
        sig[63] &= 0x7f;
        let ed = self.ed_with_sign(sign)?;
        verify_ed(&ed, message, &sig)
    }
}

/// Verifies a standard Ed25519 signature (RFC 8032 §5.1.7) by `ed` over `message`.
///
/// # Errors
/// [`OmemoError::BadSignature`] when it does not verify, [`OmemoError::Malformed`] on bad lengths.
pub fn verify_ed(ed: &[u8], message: &[u8], signature: &[u8]) -> Result<(), OmemoError> {
    let ed: [u8; 32] = ed
        .try_into()
        .map_err(|_| OmemoError::Malformed("Ed25519 key length"))?;
    let key = VerifyingKey::from_bytes(&ed).map_err(|_| OmemoError::Malformed("Ed25519 key"))?;
    let sig =
        Signature::from_slice(signature).map_err(|_| OmemoError::Malformed("signature length"))?;
    key.verify(message, &sig)
        .map_err(|_| OmemoError::BadSignature)
}

fn edwards_point(ed: &[u8]) -> Result<curve25519_dalek::EdwardsPoint, OmemoError> {
    let ed: [u8; 32] = ed
        .try_into()
        .map_err(|_| OmemoError::Malformed("Ed25519 key length"))?;
    CompressedEdwardsY(ed)
        .decompress()
        .ok_or(OmemoError::Malformed("Ed25519 key is not a point"))
}

/// `0x05 || key`.
pub(crate) fn legacy_encode(key: &[u8; 32]) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[0] = DJB_TYPE;
    out[1..].copy_from_slice(key);
    out
}

/// The 32 key bytes of a legacy `0x05 || key`.
pub(crate) fn legacy_key(bytes: &[u8]) -> Result<[u8; 32], OmemoError> {
    match bytes {
        [DJB_TYPE, rest @ ..] if rest.len() == 32 => {
            let mut key = [0u8; 32];
            key.copy_from_slice(rest);
            Ok(key)
        }
        _ => Err(OmemoError::Malformed(
            "legacy key is not 0x05 followed by 32 bytes",
        )),
    }
}

/// 32 bytes from a slice.
pub(crate) fn key32(bytes: &[u8], what: &'static str) -> Result<[u8; 32], OmemoError> {
    bytes.try_into().map_err(|_| OmemoError::Malformed(what))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn legacy_signature_round_trips_through_the_montgomery_form_for_both_sign_bits() {
        // Search a few seeds so that both Edwards sign bits are exercised.
        let mut seen = [false; 2];
        for i in 0u8..32 {
            let pair = IdentityKeyPair::from_seed([i; 32]);
            let sig = pair.sign_legacy(b"message");
            pair.public().verify_legacy(b"message", &sig).unwrap();
            assert!(pair.public().verify_legacy(b"other", &sig).is_err());
            seen[(pair.ed_public()[31] >> 7) as usize] = true;
            // The Edwards key recovered from the sign bit is ours.
            assert_eq!(
                pair.public().ed_with_sign(sig[63] >> 7).unwrap(),
                pair.ed_public()
            );
        }
        assert_eq!(seen, [true, true]);
    }

    #[test]
    fn fingerprint_groups_the_montgomery_key() {
        let key = IdentityKey([0xab; 32]);
        assert_eq!(key.fingerprint().len(), 64 + 7);
        assert!(key.fingerprint().starts_with("abababab abababab"));
        assert_eq!(IdentityKey::from_legacy(&key.legacy_bytes()).unwrap(), key);
        assert!(IdentityKey::from_legacy(&[0x06; 33]).is_err());
    }
}
