//! One session with one remote device: X3DH to start it (XEP-0384 §"Key Exchange"), the Double
//! Ratchet to carry each message's key material, and the two wire formats.
//!
//! Wire formats (see `docs/omemo-research.md` §1.2, §2.1–2.3):
//! - legacy: `0x33 || SignalMessage || HMAC(auth, IK_sender33 || IK_receiver33 || 0x33 || SignalMessage)[..8]`,
//!   a key exchange is `0x33 || PreKeySignalMessage{message = that}`;
//! - OMEMO 2: `OMEMOAuthenticatedMessage{mac = HMAC(auth, IK_initiator || IK_responder || OMEMOMessage)[..16]}`,
//!   a key exchange is `OMEMOKeyExchange{message = that}`.
//!
//! The sender keeps attaching the key exchange until it receives a message in the session; a
//! repeated key exchange (same ephemeral key) is decrypted with the session it already created.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use prost::Message as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::bundle::{Bundle, OwnKeys};
use crate::entropy::Entropy;
use crate::identity::{key32, legacy_encode, legacy_key, IdentityKey, IdentityKeyPair};
use crate::kdf::{hmac, mac_eq};
use crate::proto;
use crate::ratchet::{dh, message_keys, Header, Ratchet};
pub use crate::x3dh::KeyExchange;
use crate::x3dh::{strip_version, x3dh_secret};
use crate::{Generation, OmemoError};

/// libsignal's message version byte: (3 << 4) | 3.
const VERSION: u8 = 0x33;
const LEGACY_MAC_LEN: usize = 8;
const OMEMO2_MAC_LEN: usize = 16;

/// Key material encrypted for one device: the content of one `<key/>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedKey {
    /// The bytes to base64 into the element.
    pub data: Vec<u8>,
    /// Whether this is a key exchange (`prekey='true'` / `kex='true'`).
    pub kex: bool,
}

#[derive(Clone, Serialize, Deserialize)]
struct PendingKex {
    pk_id: u32,
    spk_id: u32,
    ek: [u8; 32],
}

/// A session with one device of one contact (or of ours). A `serde` value to store.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    generation: Generation,
    ratchet: Ratchet,
    /// Our identity as this generation encodes it (legacy `0x05||u`, OMEMO 2 Ed25519).
    local_ik: Vec<u8>,
    /// The remote identity as this generation encodes it.
    remote_ik: Vec<u8>,
    remote_identity: IdentityKey,
    initiator: bool,
    pending_kex: Option<PendingKex>,
    /// The ephemeral key of the key exchange that created this (responding) session.
    kex_ek: Option<[u8; 32]>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("generation", &self.generation)
            .field("remote_identity", &self.remote_identity)
            .field("initiator", &self.initiator)
            .field("confirmed", &self.pending_kex.is_none())
            .finish_non_exhaustive()
    }
}

fn identity_wire(generation: Generation, identity: &IdentityKeyPair) -> Vec<u8> {
    match generation {
        Generation::Legacy => identity.public().legacy_bytes().to_vec(),
        Generation::Omemo2 => identity.ed_public().to_vec(),
    }
}

impl Session {
    /// Starts a session from a verified bundle, with a random one of its prekeys (X3DH, active side).
    ///
    /// # Errors
    /// [`OmemoError::NoPreKeys`], [`OmemoError::LowOrderKey`].
    pub fn initiate(
        own: &IdentityKeyPair,
        bundle: &Bundle,
        entropy: &mut dyn Entropy,
    ) -> Result<Self, OmemoError> {
        if bundle.prekeys.is_empty() {
            return Err(OmemoError::NoPreKeys);
        }
        let mut draw = [0u8; 4];
        entropy.fill(&mut draw);
        let index = u32::from_le_bytes(draw) as usize % bundle.prekeys.len();
        Self::initiate_with_prekey(own, bundle, bundle.prekeys[index].0, entropy)
    }

    /// As [`Session::initiate`], with the prekey `pk_id` (tests reproduce python-omemo's choice).
    ///
    /// # Errors
    /// [`OmemoError::NoPreKeys`] when the bundle has no such prekey, [`OmemoError::LowOrderKey`].
    pub fn initiate_with_prekey(
        own: &IdentityKeyPair,
        bundle: &Bundle,
        pk_id: u32,
        entropy: &mut dyn Entropy,
    ) -> Result<Self, OmemoError> {
        let generation = bundle.generation;
        let opk = bundle
            .prekeys
            .iter()
            .find(|(id, _)| *id == pk_id)
            .map(|(_, k)| *k)
            .ok_or(OmemoError::NoPreKeys)?;
        let remote_ik = match generation {
            Generation::Legacy => bundle.identity.legacy_bytes().to_vec(),
            Generation::Omemo2 => bundle
                .identity_ed
                .ok_or(OmemoError::Malformed("OMEMO 2 bundle without ik"))?
                .to_vec(),
        };
        let mut ek = entropy.array32();
        let mut ik = own.dh_secret().to_bytes();
        let sk = x3dh_secret(
            generation,
            [
                dh(&ik, &bundle.spk)?,
                dh(&ek, &bundle.identity.0)?,
                dh(&ek, &bundle.spk)?,
                dh(&ek, &opk)?,
            ],
        );
        let ek_pub = crate::ratchet::public_of(&ek);
        ek.zeroize();
        ik.zeroize();
        Ok(Session {
            generation,
            ratchet: Ratchet::active(generation, sk, bundle.spk, entropy)?,
            local_ik: identity_wire(generation, own),
            remote_ik,
            remote_identity: bundle.identity,
            initiator: true,
            pending_kex: Some(PendingKex {
                pk_id,
                spk_id: bundle.spk_id,
                ek: ek_pub,
            }),
            kex_ek: None,
        })
    }

