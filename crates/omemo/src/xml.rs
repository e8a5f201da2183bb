//! The XML of both generations. Legacy elements are xmpp-parsers' `legacy_omemo` types; the
//! OMEMO 2 ones (XEP-0384 v0.9 §"Schema") are declared here with `xso` the same way, so both
//! parse and serialise through typed values, never text.

use xso::{text::Base64, AsXml, FromXml};

pub use xmpp_parsers::legacy_omemo as legacy;

/// `eu.siacs.conversations.axolotl`.
pub const NS_LEGACY: &str = "eu.siacs.conversations.axolotl";
/// The legacy device list node.
pub const NODE_LEGACY_DEVICES: &str = "eu.siacs.conversations.axolotl.devicelist";
/// The legacy bundle node of a device: this prefix, a colon, and the device id.
pub const NODE_LEGACY_BUNDLES: &str = "eu.siacs.conversations.axolotl.bundles";
/// `urn:xmpp:omemo:2`.
pub const NS_OMEMO2: &str = "urn:xmpp:omemo:2";
/// The OMEMO 2 device list node.
pub const NODE_OMEMO2_DEVICES: &str = "urn:xmpp:omemo:2:devices";
/// The OMEMO 2 bundles node (one item per device, item id = device id).
pub const NODE_OMEMO2_BUNDLES: &str = "urn:xmpp:omemo:2:bundles";

/// `<device id='…' label='…' labelsig='…'/>` in an OMEMO 2 device list.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "device")]
pub struct Device {
    /// Device id, 1..2^31−1.
    #[xml(attribute)]
    pub id: u32,
    /// A human-readable label (XEP-0384 v0.9: only shown when `labelsig` verifies).
    #[xml(attribute(default))]
    pub label: Option<String>,
    /// Base64 Ed25519 signature over the UTF-8 label.
    #[xml(attribute(default))]
    pub labelsig: Option<String>,
}

/// `<devices xmlns='urn:xmpp:omemo:2'/>`, item `current` of `urn:xmpp:omemo:2:devices`.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone, Default)]
#[xml(namespace = NS_OMEMO2, name = "devices")]
pub struct Devices {
    /// The devices (may be empty).
    #[xml(child(n = ..))]
    pub devices: Vec<Device>,
}

/// `<spk id='…'>` signed prekey (32 bytes).
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "spk")]
pub struct SignedPreKey {
    /// Signed prekey id.
    #[xml(attribute)]
    pub id: u32,
    /// X25519 public key.
    #[xml(text = Base64)]
    pub data: Vec<u8>,
}

/// `<spks/>`: Ed25519 signature over the signed prekey.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "spks")]
pub struct SignedPreKeySignature {
    /// 64 bytes.
    #[xml(text = Base64)]
    pub data: Vec<u8>,
}

/// `<ik/>`: the Ed25519 identity key.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "ik")]
pub struct IdentityKey {
    /// 32 bytes.
    #[xml(text = Base64)]
    pub data: Vec<u8>,
}

/// `<pk id='…'/>` one-time prekey.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "pk")]
pub struct PreKey {
    /// Prekey id.
    #[xml(attribute)]
    pub id: u32,
    /// X25519 public key.
    #[xml(text = Base64)]
    pub data: Vec<u8>,
}

/// `<prekeys/>`.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "prekeys")]
pub struct PreKeys {
    /// The prekeys.
    #[xml(child(n = ..))]
    pub keys: Vec<PreKey>,
}

/// `<bundle xmlns='urn:xmpp:omemo:2'/>`.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "bundle")]
pub struct Bundle {
    /// Signed prekey.
    #[xml(child)]
    pub spk: SignedPreKey,
    /// Its signature.
    #[xml(child)]
    pub spks: SignedPreKeySignature,
    /// Identity key.
    #[xml(child)]
    pub ik: IdentityKey,
    /// One-time prekeys.
    #[xml(child)]
    pub prekeys: PreKeys,
}

