//! Encrypted files (XEP-0454 "OMEMO Media Sharing", §3): the file is encrypted with AES-256-GCM
//! (the 16-byte tag appended to the ciphertext) and uploaded as it is; the message carries an
//! `aesgcm://` URL, the HTTPS URL of the upload with its scheme replaced, whose fragment is the IV
//! then the key in hex: 24 + 64 digits (12-byte IV, what XEP-0454 asks senders to use) or 32 + 64
//! (the 16-byte IV older Conversations versions sent, still accepted).

use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce};
use zeroize::{Zeroize, Zeroizing};

use crate::{Entropy, OmemoError};

/// The scheme of an encrypted file's link.
pub const SCHEME: &str = "aesgcm";

/// The key and IV of one encrypted file.
#[derive(Clone, PartialEq, Eq)]
pub struct FileKey {
    /// AES-256 key.
    pub key: Zeroizing<[u8; 32]>,
    /// GCM nonce: 12 bytes (current), or 16 (older senders).
    pub iv: Vec<u8>,
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileKey")
            .field("iv_len", &self.iv.len())
            .finish_non_exhaustive()
    }
}

/// A parsed `aesgcm://` link: where to download the ciphertext and how to decrypt it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedLink {
    /// The `https://` URL of the ciphertext (the link's host, port, path and query).
    pub https: String,
    /// Key and IV from the fragment.
    pub key: FileKey,
}

impl EncryptedLink {
    /// Parses an `aesgcm://` link (XEP-0454 §3).
    ///
    /// # Errors
    /// [`OmemoError::Malformed`] when the scheme is not `aesgcm`, there is no host, or the
    /// fragment is not 88 or 96 hex digits.
    pub fn parse(link: &str) -> Result<Self, OmemoError> {
        let rest = link
            .strip_prefix("aesgcm://")
            .ok_or(OmemoError::Malformed("not an aesgcm:// link"))?;
        if rest.starts_with('/') {
            // `https:///f` would read "f" as the host.
            return Err(OmemoError::Malformed("the link has no host"));
        }
        // The same URL over HTTPS (the `url` crate cannot switch a special scheme in place).
        let mut url = url::Url::parse(&format!("https://{rest}"))
            .map_err(|_| OmemoError::Malformed("the link is not a valid URL"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(OmemoError::Malformed("the link has no host"));
        }
        let fragment = url
            .fragment()
            .ok_or(OmemoError::Malformed("the link has no key"))?
            .to_owned();
        url.set_fragment(None);
        let iv_len = match fragment.len() {
            88 => 12,
            96 => 16,
            _ => {
                return Err(OmemoError::Malformed(
                    "the link's key is not 88 or 96 hex digits",
                ))
            }
        };
        let mut bytes = Zeroizing::new(
            hex::decode(&fragment)
                .map_err(|_| OmemoError::Malformed("the link's key is not hex"))?,
        );
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes[iv_len..]);
        let iv = bytes[..iv_len].to_vec();
        bytes.zeroize();
        Ok(EncryptedLink {
            https: url.into(),
            key: FileKey { key, iv },
        })
    }

    /// The `aesgcm://` link for an upload at `https_url` (which must start with `https://`).
    ///
    /// # Errors
    /// [`OmemoError::Malformed`] when `https_url` is not an `https://` URL or has a fragment.
    pub fn for_upload(https_url: &str, key: FileKey) -> Result<Self, OmemoError> {
        if !https_url.starts_with("https://") || https_url.contains('#') {
            return Err(OmemoError::Malformed(
                "uploads must be https:// URLs without a fragment",
            ));
        }
        Ok(EncryptedLink {
            https: https_url.to_owned(),
            key,
        })
    }

    /// The link as sent in a message body.
    pub fn to_link(&self) -> String {
        let location = self.https.strip_prefix("https://").unwrap_or(&self.https);
        format!(
            "{SCHEME}://{location}#{}{}",
            hex::encode(&self.key.iv),
            hex::encode(*self.key.key)
        )
    }
}

