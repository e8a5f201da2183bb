//! HKDF-SHA-256 and HMAC-SHA-256 as both generations use them (RFC 5869, RFC 2104).

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// HKDF-SHA-256 with `salt`, filling `out` (at most 255 * 32 bytes; every caller asks for ≤ 80).
pub(crate) fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm);
    // Lengths here are fixed by the callers (32, 64 or 80 bytes), far below HKDF's limit.
    if hk.expand(info, out).is_err() {
        out.fill(0);
    }
}

/// HMAC-SHA-256 of the concatenation of `parts`.
pub(crate) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0u8; 32],
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time comparison of a received MAC with the expected (truncated) one.
pub(crate) fn mac_eq(expected: &[u8], received: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == received.len() && bool::from(expected.ct_eq(received))
}
