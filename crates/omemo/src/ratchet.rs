//! The Double Ratchet (Signal's specification, as XEP-0384 §"Double Ratchet" profiles it).
//!
//! The KDFs differ between the generations only in their info strings:
//! root chain `"WhisperRatchet"` / `"OMEMO Root Chain"`, message keys `"WhisperMessageKeys"` /
//! `"OMEMO Message Key Material"`. The chain step is libsignal's: `mk = HMAC(ck, 0x01)`,
//! `ck' = HMAC(ck, 0x02)`.

use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::entropy::Entropy;
use crate::kdf::{hkdf, hmac};
use crate::{Generation, OmemoError, MAX_SKIP};

/// What a message header says: the sender's ratchet key, its number `n` and the previous chain
/// length `pn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub dh: [u8; 32],
    pub n: u32,
    pub pn: u32,
}

#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct SkippedKey {
    dh: [u8; 32],
    n: u32,
    mk: [u8; 32],
}

/// One side's ratchet state. Secret material is wiped on drop.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Ratchet {
    #[zeroize(skip)]
    generation: Generation,
    root: [u8; 32],
    own_secret: [u8; 32],
    own_public: [u8; 32],
    remote: Option<[u8; 32]>,
    send_chain: Option<[u8; 32]>,
    recv_chain: Option<[u8; 32]>,
    ns: u32,
    nr: u32,
    pn: u32,
    skipped: Vec<SkippedKey>,
}

/// X25519, refusing an all-zero (non-contributory) result.
pub(crate) fn dh(secret: &[u8; 32], public: &[u8; 32]) -> Result<[u8; 32], OmemoError> {
    let shared = StaticSecret::from(*secret).diffie_hellman(&PublicKey::from(*public));
    if !shared.was_contributory() {
        return Err(OmemoError::LowOrderKey);
    }
    Ok(shared.to_bytes())
}

/// The X25519 public key of a secret.
pub(crate) fn public_of(secret: &[u8; 32]) -> [u8; 32] {
    PublicKey::from(&StaticSecret::from(*secret)).to_bytes()
}

fn root_kdf(generation: Generation, root: &[u8; 32], dh_out: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let info: &[u8] = match generation {
        Generation::Legacy => b"WhisperRatchet",
        Generation::Omemo2 => b"OMEMO Root Chain",
    };
    let mut out = [0u8; 64];
    hkdf(root, dh_out, info, &mut out);
    let mut new_root = [0u8; 32];
    let mut chain = [0u8; 32];
    new_root.copy_from_slice(&out[..32]);
    chain.copy_from_slice(&out[32..]);
    out.zeroize();
    (new_root, chain)
}

fn chain_step(chain: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    (hmac(chain, &[&[0x02]]), hmac(chain, &[&[0x01]]))
}

/// The encryption key (32), authentication key (32) and IV (16) for one message key.
pub(crate) struct MessageKeys {
    pub enc: [u8; 32],
    pub auth: [u8; 32],
    pub iv: [u8; 16],
}

impl Drop for MessageKeys {
    fn drop(&mut self) {
        self.enc.zeroize();
        self.auth.zeroize();
    }
}

