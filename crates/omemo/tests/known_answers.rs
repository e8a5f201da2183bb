//! Known-answer tests against bytes python-omemo 2.1.0 produced (tests/vectors/omemo, made by
//! gen.py with a scripted random source and re-derived independently by verify.py). For each
//! generation and each vector file (one with Ed25519 sign bits set):
//! - python's bundle verifies and gives the keys Bob's state holds;
//! - Bob answers python's key exchange and gets the key material and body python encrypted;
//! - Alice, given python's random draws, produces python's key exchange byte for byte, and Bob's
//!   reply byte for byte, and decrypts it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::VecDeque;

use base64::Engine as _;
use linnet_omemo::payload;
use linnet_omemo::session::KeyExchange;
use linnet_omemo::xml;
use linnet_omemo::{Bundle, Entropy, Generation, IdentityKeyPair, OwnKeys, Session};
use minidom::Element;
use serde_json::Value;

/// Hands out python's draws in order, checking each has the length asked for.
struct Scripted(VecDeque<Vec<u8>>);

impl Entropy for Scripted {
    fn fill(&mut self, out: &mut [u8]) {
        let draw = self.0.pop_front().expect("no scripted draw left");
        assert_eq!(draw.len(), out.len(), "scripted draw of the wrong length");
        out.copy_from_slice(&draw);
    }
}

fn draws(generation: &Value, numbers: &[u64]) -> Scripted {
    let all = generation["rng_draws_in_order"].as_array().unwrap();
    Scripted(
        numbers
            .iter()
            .map(|n| {
                let draw = all.iter().find(|d| d["n"].as_u64() == Some(*n)).unwrap();
                hex::decode(draw["hex"].as_str().unwrap()).unwrap()
            })
            .collect(),
    )
}

/// python's JSON keeps bytes as latin-1 strings.
fn latin1(value: &Value) -> Vec<u8> {
    value
        .as_str()
        .unwrap()
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

fn arr32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().unwrap()
}

fn seed(identity: &Value) -> [u8; 32] {
    let key = identity["/ikp/key"].as_str().unwrap();
    arr32(
        &base64::engine::general_purpose::URL_SAFE
            .decode(key)
            .unwrap(),
    )
}

