//! Payload encryption: the message body (legacy) or XEP-0420 envelope (OMEMO 2), encrypted once
//! with a fresh key that is then carried to each device through its session.
//!
//! - legacy (XEP-0384 v0.3.0 §4.5): AES-128-GCM, 16-byte key, 12-byte IV; the `<payload/>` is
//!   the ciphertext without the tag; the key material is `key(16) || tag(16)`.
//! - OMEMO 2 (XEP-0384 §"Message Encryption"): `HKDF(0*32, key(32), "OMEMO Payload", 80)` gives
//!   an AES-256-CBC key, an HMAC key and an IV; the key material is `key(32) || HMAC(ct)[..16]`.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, AesGcm, Nonce};
use zeroize::{Zeroize, Zeroizing};

use crate::entropy::Entropy;
use crate::kdf::{hkdf, hmac, mac_eq};
use crate::OmemoError;

/// An encrypted payload and the key material to send to every device.
pub struct Sealed {
    /// The `<payload/>` content.
    pub payload: Vec<u8>,
    /// Legacy only: the `<iv/>` content (12 bytes).
    pub iv: Vec<u8>,
    /// What each device's session encrypts (legacy 32 bytes, OMEMO 2 48 bytes).
    pub key_material: Zeroizing<Vec<u8>>,
}

/// Legacy: encrypts `body` (UTF-8) with AES-128-GCM.
///
/// # Errors
/// [`OmemoError::Malformed`] when the body is beyond GCM's limit (64 GiB).
pub fn seal_legacy(body: &[u8], entropy: &mut dyn Entropy) -> Result<Sealed, OmemoError> {
    let mut key = [0u8; 16];
    let mut iv = [0u8; 12];
    entropy.fill(&mut key);
    entropy.fill(&mut iv);
    let cipher = Aes128Gcm::new(&key.into());
    let mut sealed = cipher
        .encrypt(Nonce::from_slice(&iv), body)
        .map_err(|_| OmemoError::Malformed("payload too large"))?;
    let tag = sealed.split_off(sealed.len().saturating_sub(16));
    let key_material = Zeroizing::new([&key[..], &tag].concat());
    key.zeroize();
    Ok(Sealed {
        payload: sealed,
        iv: iv.to_vec(),
        key_material,
    })
}

/// Legacy: decrypts a `<payload/>` with the key material from our `<key/>` and the `<iv/>`.
/// Accepts `key(16) || tag(16)` and also the old form of a bare 16-byte key with the tag at the
/// end of the payload (as Dino does); IVs of 12 or 16 bytes.
///
/// # Errors
/// [`OmemoError::Malformed`] on bad lengths, [`OmemoError::BadMac`] when the tag does not verify.
pub fn open_legacy(key_material: &[u8], iv: &[u8], payload: &[u8]) -> Result<Vec<u8>, OmemoError> {
    let (key, sealed) = match key_material.len() {
        16 => (&key_material[..16], payload.to_vec()),
        32.. => (
            &key_material[..16],
            [payload, &key_material[16..32]].concat(),
        ),
        _ => return Err(OmemoError::Malformed("legacy key material length")),
    };
    let opened = match iv.len() {
        12 => Aes128Gcm::new_from_slice(key)
            .map_err(|_| OmemoError::Malformed("key length"))?
            .decrypt(Nonce::from_slice(iv), sealed.as_slice()),
        16 => AesGcm::<aes::Aes128, U16>::new_from_slice(key)
            .map_err(|_| OmemoError::Malformed("key length"))?
            .decrypt(
                aes_gcm::aead::generic_array::GenericArray::from_slice(iv),
                sealed.as_slice(),
            ),
        _ => return Err(OmemoError::Malformed("legacy IV length")),
    };
    opened.map_err(|_| OmemoError::BadMac)
}

/// Legacy: the key material of an empty (key transport) message: 16 random bytes.
pub fn empty_legacy(entropy: &mut dyn Entropy) -> (Zeroizing<Vec<u8>>, Vec<u8>) {
    let mut key = Zeroizing::new(vec![0u8; 16]);
    let mut iv = vec![0u8; 12];
    entropy.fill(&mut key);
    entropy.fill(&mut iv);
    (key, iv)
}