    /// Answers a received key exchange (X3DH, passive side): the new session and the key material
    /// of its first message. The caller removes the used prekey from `own` once it keeps the
    /// session.
    ///
    /// # Errors
    /// [`OmemoError::UnknownPreKey`] / [`OmemoError::UnknownSignedPreKey`] when we no longer have
    /// the keys it names, [`OmemoError::BadMac`] and the like when its message does not decrypt.
    pub fn respond(
        own: &OwnKeys,
        kex: &KeyExchange,
        entropy: &mut dyn Entropy,
    ) -> Result<(Self, Vec<u8>), OmemoError> {
        let generation = kex.generation;
        let opk = own
            .pre_key_secret(kex.pk_id)
            .ok_or(OmemoError::UnknownPreKey(kex.pk_id))?;
        let spk = own
            .signed_pre_key_secret(kex.spk_id)
            .ok_or(OmemoError::UnknownSignedPreKey(kex.spk_id))?;
        let mut ik = own.identity().dh_secret().to_bytes();
        let sk = x3dh_secret(
            generation,
            [
                dh(&spk, &kex.identity.0)?,
                dh(&ik, &kex.ek)?,
                dh(&spk, &kex.ek)?,
                dh(&opk, &kex.ek)?,
            ],
        );
        ik.zeroize();
        let mut session = Session {
            generation,
            ratchet: Ratchet::passive(generation, sk, spk),
            local_ik: identity_wire(generation, own.identity()),
            remote_ik: kex.identity_wire.clone(),
            remote_identity: kex.identity,
            initiator: false,
            pending_kex: None,
            kex_ek: Some(kex.ek),
        };
        let plaintext = session.decrypt(&kex.message, entropy)?;
        Ok((session, plaintext))
    }

    /// Whether `kex` is the key exchange that created this session again (the sender repeats it
    /// until it hears back): decrypt its message with [`Session::decrypt_kex_message`] then.
    pub fn is_same_kex(&self, kex: &KeyExchange) -> bool {
        self.kex_ek == Some(kex.ek)
            && self.remote_identity == kex.identity
            && self.generation == kex.generation
    }

    /// Decrypts the message inside a repeated key exchange with this session.
    ///
    /// # Errors
    /// As [`Session::decrypt`].
    pub fn decrypt_kex_message(
        &mut self,
        kex: &KeyExchange,
        entropy: &mut dyn Entropy,
    ) -> Result<Vec<u8>, OmemoError> {
        self.decrypt(&kex.message, entropy)
    }

    /// The generation this session speaks.
    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// The remote device's identity.
    pub fn remote_identity(&self) -> IdentityKey {
        self.remote_identity
    }

    /// Whether the remote side has answered in this session (no key exchange is attached any more).
    pub fn confirmed(&self) -> bool {
        self.pending_kex.is_none()
    }

    /// Messages received in the current receiving chain.
    pub fn receiving_chain_length(&self) -> u32 {
        self.ratchet.receiving_chain_length()
    }

    fn associated_data(&self) -> Vec<u8> {
        let (first, second) = if self.initiator {
            (&self.local_ik, &self.remote_ik)
        } else {
            (&self.remote_ik, &self.local_ik)
        };
        [first.as_slice(), second.as_slice()].concat()
    }