/// `<key rid='…' kex='…'/>`.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "key")]
pub struct Key {
    /// The recipient device id.
    #[xml(attribute)]
    pub rid: u32,
    /// Whether this is an `OMEMOKeyExchange`.
    #[xml(attribute(default))]
    pub kex: bool,
    /// The encrypted key material.
    #[xml(text = Base64)]
    pub data: Vec<u8>,
}

/// `<keys jid='…'/>`: the keys for one recipient's devices.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "keys")]
pub struct Keys {
    /// The recipient's bare JID.
    #[xml(attribute)]
    pub jid: String,
    /// One per device.
    #[xml(child(n = ..))]
    pub keys: Vec<Key>,
}

/// `<header sid='…'/>`.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "header")]
pub struct Header {
    /// The sending device id.
    #[xml(attribute)]
    pub sid: u32,
    /// Keys grouped by recipient.
    #[xml(child(n = ..))]
    pub keys: Vec<Keys>,
}

/// `<payload/>`: the encrypted envelope.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "payload")]
pub struct Payload {
    /// AES-256-CBC ciphertext.
    #[xml(text = Base64)]
    pub data: Vec<u8>,
}

/// `<encrypted xmlns='urn:xmpp:omemo:2'/>`; without a payload it is an empty message.
#[derive(FromXml, AsXml, PartialEq, Debug, Clone)]
#[xml(namespace = NS_OMEMO2, name = "encrypted")]
pub struct Encrypted {
    /// The header.
    #[xml(child)]
    pub header: Header,
    /// The payload, absent for empty messages.
    #[xml(child(default))]
    pub payload: Option<Payload>,
}

impl Encrypted {
    /// Our key in this message: the `<key/>` for `device_id` under `<keys jid='own bare JID'/>`.
    pub fn key_for(&self, bare_jid: &str, device_id: u32) -> Option<&Key> {
        self.header
            .keys
            .iter()
            .filter(|k| k.jid == bare_jid)
            .flat_map(|k| k.keys.iter())
            .find(|k| k.rid == device_id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use minidom::Element;

    #[test]
    fn omemo2_elements_parse_from_the_xep_shapes_and_round_trip() {
        let xml = r#"<encrypted xmlns='urn:xmpp:omemo:2'><header sid='27183'><keys jid='juliet@capulet.lit'><key rid='31415'>AQID</key></keys><keys jid='romeo@montague.lit'><key rid='1337'>AQID</key><key kex='true' rid='12321'>BAUG</key></keys></header><payload>BwgJ</payload></encrypted>"#;
        let elem: Element = xml.parse().unwrap();
        let enc = Encrypted::try_from(elem.clone()).unwrap();
        assert_eq!(enc.header.sid, 27183);
        let key = enc.key_for("romeo@montague.lit", 12321).unwrap();
        assert!(key.kex);
        assert_eq!(key.data, vec![4, 5, 6]);
        assert!(!enc.key_for("romeo@montague.lit", 1337).unwrap().kex);
        assert!(enc.key_for("juliet@capulet.lit", 12321).is_none());
        assert_eq!(enc.payload.as_ref().unwrap().data, vec![7, 8, 9]);
        let back: Element = enc.clone().into();
        assert_eq!(Encrypted::try_from(back).unwrap(), enc);

        let devices: Element = "<devices xmlns='urn:xmpp:omemo:2'><device id='12345'/><device id='4223' label='Gajim on Ubuntu Linux' labelsig='YWJj'/></devices>".parse().unwrap();
        let devices = Devices::try_from(devices).unwrap();
        assert_eq!(devices.devices.len(), 2);
        assert_eq!(
            devices.devices[1].label.as_deref(),
            Some("Gajim on Ubuntu Linux")
        );
        let empty: Element = "<devices xmlns='urn:xmpp:omemo:2'/>".parse().unwrap();
        assert!(Devices::try_from(empty).unwrap().devices.is_empty());
    }
}
