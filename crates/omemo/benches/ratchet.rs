//! Benchmark (not a test): the cost of OMEMO's own work, per generation.
//! - making a device's keys (identity, signed prekey, 100 prekeys) on first use;
//! - a 10,000-message burst: each message's payload sealed, its key carried through the
//!   ratchet, then read and opened on the other side (with the session serialised after each
//!   message, as the engine stores it);
//! - starting a session from a bundle and answering its key exchange.
//!
//! Run: `cargo bench -p linnet-omemo --bench ratchet` (`LINNET_OMEMO_MESSAGES=<n>` changes
//! the burst size).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Instant;

use linnet_omemo::payload::{open_legacy, open_omemo2, seal_legacy, seal_omemo2};
use linnet_omemo::session::KeyExchange;
use linnet_omemo::{Bundle, Generation, OsEntropy, OwnKeys, Session};

fn bundle(keys: &OwnKeys, generation: Generation) -> Bundle {
    match generation {
        Generation::Legacy => Bundle::from_legacy(&keys.legacy_bundle()).unwrap(),
        Generation::Omemo2 => Bundle::from_omemo2(&keys.omemo2_bundle()).unwrap(),
    }
}

fn main() {
    let n: usize = std::env::var("LINNET_OMEMO_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let t = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        let keys = OwnKeys::generate(1, 0, &mut OsEntropy);
        std::hint::black_box((keys.legacy_bundle(), keys.omemo2_bundle()));
    }
    println!("keys for a new device (identity, signed prekey, 100 prekeys) and both bundles built: {:.2} ms", t.elapsed().as_secs_f64() * 1e3 / f64::from(rounds));

    for generation in [Generation::Legacy, Generation::Omemo2] {
        let alice = OwnKeys::generate(1, 0, &mut OsEntropy);
        let bob = OwnKeys::generate(2, 0, &mut OsEntropy);
        let t = Instant::now();
        let mut a =
            Session::initiate(alice.identity(), &bundle(&bob, generation), &mut OsEntropy).unwrap();
        let first = a.encrypt(&[7u8; 32]).unwrap();
        let kex = KeyExchange::parse(generation, &first.data).unwrap();
        let (mut b, _) = Session::respond(&bob, &kex, &mut OsEntropy).unwrap();
        let start_ms = t.elapsed().as_secs_f64() * 1e3;
        let reply = b.encrypt(&[8u8; 32]).unwrap();
        a.decrypt(&reply.data, &mut OsEntropy).unwrap();

        let bodies: Vec<String> = (0..n)
            .map(|i| format!("message number {i} of the burst"))
            .collect();
        let t = Instant::now();
        let mut sent = Vec::with_capacity(n);
        for body in &bodies {
            let sealed = match generation {
                Generation::Legacy => seal_legacy(body.as_bytes(), &mut OsEntropy).unwrap(),
                Generation::Omemo2 => seal_omemo2(body.as_bytes(), &mut OsEntropy),
            };
            let key = a.encrypt(&sealed.key_material).unwrap();
            sent.push((key.data, sealed.iv, sealed.payload));
        }
        let encrypt_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut stored = 0usize;
        for (key, iv, payload) in &sent {
            let km = b.decrypt(key, &mut OsEntropy).unwrap();
            let body = match generation {
                Generation::Legacy => open_legacy(&km, iv, payload).unwrap(),
                Generation::Omemo2 => open_omemo2(&km, payload).unwrap(),
            };
            std::hint::black_box(body);
            stored += serde_json::to_string(&b).unwrap().len();
        }
        let decrypt_s = t.elapsed().as_secs_f64();
        println!(
            "{generation:?}: session start (X3DH both sides) {start_ms:.2} ms; {n} messages: encrypt {:.3} s ({:.1} µs each), decrypt + store-serialise {:.3} s ({:.1} µs each, session JSON {} bytes)",
            encrypt_s,
            encrypt_s * 1e6 / n as f64,
            decrypt_s,
            decrypt_s * 1e6 / n as f64,
            stored / n.max(1)
        );
    }
}
