//! Where random bytes come from. Production code uses [`OsEntropy`]; known-answer tests inject
//! the draws python-omemo made so that output can be compared byte for byte.

use rand::RngCore;

/// A source of cryptographically secure random bytes.
pub trait Entropy {
    /// Fills `out` with random bytes.
    fn fill(&mut self, out: &mut [u8]);

    /// 32 random bytes (a private key or a payload key).
    fn array32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.fill(&mut out);
        out
    }
}

/// The thread-local CSPRNG of `rand` (ChaCha12, seeded from the operating system).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, out: &mut [u8]) {
        rand::rng().fill_bytes(out);
    }
}
