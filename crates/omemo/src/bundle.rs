//! Bundles: the public keys a device publishes so others can start sessions with it
//! (XEP-0384 §"Key Management"), and our own key store behind them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xmpp_parsers::legacy_omemo;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::entropy::Entropy;
use crate::identity::{key32, legacy_encode, legacy_key, verify_ed, IdentityKey, IdentityKeyPair};
use crate::ratchet::public_of;
use crate::xml;
use crate::{Generation, OmemoError};

/// One-time prekeys we keep published (XEP-0384: about 100 SHOULD, at least 25 MUST).
pub const PRE_KEYS: usize = 100;
/// How often the signed prekey is replaced, in seconds (a week, as python-omemo does; the XEP
/// says weekly to monthly). The previous one is kept one more period for late key exchanges.
pub const SIGNED_PRE_KEY_PERIOD: u64 = 7 * 24 * 3600;

/// A remote device's bundle, its signed prekey signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The generation it was published in.
    pub generation: Generation,
    /// The device's identity.
    pub identity: IdentityKey,
    /// The Ed25519 form of the identity (OMEMO 2's `<ik/>`; for legacy, recovered from the
    /// signature's sign bit).
    pub identity_ed: Option<[u8; 32]>,
    /// Signed prekey id.
    pub spk_id: u32,
    /// Signed prekey (X25519).
    pub spk: [u8; 32],
    /// One-time prekeys (id, X25519).
    pub prekeys: Vec<(u32, [u8; 32])>,
}

impl Bundle {
    /// Reads and verifies a legacy bundle (`<bundle xmlns='eu.siacs.conversations.axolotl'/>`):
    /// the signature is over `0x05 || spk` by the identity (libsignal `curve25519_verify`).
    ///
    /// # Errors
    /// [`OmemoError::Malformed`] when a part is missing or has the wrong form,
    /// [`OmemoError::BadSignature`].
    pub fn from_legacy(bundle: &legacy_omemo::Bundle) -> Result<Self, OmemoError> {
        let spk_elem = bundle
            .signed_pre_key_public
            .as_ref()
            .ok_or(OmemoError::Malformed("bundle without signed prekey"))?;
        let signature = &bundle
            .signed_pre_key_signature
            .as_ref()
            .ok_or(OmemoError::Malformed("bundle without signature"))?
            .data;
        let identity = IdentityKey::from_legacy(
            &bundle
                .identity_key
                .as_ref()
                .ok_or(OmemoError::Malformed("bundle without identity key"))?
                .data,
        )?;
        let spk = legacy_key(&spk_elem.data)?;
        identity.verify_legacy(&legacy_encode(&spk), signature)?;
        let sign = signature.get(63).map(|b| b >> 7).unwrap_or(0);
        let mut prekeys = Vec::new();
        for pk in bundle.prekeys.iter().flat_map(|p| p.keys.iter()) {
            // A single malformed prekey is skipped rather than failing the whole bundle.
            if let Ok(key) = legacy_key(&pk.data) {
                prekeys.push((pk.pre_key_id, key));
            }
        }
        Ok(Bundle {
            generation: Generation::Legacy,
            identity,
            identity_ed: identity.ed_with_sign(sign).ok(),
            spk_id: spk_elem.signed_pre_key_id.unwrap_or(0),
            spk,
            prekeys,
        })
    }

    /// Reads and verifies an OMEMO 2 bundle (`<bundle xmlns='urn:xmpp:omemo:2'/>`): `<spks/>` is an
    /// Ed25519 signature over the raw 32-byte signed prekey.
    ///
    /// # Errors
    /// [`OmemoError::Malformed`], [`OmemoError::BadSignature`].
    pub fn from_omemo2(bundle: &xml::Bundle) -> Result<Self, OmemoError> {
        let spk = key32(&bundle.spk.data, "signed prekey length")?;
        verify_ed(&bundle.ik.data, &spk, &bundle.spks.data)?;
        let identity_ed = key32(&bundle.ik.data, "identity key length")?;
        let prekeys = bundle
            .prekeys
            .keys
            .iter()
            .filter_map(|pk| key32(&pk.data, "prekey length").ok().map(|k| (pk.id, k)))
            .collect();
        Ok(Bundle {
            generation: Generation::Omemo2,
            identity: IdentityKey::from_ed(&identity_ed)?,
            identity_ed: Some(identity_ed),
            spk_id: bundle.spk.id,
            spk,
            prekeys,
        })
    }
}