/// OMEMO 2: the key material of an empty message: 32 zero bytes.
pub fn empty_omemo2() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(vec![0u8; 32])
}

struct PayloadKeys {
    enc: [u8; 32],
    auth: [u8; 32],
    iv: [u8; 16],
}

impl Drop for PayloadKeys {
    fn drop(&mut self) {
        self.enc.zeroize();
        self.auth.zeroize();
    }
}

fn omemo2_keys(key: &[u8]) -> PayloadKeys {
    let mut out = [0u8; 80];
    hkdf(&[0u8; 32], key, b"OMEMO Payload", &mut out);
    let mut keys = PayloadKeys {
        enc: [0; 32],
        auth: [0; 32],
        iv: [0; 16],
    };
    keys.enc.copy_from_slice(&out[..32]);
    keys.auth.copy_from_slice(&out[32..64]);
    keys.iv.copy_from_slice(&out[64..]);
    out.zeroize();
    keys
}

/// OMEMO 2: encrypts an envelope (the XEP-0420 `<envelope/>` bytes).
pub fn seal_omemo2(envelope: &[u8], entropy: &mut dyn Entropy) -> Sealed {
    let mut key = entropy.array32();
    let keys = omemo2_keys(&key);
    let payload = cbc::Encryptor::<aes::Aes256>::new(&keys.enc.into(), &keys.iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(envelope);
    let tag = hmac(&keys.auth, &[&payload]);
    let key_material = Zeroizing::new([&key[..], &tag[..16]].concat());
    key.zeroize();
    Sealed {
        payload,
        iv: Vec::new(),
        key_material,
    }
}

/// OMEMO 2: decrypts a `<payload/>` with the 48 bytes of key material.
///
/// # Errors
/// [`OmemoError::Malformed`] on bad lengths or padding, [`OmemoError::BadMac`].
pub fn open_omemo2(key_material: &[u8], payload: &[u8]) -> Result<Vec<u8>, OmemoError> {
    if key_material.len() != 48 {
        return Err(OmemoError::Malformed("OMEMO 2 key material length"));
    }
    let keys = omemo2_keys(&key_material[..32]);
    let tag = hmac(&keys.auth, &[payload]);
    if !mac_eq(&tag[..16], &key_material[32..]) {
        return Err(OmemoError::BadMac);
    }
    cbc::Decryptor::<aes::Aes256>::new(&keys.enc.into(), &keys.iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(payload)
        .map_err(|_| OmemoError::Malformed("bad padding"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::OsEntropy;

    #[test]
    fn both_payloads_round_trip_and_refuse_tampering() {
        let sealed = seal_legacy("héllo".as_bytes(), &mut OsEntropy).unwrap();
        assert_eq!(sealed.key_material.len(), 32);
        assert_eq!(
            open_legacy(&sealed.key_material, &sealed.iv, &sealed.payload).unwrap(),
            "héllo".as_bytes()
        );
        let mut bad = sealed.payload.clone();
        bad[0] ^= 1;
        assert_eq!(
            open_legacy(&sealed.key_material, &sealed.iv, &bad),
            Err(OmemoError::BadMac)
        );
        // The old form: bare key, tag appended to the payload.
        let old = [sealed.payload.as_slice(), &sealed.key_material[16..]].concat();
        assert_eq!(
            open_legacy(&sealed.key_material[..16], &sealed.iv, &old).unwrap(),
            "héllo".as_bytes()
        );

        let sealed = seal_omemo2(b"<envelope/>", &mut OsEntropy);
        assert_eq!(sealed.key_material.len(), 48);
        assert_eq!(
            open_omemo2(&sealed.key_material, &sealed.payload).unwrap(),
            b"<envelope/>"
        );
        let mut bad = sealed.payload.clone();
        bad[0] ^= 1;
        assert_eq!(
            open_omemo2(&sealed.key_material, &bad),
            Err(OmemoError::BadMac)
        );
    }
}