/// Encrypts a file for upload: ciphertext with the tag appended, and its new random key with a
/// 12-byte IV.
///
/// # Errors
/// [`OmemoError::Malformed`] when the file is too large for AES-GCM (64 GiB).
pub fn encrypt_file(
    plain: &[u8],
    entropy: &mut dyn Entropy,
) -> Result<(Vec<u8>, FileKey), OmemoError> {
    let key = Zeroizing::new(entropy.array32());
    let mut iv = vec![0u8; 12];
    entropy.fill(&mut iv);
    let cipher = AesGcm::<Aes256, U12>::new(key.as_slice().into());
    let sealed = cipher
        .encrypt(Nonce::<U12>::from_slice(&iv), plain)
        .map_err(|_| OmemoError::Malformed("file too large"))?;
    Ok((sealed, FileKey { key, iv }))
}

/// Decrypts a downloaded file (ciphertext with the 16-byte tag at its end).
///
/// # Errors
/// [`OmemoError::Malformed`] for an IV that is not 12 or 16 bytes or data shorter than a tag;
/// [`OmemoError::BadMac`] when the tag does not verify (a wrong key or a changed file).
pub fn decrypt_file(data: &[u8], key: &FileKey) -> Result<Vec<u8>, OmemoError> {
    if data.len() < 16 {
        return Err(OmemoError::Malformed("the file is shorter than its tag"));
    }
    let opened = match key.iv.len() {
        12 => AesGcm::<Aes256, U12>::new(key.key.as_slice().into())
            .decrypt(Nonce::<U12>::from_slice(&key.iv), data),
        16 => AesGcm::<Aes256, U16>::new(key.key.as_slice().into())
            .decrypt(Nonce::<U16>::from_slice(&key.iv), data),
        _ => return Err(OmemoError::Malformed("the file's IV is not 12 or 16 bytes")),
    };
    opened.map_err(|_| OmemoError::BadMac)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::OsEntropy;

    #[test]
    fn a_link_round_trips_and_its_parts_are_where_the_xep_puts_them() {
        let (_, key) = encrypt_file(b"x", &mut OsEntropy).unwrap();
        let link = EncryptedLink::for_upload(
            "https://upload.example.org:5281/f/abc/photo.jpg",
            key.clone(),
        )
        .unwrap();
        let text = link.to_link();
        assert!(text.starts_with("aesgcm://upload.example.org:5281/f/abc/photo.jpg#"));
        assert_eq!(text.split_once('#').unwrap().1.len(), 88);
        let back = EncryptedLink::parse(&text).unwrap();
        assert_eq!(back, link);
        assert_eq!(back.key, key);
    }

    #[test]
    fn bad_links_are_refused_with_a_reason() {
        let ok_fragment = "0".repeat(88);
        for bad in [
            format!("https://example.org/f#{ok_fragment}"),
            "aesgcm://example.org/f".to_owned(),
            format!("aesgcm:///f#{ok_fragment}"),
            format!("aesgcm://example.org/f#{}", "0".repeat(87)),
            format!("aesgcm://example.org/f#{}", "z".repeat(88)),
        ] {
            assert!(
                matches!(EncryptedLink::parse(&bad), Err(OmemoError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(EncryptedLink::for_upload(
            "http://example.org/f",
            FileKey {
                key: Zeroizing::new([0; 32]),
                iv: vec![0; 12],
            }
        )
        .is_err());
    }

    #[test]
    fn a_changed_file_or_a_wrong_key_is_refused() {
        let (mut sealed, key) = encrypt_file(b"holiday photo", &mut OsEntropy).unwrap();
        assert_eq!(decrypt_file(&sealed, &key).unwrap(), b"holiday photo");
        let (_, other) = encrypt_file(b"", &mut OsEntropy).unwrap();
        assert!(matches!(
            decrypt_file(&sealed, &other),
            Err(OmemoError::BadMac)
        ));
        sealed[0] ^= 1;
        assert!(matches!(
            decrypt_file(&sealed, &key),
            Err(OmemoError::BadMac)
        ));
        assert!(matches!(
            decrypt_file(&[0; 15], &key),
            Err(OmemoError::Malformed(_))
        ));
    }
}