#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct SignedPreKey {
    id: u32,
    secret: [u8; 32],
    /// Unix time it was made, in seconds.
    created: u64,
}

/// Our device: identity, signed prekey (and the previous one), one-time prekeys. One key set
/// serves both generations; each bundle signs the signed prekey its own way. A `serde` value to
/// store (it holds private keys: keep it only in the encrypted store).
#[derive(Clone, Serialize, Deserialize)]
pub struct OwnKeys {
    device_id: u32,
    identity: IdentityKeyPair,
    spk: SignedPreKey,
    old_spk: Option<SignedPreKey>,
    prekeys: BTreeMap<u32, [u8; 32]>,
    next_pre_key_id: u32,
}

impl Drop for OwnKeys {
    fn drop(&mut self) {
        for key in self.prekeys.values_mut() {
            key.zeroize();
        }
    }
}

impl std::fmt::Debug for OwnKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnKeys")
            .field("device_id", &self.device_id)
            .field("identity", &self.identity.public())
            .field("prekeys", &self.prekeys.len())
            .finish_non_exhaustive()
    }
}

/// A random device id in 1..2^31−1 (XEP-0384 §"Device id"); the caller redraws on a collision
/// with the published lists.
pub fn random_device_id(entropy: &mut dyn Entropy) -> u32 {
    let mut draw = [0u8; 4];
    entropy.fill(&mut draw);
    (u32::from_le_bytes(draw) % 0x7fff_fffe) + 1
}

impl OwnKeys {
    /// A new device: fresh identity, signed prekey id 1 and [`PRE_KEYS`] prekeys (ids from 1).
    /// `now` is Unix time in seconds.
    pub fn generate(device_id: u32, now: u64, entropy: &mut dyn Entropy) -> Self {
        let identity = IdentityKeyPair::generate(entropy);
        let spk = SignedPreKey {
            id: 1,
            secret: entropy.array32(),
            created: now,
        };
        let mut keys = Self {
            device_id,
            identity,
            spk,
            old_spk: None,
            prekeys: BTreeMap::new(),
            next_pre_key_id: 1,
        };
        keys.replenish(entropy);
        keys
    }

    /// A device from known parts (restoring keys, or known-answer tests).
    pub fn from_parts(
        device_id: u32,
        identity: IdentityKeyPair,
        spk_id: u32,
        spk_secret: [u8; 32],
        created: u64,
        prekeys: impl IntoIterator<Item = (u32, [u8; 32])>,
    ) -> Self {
        let prekeys: BTreeMap<u32, [u8; 32]> = prekeys.into_iter().collect();
        let next_pre_key_id = prekeys
            .keys()
            .next_back()
            .map_or(1, |id| id.saturating_add(1));
        Self {
            device_id,
            identity,
            spk: SignedPreKey {
                id: spk_id,
                secret: spk_secret,
                created,
            },
            old_spk: None,
            prekeys,
            next_pre_key_id,
        }
    }

    /// Our device id.
    pub fn device_id(&self) -> u32 {
        self.device_id
    }

    /// Our identity.
    pub fn identity(&self) -> &IdentityKeyPair {
        &self.identity
    }

    /// How many one-time prekeys are left.
    pub fn pre_key_count(&self) -> usize {
        self.prekeys.len()
    }

    pub(crate) fn pre_key_secret(&self, id: u32) -> Option<[u8; 32]> {
        self.prekeys.get(&id).copied()
    }

