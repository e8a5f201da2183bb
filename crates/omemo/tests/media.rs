//! XEP-0454 encrypted files made by implementations other than ours (`tests/vectors/omemo/
//! media.json`, from slixmpp's xep_0454 plugin and pyca/cryptography): their links parse to the
//! upload's HTTPS URL and key, and their files decrypt to the original bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use linnet_omemo::media::{decrypt_file, EncryptedLink};
use linnet_omemo::OmemoError;
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/omemo/media.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn files_encrypted_by_slixmpp_and_with_old_16_byte_ivs_decrypt() {
    let v = vectors();
    let plain = hex::decode(v["plain"].as_str().unwrap()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let link = EncryptedLink::parse(case["link"].as_str().unwrap()).unwrap();
        assert_eq!(link.https, case["https"].as_str().unwrap());
        assert_eq!(
            link.to_link(),
            case["link"].as_str().unwrap(),
            "written back the same"
        );
        let mut sealed = hex::decode(case["sealed"].as_str().unwrap()).unwrap();
        assert_eq!(decrypt_file(&sealed, &link.key).unwrap(), plain);
        let last = sealed.len() - 1;
        sealed[last] ^= 0x80;
        assert!(matches!(
            decrypt_file(&sealed, &link.key),
            Err(OmemoError::BadMac)
        ));
    }
}