fn load(file: &str) -> Value {
    let path = format!(
        "{}/../../tests/vectors/omemo/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Bob's keys from python's state; prekey ids are those of the published bundle with the same
/// public key (python's state lists them in no particular order).
fn bob_keys(g: &Value, published: &Bundle) -> OwnKeys {
    let state = &g["bob_x3dh_state_json"];
    assert_eq!(state["identity_key"]["secret_type"], "SEED");
    let identity = IdentityKeyPair::from_seed(arr32(&latin1(&state["identity_key"]["secret"])));
    let prekeys = state["pre_keys"].as_array().unwrap().iter().map(|k| {
        let secret = arr32(&latin1(k));
        let public =
            x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(secret)).to_bytes();
        let id = published
            .prekeys
            .iter()
            .find(|(_, p)| *p == public)
            .expect("prekey not in the bundle")
            .0;
        (id, secret)
    });
    OwnKeys::from_parts(
        2002,
        identity,
        1,
        arr32(&latin1(&state["signed_pre_key"]["priv"])),
        0,
        prekeys,
    )
}

/// The one `<key/>` of a message: (data, kex flag), the IV (legacy) and the payload.
struct Wire {
    key: Vec<u8>,
    kex: bool,
    iv: Vec<u8>,
    payload: Vec<u8>,
    sid: u32,
}

fn wire(generation: Generation, xml_text: &str) -> Wire {
    let elem: Element = xml_text.parse().unwrap();
    match generation {
        Generation::Legacy => {
            let enc = xml::legacy::Encrypted::try_from(elem).unwrap();
            let key = &enc.header.keys[0];
            Wire {
                key: key.data.clone(),
                kex: key.prekey,
                iv: enc.header.iv.data.clone(),
                payload: enc.payload.unwrap().data,
                sid: enc.header.sid,
            }
        }
        Generation::Omemo2 => {
            let enc = xml::Encrypted::try_from(elem).unwrap();
            let key = &enc.header.keys[0].keys[0];
            Wire {
                key: key.data.clone(),
                kex: key.kex,
                iv: Vec::new(),
                payload: enc.payload.unwrap().data,
                sid: enc.header.sid,
            }
        }
    }
}

fn bundle(generation: Generation, g: &Value) -> Bundle {
    let elem: Element = g["bob_bundle_xml"].as_str().unwrap().parse().unwrap();
    match generation {
        Generation::Legacy => {
            Bundle::from_legacy(&xml::legacy::Bundle::try_from(elem).unwrap()).unwrap()
        }
        Generation::Omemo2 => Bundle::from_omemo2(&xml::Bundle::try_from(elem).unwrap()).unwrap(),
    }
}

fn run(file: &str, generation: Generation) {
    let all = load(file);
    let g = &all[match generation {
        Generation::Legacy => "oldmemo",
        Generation::Omemo2 => "twomemo",
    }];
    // Draw numbers in python's run (see the rng_draws_in_order callers).
    let (payload1, alice_kex, bob_reply_ratchet, payload2, alice_step): (
        &[u64],
        &[u64],
        u64,
        &[u64],
        u64,
    ) = match generation {
        Generation::Legacy => (&[6, 7], &[11, 12], 13, &[14, 15], 16),
        Generation::Omemo2 => (&[6], &[10, 11], 12, &[13], 14),
    };

    // The bundle python published verifies and carries the keys of Bob's state.
    let published = bundle(generation, g);
    let bob = bob_keys(g, &published);
    assert_eq!(published.identity, bob.identity().public());
    assert_eq!(published.identity_ed, Some(bob.identity().ed_public()));
    assert_eq!(published.spk_id, 1);
    assert_eq!(published.prekeys.len(), 2);
    // Our own bundle for the same keys parses back to the same public data.
    let ours = match generation {
        Generation::Legacy => Bundle::from_legacy(&bob.legacy_bundle()).unwrap(),
        Generation::Omemo2 => Bundle::from_omemo2(&bob.omemo2_bundle()).unwrap(),
    };
    assert_eq!(ours, published);

    // Message 1, Alice to Bob: a key exchange.
    let m1 = wire(generation, g["message1_alice_to_bob_xml"].as_str().unwrap());
    assert!(m1.kex);
    assert_eq!(m1.sid, 1001);
    let km1 = hex::decode(g["message1_payload_key_material_hex"].as_str().unwrap()).unwrap();
    let kex = KeyExchange::parse(generation, &m1.key).unwrap();
    assert_eq!((kex.pk_id, kex.spk_id), (1, 1));
    let alice = IdentityKeyPair::from_seed(seed(&g["alice_identity"]));
    assert_eq!(kex.identity, alice.public());
    let (mut bob_session, got) =
        Session::respond(&bob, &kex, &mut draws(g, &[bob_reply_ratchet])).unwrap();
    assert_eq!(got, km1);
    assert!(bob_session.is_same_kex(&kex));
    let body1 = match generation {
        Generation::Legacy => payload::open_legacy(&got, &m1.iv, &m1.payload).unwrap(),
        Generation::Omemo2 => payload::open_omemo2(&got, &m1.payload).unwrap(),
    };
    assert_eq!(body1, g["message1_plaintext"].as_str().unwrap().as_bytes());

    // Alice, with python's draws, writes exactly python's message 1.
    let mut alice_session =
        Session::initiate_with_prekey(&alice, &published, 1, &mut draws(g, alice_kex)).unwrap();
    let sealed = match generation {
        Generation::Legacy => payload::seal_legacy(b"Hello Bob", &mut draws(g, payload1)).unwrap(),
        Generation::Omemo2 => payload::seal_omemo2(b"Hello Bob", &mut draws(g, payload1)),
    };
    assert_eq!(*sealed.key_material, km1);
    assert_eq!(sealed.payload, m1.payload);
    assert_eq!(sealed.iv, m1.iv);
    let encrypted = alice_session.encrypt(&km1).unwrap();
    assert!(encrypted.kex);
    assert_eq!(encrypted.data, m1.key, "key exchange differs from python's");
    assert!(!alice_session.confirmed());

    // Message 2, Bob to Alice: Bob's reply is python's byte for byte, and Alice reads it.
    let m2 = wire(generation, g["message2_bob_to_alice_xml"].as_str().unwrap());
    assert!(!m2.kex);
    let km2 = hex::decode(g["message2_payload_key_material_hex"].as_str().unwrap()).unwrap();
    let reply = bob_session.encrypt(&km2).unwrap();
    assert!(!reply.kex);
    assert_eq!(reply.data, m2.key, "reply differs from python's");
    let got = alice_session
        .decrypt(&m2.key, &mut draws(g, &[alice_step]))
        .unwrap();
    assert_eq!(got, km2);
    assert!(alice_session.confirmed());
    let sealed = match generation {
        Generation::Legacy => {
            payload::seal_legacy(b"Hello Alice", &mut draws(g, payload2)).unwrap()
        }
        Generation::Omemo2 => payload::seal_omemo2(b"Hello Alice", &mut draws(g, payload2)),
    };
    assert_eq!(sealed.payload, m2.payload);
    let body2 = match generation {
        Generation::Legacy => payload::open_legacy(&got, &m2.iv, &m2.payload).unwrap(),
        Generation::Omemo2 => payload::open_omemo2(&got, &m2.payload).unwrap(),
    };
    assert_eq!(body2, g["message2_plaintext"].as_str().unwrap().as_bytes());

    // A replayed message is refused; a tampered one is refused and changes nothing, so the
    // genuine copy still decrypts after it.
    assert!(alice_session.decrypt(&m2.key, &mut draws(g, &[])).is_err());
    let m3 = bob_session.encrypt(b"third").unwrap();
    let mut tampered = m3.data.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        alice_session.decrypt(&tampered, &mut draws(g, &[])),
        Err(linnet_omemo::OmemoError::BadMac)
    );
    assert_eq!(
        alice_session.decrypt(&m3.data, &mut draws(g, &[])).unwrap(),
        b"third"
    );
}

#[test]
fn legacy_matches_python_omemo() {
    run("vectors.json", Generation::Legacy);
}

#[test]
fn legacy_matches_python_omemo_with_sign_bits_set() {
    run("vectors-signbit.json", Generation::Legacy);
}

#[test]
fn omemo2_matches_python_omemo() {
    run("vectors.json", Generation::Omemo2);
}

#[test]
fn omemo2_matches_python_omemo_with_sign_bits_set() {
    run("vectors-signbit.json", Generation::Omemo2);
}