    pub(crate) fn signed_pre_key_secret(&self, id: u32) -> Option<[u8; 32]> {
        if self.spk.id == id {
            return Some(self.spk.secret);
        }
        self.old_spk
            .as_ref()
            .filter(|k| k.id == id)
            .map(|k| k.secret)
    }

    /// Forgets a one-time prekey once a session built on it is kept (it must not be used twice).
    /// Returns whether we had it.
    pub fn remove_pre_key(&mut self, id: u32) -> bool {
        self.prekeys.remove(&id).is_some()
    }

    /// Tops the prekeys up to [`PRE_KEYS`] with fresh ids. Returns whether any were added (the
    /// bundles must then be published again).
    pub fn replenish(&mut self, entropy: &mut dyn Entropy) -> bool {
        let mut added = false;
        while self.prekeys.len() < PRE_KEYS {
            let id = self.next_pre_key_id;
            self.next_pre_key_id = if id >= 0x7fff_ffff { 1 } else { id + 1 };
            if self.prekeys.contains_key(&id) {
                continue;
            }
            self.prekeys.insert(id, entropy.array32());
            added = true;
        }
        added
    }

    /// Replaces the signed prekey when it is older than [`SIGNED_PRE_KEY_PERIOD`], keeping the
    /// previous one for key exchanges still in flight. `now` is Unix time in seconds. Returns
    /// whether it rotated (the bundles must then be published again).
    pub fn rotate_signed_pre_key(&mut self, now: u64, entropy: &mut dyn Entropy) -> bool {
        if now.saturating_sub(self.spk.created) < SIGNED_PRE_KEY_PERIOD {
            return false;
        }
        let id = if self.spk.id >= 0x7fff_ffff {
            1
        } else {
            self.spk.id + 1
        };
        let new = SignedPreKey {
            id,
            secret: entropy.array32(),
            created: now,
        };
        self.old_spk = Some(std::mem::replace(&mut self.spk, new));
        true
    }

    /// Our legacy bundle (`eu.siacs.conversations.axolotl.bundles:<device id>`).
    pub fn legacy_bundle(&self) -> legacy_omemo::Bundle {
        let spk = legacy_encode(&public_of(&self.spk.secret));
        legacy_omemo::Bundle {
            signed_pre_key_public: Some(legacy_omemo::SignedPreKeyPublic {
                signed_pre_key_id: Some(self.spk.id),
                data: spk.to_vec(),
            }),
            signed_pre_key_signature: Some(legacy_omemo::SignedPreKeySignature {
                data: self.identity.sign_legacy(&spk).to_vec(),
            }),
            identity_key: Some(legacy_omemo::IdentityKey {
                data: self.identity.public().legacy_bytes().to_vec(),
            }),
            prekeys: Some(legacy_omemo::Prekeys {
                keys: self
                    .prekeys
                    .iter()
                    .map(|(id, secret)| legacy_omemo::PreKeyPublic {
                        pre_key_id: *id,
                        data: legacy_encode(&public_of(secret)).to_vec(),
                    })
                    .collect(),
            }),
        }
    }

    /// Our OMEMO 2 bundle (item `<device id>` of `urn:xmpp:omemo:2:bundles`).
    pub fn omemo2_bundle(&self) -> xml::Bundle {
        let spk = public_of(&self.spk.secret);
        xml::Bundle {
            spk: xml::SignedPreKey {
                id: self.spk.id,
                data: spk.to_vec(),
            },
            spks: xml::SignedPreKeySignature {
                data: self.identity.sign(&spk).to_vec(),
            },
            ik: xml::IdentityKey {
                data: self.identity.ed_public().to_vec(),
            },
            prekeys: xml::PreKeys {
                keys: self
                    .prekeys
                    .iter()
                    .map(|(id, secret)| xml::PreKey {
                        id: *id,
                        data: public_of(secret).to_vec(),
                    })
                    .collect(),
            },
        }
    }
}
