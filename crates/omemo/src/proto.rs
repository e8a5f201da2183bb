//! The protobuf messages of both generations (proto2). Every `required` field is written even when
//! it is zero: libsignal, python-omemo and Conversations reject a message without `n`/`pn`.
//!
//! Field numbers differ between the generations; these are kept as two separate schemas.
//! Sources: libsignal `WhisperTextProtocol.proto` (legacy), XEP-0384 v0.9 §"Protobuf Schema".

/// Legacy `SignalMessage`: `ratchetKey` is `0x05 || X25519 public key` (33 bytes).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SignalMessage {
    /// The sender's current ratchet public key, `0x05 || key`.
    #[prost(bytes = "vec", required, tag = "1")]
    pub ratchet_key: Vec<u8>,
    /// Message number in the sending chain (`n`).
    #[prost(uint32, required, tag = "2")]
    pub counter: u32,
    /// Length of the previous sending chain (`pn`).
    #[prost(uint32, required, tag = "3")]
    pub previous_counter: u32,
    /// AES-256-CBC of the key material.
    #[prost(bytes = "vec", optional, tag = "4")]
    pub ciphertext: Option<Vec<u8>>,
}

/// Legacy `PreKeySignalMessage`, sent after the version byte `0x33`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PreKeySignalMessage {
    /// The one-time prekey used (Conversations rejects a key exchange without it).
    #[prost(uint32, required, tag = "1")]
    pub pre_key_id: u32,
    /// The ephemeral key, `0x05 || key`.
    #[prost(bytes = "vec", required, tag = "2")]
    pub base_key: Vec<u8>,
    /// The sender's identity key, `0x05 || u`.
    #[prost(bytes = "vec", required, tag = "3")]
    pub identity_key: Vec<u8>,
    /// The authenticated message: `0x33 || SignalMessage || mac(8)`.
    #[prost(bytes = "vec", required, tag = "4")]
    pub message: Vec<u8>,
    /// libsignal's registration id; ignored on receipt, not sent.
    #[prost(uint32, optional, tag = "5")]
    pub registration_id: Option<u32>,
    /// The signed prekey used.
    #[prost(uint32, required, tag = "6")]
    pub signed_pre_key_id: u32,
}

/// OMEMO 2 `OMEMOMessage`: `dh_pub` is the raw 32-byte X25519 key.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OmemoMessage {
    /// Message number in the sending chain.
    #[prost(uint32, required, tag = "1")]
    pub n: u32,
    /// Length of the previous sending chain.
    #[prost(uint32, required, tag = "2")]
    pub pn: u32,
    /// The sender's current ratchet public key.
    #[prost(bytes = "vec", required, tag = "3")]
    pub dh_pub: Vec<u8>,
    /// AES-256-CBC of the key material.
    #[prost(bytes = "vec", optional, tag = "4")]
    pub ciphertext: Option<Vec<u8>>,
}

/// OMEMO 2 `OMEMOAuthenticatedMessage`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OmemoAuthenticatedMessage {
    /// HMAC-SHA-256 truncated to 16 bytes over `AD || message`.
    #[prost(bytes = "vec", required, tag = "1")]
    pub mac: Vec<u8>,
    /// The serialized `OMEMOMessage`, exactly the bytes the MAC covers.
    #[prost(bytes = "vec", required, tag = "2")]
    pub message: Vec<u8>,
}

/// OMEMO 2 `OMEMOKeyExchange`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OmemoKeyExchange {
    /// The one-time prekey used.
    #[prost(uint32, required, tag = "1")]
    pub pk_id: u32,
    /// The signed prekey used.
    #[prost(uint32, required, tag = "2")]
    pub spk_id: u32,
    /// The sender's Ed25519 identity key.
    #[prost(bytes = "vec", required, tag = "3")]
    pub ik: Vec<u8>,
    /// The ephemeral X25519 key.
    #[prost(bytes = "vec", required, tag = "4")]
    pub ek: Vec<u8>,
    /// The first message of the session.
    #[prost(message, required, tag = "5")]
    pub message: OmemoAuthenticatedMessage,
}
