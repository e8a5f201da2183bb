//! Sessions between two of our own devices, both generations: out-of-order delivery, repeated
//! key exchanges, long exchanges with ratchet steps, skipped-key limits, and wrong keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use linnet_omemo::session::KeyExchange;
use linnet_omemo::{Bundle, Generation, OmemoError, OsEntropy, OwnKeys, Session, MAX_SKIP};

fn bundle(keys: &OwnKeys, generation: Generation) -> Bundle {
    match generation {
        Generation::Legacy => Bundle::from_legacy(&keys.legacy_bundle()).unwrap(),
        Generation::Omemo2 => Bundle::from_omemo2(&keys.omemo2_bundle()).unwrap(),
    }
}

fn exchange(generation: Generation) {
    let alice = OwnKeys::generate(1, 0, &mut OsEntropy);
    let mut bob = OwnKeys::generate(2, 0, &mut OsEntropy);
    assert_eq!(bob.pre_key_count(), 100);
    let mut a =
        Session::initiate(alice.identity(), &bundle(&bob, generation), &mut OsEntropy).unwrap();
    let sent: Vec<_> = (0..5)
        .map(|i| a.encrypt(format!("m{i}").as_bytes()).unwrap())
        .collect();
    assert!(
        sent.iter().all(|m| m.kex),
        "the key exchange is attached until Bob answers"
    );

    // Bob gets message 3 first, then the others: every one is the same key exchange.
    let kex = KeyExchange::parse(generation, &sent[3].data).unwrap();
    let (mut b, first) = Session::respond(&bob, &kex, &mut OsEntropy).unwrap();
    assert_eq!(first, b"m3");
    assert!(bob.remove_pre_key(kex.pk_id));
    for i in [0usize, 4, 1, 2] {
        let kex = KeyExchange::parse(generation, &sent[i].data).unwrap();
        assert!(b.is_same_kex(&kex));
        // The prekey is gone, yet the repeated exchange still decrypts with the session.
        assert_eq!(
            Session::respond(&bob, &kex, &mut OsEntropy).unwrap_err(),
            OmemoError::UnknownPreKey(kex.pk_id)
        );
        assert_eq!(
            b.decrypt_kex_message(&kex, &mut OsEntropy).unwrap(),
            format!("m{i}").as_bytes()
        );
    }

    // A long conversation in bursts, each direction change a ratchet step.
    for round in 0..30 {
        let n = 1 + round % 4;
        let from_b: Vec<_> = (0..n)
            .map(|i| b.encrypt(format!("b{round}.{i}").as_bytes()).unwrap())
            .collect();
        assert!(from_b.iter().all(|m| !m.kex));
        for (i, m) in from_b.iter().enumerate().rev() {
            assert_eq!(
                a.decrypt(&m.data, &mut OsEntropy).unwrap(),
                format!("b{round}.{i}").as_bytes()
            );
        }
        assert!(a.confirmed());
        let m = a.encrypt(format!("a{round}").as_bytes()).unwrap();
        assert!(!m.kex, "no key exchange once Bob answered");
        assert_eq!(
            b.decrypt(&m.data, &mut OsEntropy).unwrap(),
            format!("a{round}").as_bytes()
        );
    }

    // Skipping more than MAX_SKIP keys is refused; the session still works afterwards.
    let skipped: Vec<_> = (0..=MAX_SKIP + 1)
        .map(|_| a.encrypt(b"x").unwrap())
        .collect();
    assert!(matches!(
        b.decrypt(&skipped.last().unwrap().data, &mut OsEntropy),
        Err(OmemoError::OutOfOrder(_))
    ));
    assert_eq!(b.decrypt(&skipped[0].data, &mut OsEntropy).unwrap(), b"x");

    // A third device cannot read Bob's messages to Alice.
    let carol = OwnKeys::generate(3, 0, &mut OsEntropy);
    let mut c =
        Session::initiate(carol.identity(), &bundle(&bob, generation), &mut OsEntropy).unwrap();
    let to_alice = b.encrypt(b"secret").unwrap();
    assert!(c.decrypt(&to_alice.data, &mut OsEntropy).is_err());
}

#[test]
fn legacy_sessions_survive_reordering_and_long_exchanges() {
    exchange(Generation::Legacy);
}

#[test]
fn omemo2_sessions_survive_reordering_and_long_exchanges() {
    exchange(Generation::Omemo2);
}

#[test]
fn a_bundle_with_a_forged_signature_is_refused() {
    let bob = OwnKeys::generate(2, 0, &mut OsEntropy);
    let mut legacy = bob.legacy_bundle();
    legacy.signed_pre_key_signature.as_mut().unwrap().data[5] ^= 1;
    assert_eq!(
        Bundle::from_legacy(&legacy).unwrap_err(),
        OmemoError::BadSignature
    );
    let mut omemo2 = bob.omemo2_bundle();
    omemo2.spk.data[0] ^= 1;
    assert_eq!(
        Bundle::from_omemo2(&omemo2).unwrap_err(),
        OmemoError::BadSignature
    );
}

#[test]
fn prekeys_are_replenished_and_the_signed_prekey_rotates_keeping_the_old_one() {
    let alice = OwnKeys::generate(1, 0, &mut OsEntropy);
    let mut bob = OwnKeys::generate(2, 0, &mut OsEntropy);
    let old_bundle = bundle(&bob, Generation::Omemo2);
    assert!(!bob.rotate_signed_pre_key(3600, &mut OsEntropy));
    assert!(bob.rotate_signed_pre_key(8 * 24 * 3600, &mut OsEntropy));
    assert_ne!(bundle(&bob, Generation::Omemo2).spk_id, old_bundle.spk_id);
    // A key exchange made from the bundle before the rotation still works.
    let mut a = Session::initiate(alice.identity(), &old_bundle, &mut OsEntropy).unwrap();
    let kex = KeyExchange::parse(Generation::Omemo2, &a.encrypt(b"late").unwrap().data).unwrap();
    let (_, got) = Session::respond(&bob, &kex, &mut OsEntropy).unwrap();
    assert_eq!(got, b"late");
    assert!(bob.remove_pre_key(kex.pk_id));
    assert_eq!(bob.pre_key_count(), 99);
    assert!(bob.replenish(&mut OsEntropy));
    assert_eq!(bob.pre_key_count(), 100);
    assert!(!bob.replenish(&mut OsEntropy));
    // Survives a store round trip.
    let stored = serde_json::to_string(&bob).unwrap();
    let back: OwnKeys = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        bundle(&back, Generation::Legacy),
        bundle(&bob, Generation::Legacy)
    );
}