    /// Encrypts key material (legacy: 32 bytes, key and GCM tag; OMEMO 2: 48 bytes, key and HMAC)
    /// for the remote device, with the key exchange attached while the session is unconfirmed.
    ///
    /// # Errors
    /// [`OmemoError::NoSession`] when this side cannot send yet.
    pub fn encrypt(&mut self, key_material: &[u8]) -> Result<EncryptedKey, OmemoError> {
        let (header, mut mk) = self.ratchet.next_send()?;
        let keys = message_keys(self.generation, &mk);
        mk.zeroize();
        let ciphertext = cbc::Encryptor::<aes::Aes256>::new(&keys.enc.into(), &keys.iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(key_material);
        let authenticated = match self.generation {
            Generation::Legacy => {
                let message = proto::SignalMessage {
                    ratchet_key: legacy_encode(&header.dh).to_vec(),
                    counter: header.n,
                    previous_counter: header.pn,
                    ciphertext: Some(ciphertext),
                }
                .encode_to_vec();
                let mac = hmac(
                    &keys.auth,
                    &[&self.local_ik, &self.remote_ik, &[VERSION], &message],
                );
                [&[VERSION][..], &message, &mac[..LEGACY_MAC_LEN]].concat()
            }
            Generation::Omemo2 => {
                let message = proto::OmemoMessage {
                    n: header.n,
                    pn: header.pn,
                    dh_pub: header.dh.to_vec(),
                    ciphertext: Some(ciphertext),
                }
                .encode_to_vec();
                let mac = hmac(&keys.auth, &[&self.associated_data(), &message]);
                proto::OmemoAuthenticatedMessage {
                    mac: mac[..OMEMO2_MAC_LEN].to_vec(),
                    message,
                }
                .encode_to_vec()
            }
        };
        let Some(kex) = &self.pending_kex else {
            return Ok(EncryptedKey {
                data: authenticated,
                kex: false,
            });
        };
        let data = match self.generation {
            Generation::Legacy => {
                let kex = proto::PreKeySignalMessage {
                    pre_key_id: kex.pk_id,
                    base_key: legacy_encode(&kex.ek).to_vec(),
                    identity_key: self.local_ik.clone(),
                    message: authenticated,
                    registration_id: None,
                    signed_pre_key_id: kex.spk_id,
                };
                [&[VERSION][..], &kex.encode_to_vec()].concat()
            }
            Generation::Omemo2 => {
                let message = proto::OmemoAuthenticatedMessage::decode(authenticated.as_slice())
                    .map_err(|e| OmemoError::Protobuf(e.to_string()))?;
                proto::OmemoKeyExchange {
                    pk_id: kex.pk_id,
                    spk_id: kex.spk_id,
                    ik: self.local_ik.clone(),
                    ek: kex.ek.to_vec(),
                    message,
                }
                .encode_to_vec()
            }
        };
        Ok(EncryptedKey { data, kex: true })
    }

    /// Decrypts the key material of a message in this session (not a key exchange: see
    /// [`KeyExchange`]). The session changes only when the message authenticated.
    ///
    /// # Errors
    /// [`OmemoError::BadMac`], [`OmemoError::OutOfOrder`], [`OmemoError::Malformed`].
    pub fn decrypt(
        &mut self,
        data: &[u8],
        entropy: &mut dyn Entropy,
    ) -> Result<Vec<u8>, OmemoError> {
        let (header, ciphertext, mac, mac_input) = match self.generation {
            Generation::Legacy => {
                if data.len() < 1 + LEGACY_MAC_LEN {
                    return Err(OmemoError::Malformed("message too short"));
                }
                let (signed, mac) = data.split_at(data.len() - LEGACY_MAC_LEN);
                let message = strip_version(signed)?;
                let parsed = proto::SignalMessage::decode(message)
                    .map_err(|e| OmemoError::Protobuf(e.to_string()))?;
                let header = Header {
                    dh: legacy_key(&parsed.ratchet_key)?,
                    n: parsed.counter,
                    pn: parsed.previous_counter,
                };
                let input = [self.remote_ik.as_slice(), &self.local_ik, signed].concat();
                (header, parsed.ciphertext, mac.to_vec(), input)
            }
            Generation::Omemo2 => {
                let outer = proto::OmemoAuthenticatedMessage::decode(data)
                    .map_err(|e| OmemoError::Protobuf(e.to_string()))?;
                let parsed = proto::OmemoMessage::decode(outer.message.as_slice())
                    .map_err(|e| OmemoError::Protobuf(e.to_string()))?;
                let header = Header {
                    dh: key32(&parsed.dh_pub, "ratchet key length")?,
                    n: parsed.n,
                    pn: parsed.pn,
                };
                let input = [self.associated_data().as_slice(), &outer.message].concat();
                (header, parsed.ciphertext, outer.mac, input)
            }
        };
        let ciphertext = ciphertext.ok_or(OmemoError::Malformed("message without ciphertext"))?;
        let mut ratchet = self.ratchet.clone();
        let mut mk = ratchet.receive(&header, entropy)?;
        let keys = message_keys(self.generation, &mk);
        mk.zeroize();
        let expected = hmac(&keys.auth, &[&mac_input]);
        let mac_len = match self.generation {
            Generation::Legacy => LEGACY_MAC_LEN,
            Generation::Omemo2 => OMEMO2_MAC_LEN,
        };
        if !mac_eq(&expected[..mac_len], &mac) {
            return Err(OmemoError::BadMac);
        }
        let plaintext = cbc::Decryptor::<aes::Aes256>::new(&keys.enc.into(), &keys.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext)
            .map_err(|_| OmemoError::Malformed("bad padding"))?;
        self.ratchet = ratchet;
        self.pending_kex = None;
        Ok(plaintext)
    }
}
