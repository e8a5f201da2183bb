//! X3DH (XEP-0384 §"Key Exchange"): the shared secret both sides derive, and the key
//! exchange message that carries the initiator's keys (legacy `PreKeySignalMessage` after the
//! version byte; OMEMO 2 `OMEMOKeyExchange`).

use prost::Message as _;
use zeroize::Zeroize;

use crate::identity::{key32, legacy_key, IdentityKey};
use crate::kdf::hkdf;
use crate::proto;
use crate::{Generation, OmemoError};

/// A received key exchange, parsed (the content of a `<key prekey='true'/>` or `<key kex='true'/>`).
#[derive(Debug, Clone)]
pub struct KeyExchange {
    /// Which generation it came in.
    pub generation: Generation,
    /// Our one-time prekey it used.
    pub pk_id: u32,
    /// Our signed prekey it used.
    pub spk_id: u32,
    /// The sender's identity.
    pub identity: IdentityKey,
    /// The sender's identity as the generation encodes it.
    pub(crate) identity_wire: Vec<u8>,
    /// The sender's ephemeral key.
    pub ek: [u8; 32],
    /// The first message of the session (authenticated message bytes).
    pub(crate) message: Vec<u8>,
}

impl KeyExchange {
    /// Parses a key exchange.
    ///
    /// # Errors
    /// [`OmemoError::Malformed`] / [`OmemoError::Protobuf`] on bad data.
    pub fn parse(generation: Generation, data: &[u8]) -> Result<Self, OmemoError> {
        match generation {
            Generation::Legacy => {
                let body = strip_version(data)?;
                let kex = proto::PreKeySignalMessage::decode(body)
                    .map_err(|e| OmemoError::Protobuf(e.to_string()))?;
                Ok(KeyExchange {
                    generation,
                    pk_id: kex.pre_key_id,
                    spk_id: kex.signed_pre_key_id,
                    identity: IdentityKey::from_legacy(&kex.identity_key)?,
                    identity_wire: kex.identity_key,
                    ek: legacy_key(&kex.base_key)?,
                    message: kex.message,
                })
            }
            Generation::Omemo2 => {
                let kex = proto::OmemoKeyExchange::decode(data)
                    .map_err(|e| OmemoError::Protobuf(e.to_string()))?;
                Ok(KeyExchange {
                    generation,
                    pk_id: kex.pk_id,
                    spk_id: kex.spk_id,
                    identity: IdentityKey::from_ed(&kex.ik)?,
                    identity_wire: kex.ik,
                    ek: key32(&kex.ek, "ephemeral key length")?,
                    message: kex.message.encode_to_vec(),
                })
            }
        }
    }
}

pub(crate) fn strip_version(data: &[u8]) -> Result<&[u8], OmemoError> {
    match data {
        [v, rest @ ..] if v >> 4 == 3 => Ok(rest),
        [_, ..] => Err(OmemoError::Malformed(
            "unsupported libsignal message version",
        )),
        [] => Err(OmemoError::Malformed("empty message")),
    }
}

fn x3dh_info(generation: Generation) -> &'static [u8] {
    match generation {
        Generation::Legacy => b"WhisperText",
        Generation::Omemo2 => b"OMEMO X3DH",
    }
}

/// `HKDF(0*32, 0xFF*32 || DH1 || DH2 || DH3 || DH4, info, 32)`.
pub(crate) fn x3dh_secret(generation: Generation, dhs: [[u8; 32]; 4]) -> [u8; 32] {
    let mut ikm = [0xffu8; 32 * 5];
    for (i, d) in dhs.iter().enumerate() {
        ikm[32 * (i + 1)..32 * (i + 2)].copy_from_slice(d);
    }
    let mut sk = [0u8; 32];
    hkdf(&[0u8; 32], &ikm, x3dh_info(generation), &mut sk);
    ikm.zeroize();
    sk
}
