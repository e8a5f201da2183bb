use thiserror::Error;

/// Why an OMEMO operation failed. None of these change any state: a failed decryption leaves the
/// session as it was.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum OmemoError {
    /// A key, signature or message had the wrong length or form.
    #[error("malformed OMEMO data: {0}")]
    Malformed(&'static str),
    /// A protobuf message did not decode.
    #[error("malformed OMEMO protobuf: {0}")]
    Protobuf(String),
    /// The signed prekey's signature does not verify with the bundle's identity key.
    #[error("the bundle's signed prekey signature is invalid")]
    BadSignature,
    /// A Diffie-Hellman exchange gave an all-zero result (a low-order public key).
    #[error("a public key was of low order")]
    LowOrderKey,
    /// The message's MAC (or the payload's tag) did not verify.
    #[error("the message failed authentication")]
    BadMac,
    /// The message is older than our skipped keys or skips more than `MAX_SKIP` keys.
    #[error("the message is too far out of order ({0})")]
    OutOfOrder(&'static str),
    /// A key exchange names a prekey or signed prekey we do not have (already used or rotated out).
    #[error("the key exchange uses prekey {0}, which we no longer have")]
    UnknownPreKey(u32),
    /// A key exchange names a signed prekey we no longer have.
    #[error("the key exchange uses signed prekey {0}, which we no longer have")]
    UnknownSignedPreKey(u32),
    /// A non-key-exchange message arrived for a device we have no session with.
    #[error("no session with this device")]
    NoSession,
    /// The message is a key exchange for a session that the identity key does not match.
    #[error("the device's identity key changed")]
    IdentityMismatch,
    /// A bundle without any one-time prekey cannot start a session.
    #[error("the bundle has no prekeys")]
    NoPreKeys,
    /// The decrypted envelope (XEP-0420) is invalid or does not match the stanza.
    #[error("invalid encrypted envelope: {0}")]
    Envelope(String),
}