pub(crate) fn message_keys(generation: Generation, mk: &[u8; 32]) -> MessageKeys {
    let info: &[u8] = match generation {
        Generation::Legacy => b"WhisperMessageKeys",
        Generation::Omemo2 => b"OMEMO Message Key Material",
    };
    let mut out = [0u8; 80];
    hkdf(&[0u8; 32], mk, info, &mut out);
    let mut keys = MessageKeys {
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

impl Ratchet {
    /// The initiating side (after X3DH): a fresh ratchet key, and a sending chain from
    /// `DH(ratchet, remote signed prekey)`.
    pub fn active(
        generation: Generation,
        shared_secret: [u8; 32],
        remote_spk: [u8; 32],
        entropy: &mut dyn Entropy,
    ) -> Result<Self, OmemoError> {
        let own_secret = entropy.array32();
        let (root, send_chain) =
            root_kdf(generation, &shared_secret, &dh(&own_secret, &remote_spk)?);
        Ok(Self {
            generation,
            root,
            own_public: public_of(&own_secret),
            own_secret,
            remote: Some(remote_spk),
            send_chain: Some(send_chain),
            recv_chain: None,
            ns: 0,
            nr: 0,
            pn: 0,
            skipped: Vec::new(),
        })
    }

    /// The responding side: our signed prekey is the first ratchet key; chains start with the
    /// first received message.
    pub fn passive(generation: Generation, shared_secret: [u8; 32], spk_secret: [u8; 32]) -> Self {
        Self {
            generation,
            root: shared_secret,
            own_public: public_of(&spk_secret),
            own_secret: spk_secret,
            remote: None,
            send_chain: None,
            recv_chain: None,
            ns: 0,
            nr: 0,
            pn: 0,
            skipped: Vec::new(),
        }
    }

    /// The header and message key for the next message we send.
    ///
    /// # Errors
    /// [`OmemoError::NoSession`] on a responding side that has not received a message yet.
    pub fn next_send(&mut self) -> Result<(Header, [u8; 32]), OmemoError> {
        let chain = self.send_chain.as_ref().ok_or(OmemoError::NoSession)?;
        let (next, mk) = chain_step(chain);
        self.send_chain = Some(next);
        let header = Header {
            dh: self.own_public,
            n: self.ns,
            pn: self.pn,
        };
        self.ns = self
            .ns
            .checked_add(1)
            .ok_or(OmemoError::OutOfOrder("sending chain exhausted"))?;
        Ok((header, mk))
    }

    /// The message key for a received header, advancing the state (callers work on a clone and
    /// keep it only once the message authenticated).
    pub fn receive(
        &mut self,
        header: &Header,
        entropy: &mut dyn Entropy,
    ) -> Result<[u8; 32], OmemoError> {
        if let Some(pos) = self
            .skipped
            .iter()
            .position(|s| s.dh == header.dh && s.n == header.n)
        {
            let key = self.skipped.remove(pos);
            return Ok(key.mk);
        }
        if self.remote != Some(header.dh) || self.recv_chain.is_none() {
            if self.recv_chain.is_some() {
                self.skip_until(header.pn)?;
            }
            self.step(header.dh, entropy)?;
        }
        if header.n < self.nr {
            return Err(OmemoError::OutOfOrder("message key already used"));
        }
        self.skip_until(header.n)?;
        let chain = self.recv_chain.as_ref().ok_or(OmemoError::NoSession)?;
        let (next, mk) = chain_step(chain);
        self.recv_chain = Some(next);
        self.nr += 1;
        Ok(mk)
    }

    /// How many messages we received in the current receiving chain (python-omemo sends an
    /// empty "heartbeat" message after 53).
    pub fn receiving_chain_length(&self) -> u32 {
        self.nr
    }

    fn skip_until(&mut self, until: u32) -> Result<(), OmemoError> {
        if until > self.nr.saturating_add(MAX_SKIP) {
            return Err(OmemoError::OutOfOrder("skips too many messages"));
        }
        let (Some(remote), Some(mut chain)) = (self.remote, self.recv_chain) else {
            return Ok(());
        };
        while self.nr < until {
            let (next, mk) = chain_step(&chain);
            chain = next;
            self.skipped.push(SkippedKey {
                dh: remote,
                n: self.nr,
                mk,
            });
            if self.skipped.len() > MAX_SKIP as usize {
                self.skipped.remove(0);
            }
            self.nr += 1;
        }
        self.recv_chain = Some(chain);
        Ok(())
    }

    fn step(&mut self, remote: [u8; 32], entropy: &mut dyn Entropy) -> Result<(), OmemoError> {
        self.pn = self.ns;
        self.ns = 0;
        self.nr = 0;
        self.remote = Some(remote);
        let (root, recv_chain) =
            root_kdf(self.generation, &self.root, &dh(&self.own_secret, &remote)?);
        self.own_secret = entropy.array32();
        self.own_public = public_of(&self.own_secret);
        let (root, send_chain) = root_kdf(self.generation, &root, &dh(&self.own_secret, &remote)?);
        self.root = root;
        self.recv_chain = Some(recv_chain);
        self.send_chain = Some(send_chain);
        Ok(())
    }
}
