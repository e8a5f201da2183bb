//! Avatars: XEP-0084 (User Avatar, over PEP) and XEP-0153 (vCard-Based Avatars) as the
//! fallback for clients and servers without it.
//!
//! - A contact's (or our own account's) metadata notification (XEP-0084 §4.2, we announce
//!   `urn:xmpp:avatar:metadata+notify`) names the picture by the SHA-1 of its bytes; an
//!   empty `<metadata/>` says there is none (§4.5).
//! - A presence with `<x xmlns='vcard-temp:x:update'><photo>HASH</photo></x>` (XEP-0153 §4.3)
//!   names one the same way; an empty `<photo/>` says there is none, an `<x/>` without one
//!   says nothing.
//!
//! A picture is fetched once per hash, from the data node (XEP-0084 §4.1, the item named by
//! the hash) or the vCard (XEP-0054 `PHOTO/BINVAL`), only from our own account and roster
//! contacts. Its bytes must hash to the announced SHA-1 (else it is dropped, with a warning);
//! what is kept is a PNG we make of it ([`shown_png`]). Then [`EngineEvent::AvatarChanged`].

use std::collections::HashSet;
use std::io::Cursor;

use sha1::Digest as _;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::avatar::{Data, Info, Metadata};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::ns;
use tokio_xmpp::parsers::pubsub::event::Item as EventItem;
use tokio_xmpp::parsers::pubsub::pubsub::{Item, Items, Publish};
use tokio_xmpp::parsers::pubsub::{ItemId, NodeName, PubSub};
use tokio_xmpp::parsers::stanza_error::StanzaError;
use tokio_xmpp::parsers::vcard::{Binval, Photo, Type, VCard, VCardQuery};
use tokio_xmpp::parsers::vcard_update::VCardUpdate;

use super::iq::condition_words;
use super::{new_id, Context, IqPurpose};
use crate::event::EngineEvent;

/// The PEP node announcing avatars (XEP-0084 §4.2).
pub const METADATA_NODE: &str = ns::AVATAR_METADATA;

/// The PEP node holding the pictures (XEP-0084 §4.1).
pub const DATA_NODE: &str = ns::AVATAR_DATA;

/// Largest picture accepted from the network: 1 MiB (XEP-0084 §7 asks for far less).
pub const MAX_AVATAR_BYTES: usize = 1024 * 1024;

/// Edge of the square PNG kept and shown, px.
pub const SHOWN_EDGE: u32 = 128;

/// Edge of the square PNG we publish as our own, px (XEP-0084 §7 suggests 32–96; current
/// clients show larger ones, so we publish 192).
pub const PUBLISHED_EDGE: u32 = 192;

/// Where an announced picture is fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The owner's `urn:xmpp:avatar:data` node (XEP-0084 §4.1).
    Pep,
    /// The owner's vCard (XEP-0153 §3.2).
    VCard,
}

/// One fetch of ours in flight: whose picture, by which hash, from where.
#[derive(Debug)]
pub(crate) struct AvatarIq {
    pub jid: BareJid,
    pub hash: String,
    pub source: Source,
}

/// Pictures being fetched, by hash, so each is asked for once however often it is announced.
#[derive(Debug, Default)]
pub(crate) struct Avatars {
    fetching: HashSet<String>,
}

/// The SHA-1 of `data`, 40 lower-case hex digits (XEP-0084 §4.2 `id`, XEP-0153 `photo`).
pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(data))
}

/// The picture a metadata payload announces, by hash: the PNG one (every client can show
/// it, §4.2), else the first; `Ok(None)` for the empty metadata (no avatar, §4.5).
///
/// Errors: in words, for a payload that is no XEP-0084 metadata.
pub(crate) fn announced(payload: Element) -> Result<Option<String>, String> {
    let metadata = Metadata::try_from(payload).map_err(|e| format!("no avatar metadata: {e}"))?;
    let pick = metadata
        .infos
        .iter()
        .find(|i| i.type_ == "image/png")
        .or_else(|| metadata.infos.first());
    Ok(pick.map(|i| i.id.to_hex()))
}

/// The picture a presence's vCard update names (XEP-0153 §4.3): `Some(Some(hash))`, or
/// `Some(None)` for "no avatar" (an empty `<photo/>`); `None` when the presence says nothing.
pub(crate) fn vcard_update(payloads: &[Element]) -> Option<Option<String>> {
    let update = payloads
        .iter()
        .filter(|p| p.is("x", ns::VCARD_UPDATE))
        .find_map(|p| VCardUpdate::try_from(p.clone()).ok())?;
    Some(update.photo?.data.map(hex::encode))
}

/// The get for the picture `hash` from `jid`'s data node (XEP-0084 §4.1, Example 4).
pub fn data_request(jid: &BareJid, hash: &str) -> Iq {
    let mut items = Items::new(DATA_NODE);
    items.items = vec![Item {
        id: Some(ItemId(hash.to_owned())),
        publisher: None,
        payload: None,
    }];
    Iq::from_get(new_id(), PubSub::Items(items)).with_to(Jid::from(jid.clone()))
}

/// The get for `jid`'s vCard (XEP-0054 §3.1; our own when `None`).
pub fn vcard_request(jid: Option<&BareJid>) -> Iq {
    let iq = Iq::from_get(new_id(), VCardQuery);
    match jid {
        Some(jid) => iq.with_to(Jid::from(jid.clone())),
        None => iq,
    }
}

/// The bytes of picture `hash` in an answer to [`data_request`].
///
/// Errors: in words, when the answer holds no such item, or its bytes exceed
/// [`MAX_AVATAR_BYTES`] or do not hash to `hash`.
pub(crate) fn read_data(payload: Option<Element>, hash: &str) -> Result<Vec<u8>, String> {
    let pubsub = payload
        .map(PubSub::try_from)
        .transpose()
        .map_err(|e| format!("unreadable answer: {e}"))?;
    let Some(PubSub::Items(items)) = pubsub else {
        return Err("the answer holds no items".into());
    };
    let data = items
        .items
        .into_iter()
        .filter(|i| i.id.as_ref().is_none_or(|id| id.0 == hash))
        .find_map(|i| i.payload.and_then(|p| Data::try_from(p).ok()))
        .ok_or("the answer holds no avatar data")?;
    checked(data.data, hash)
}

/// The photo in an answer to [`vcard_request`], checked against `hash`.
///
/// Errors: in words, when the vCard has no photo, or it is too large or does not hash to
/// `hash`.
pub(crate) fn read_vcard_photo(payload: Option<Element>, hash: &str) -> Result<Vec<u8>, String> {
    let vcard = payload
        .map(VCard::try_from)
        .transpose()
        .map_err(|e| format!("unreadable vCard: {e}"))?;
    let photo = vcard
        .and_then(|v| v.photo)
        .ok_or("the vCard has no photo")?;
    checked(photo.binval.data, hash)
}

fn checked(data: Vec<u8>, hash: &str) -> Result<Vec<u8>, String> {
    if data.len() > MAX_AVATAR_BYTES {
        return Err(format!("the picture is {} bytes, over 1 MiB", data.len()));
    }
    let actual = sha1_hex(&data);
    if actual != hash {
        return Err(format!("the picture hashes to {actual}, not {hash}"));
    }
    Ok(data)
}

/// A square PNG of picture `data`, cut from its centre and fitted into `edge`² (never
/// enlarged).
///
/// Errors: in words, for data that is no PNG, JPEG, GIF or WebP picture, or one over
/// 12,000 px per edge or 256 MiB decoded.
pub fn square_png(data: &[u8], edge: u32) -> Result<(Vec<u8>, u32), String> {
    let picture = crate::api::previews::decode(data)?;
    let side = picture.width().min(picture.height());
    let x = (picture.width() - side) / 2;
    let y = (picture.height() - side) / 2;
    let mut square = picture.crop_imm(x, y, side, side);
    if side > edge {
        square = square.resize_exact(edge, edge, image::imageops::FilterType::Lanczos3);
    }
    let mut png = Vec::new();
    square
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| format!("the picture could not be written: {e}"))?;
    Ok((png, square.width()))
}

/// The PNG kept and shown for a fetched picture ([`SHOWN_EDGE`]).
///
/// Errors: as [`square_png`].
pub fn shown_png(data: &[u8]) -> Result<Vec<u8>, String> {
    square_png(data, SHOWN_EDGE).map(|(png, _)| png)
}

/// Our picture as published: PNG `png` (square, `edge` px), by its SHA-1 `hash`.
#[derive(Debug, Clone)]
pub struct OwnAvatar {
    /// The PNG bytes published.
    pub png: Vec<u8>,
    /// Their SHA-1, 40 hex digits.
    pub hash: String,
    /// Width and height, px.
    pub edge: u32,
}

impl OwnAvatar {
    /// The picture the user chose, made square and at most [`PUBLISHED_EDGE`] px.
    ///
    /// Errors: as [`square_png`].
    pub fn from_picture(data: &[u8]) -> Result<Self, String> {
        let (png, edge) = square_png(data, PUBLISHED_EDGE)?;
        let hash = sha1_hex(&png);
        Ok(Self { png, hash, edge })
    }
}

/// Publishing our picture to the data node, item named by its hash (XEP-0084 §4.1, Example 1).
pub fn publish_data(avatar: &OwnAvatar) -> Iq {
    publish(
        DATA_NODE,
        Some(avatar.hash.clone()),
        Data {
            data: avatar.png.clone(),
        }
        .into(),
    )
}

/// Publishing our metadata (XEP-0084 §4.2, Example 2); `None`: no avatar (§4.5, Example 8).
///
/// Errors: in words, when the hash is no SHA-1 or the PNG is over 4 GiB.
pub fn publish_metadata(avatar: Option<&OwnAvatar>) -> Result<Iq, String> {
    let infos = match avatar {
        Some(a) => vec![Info {
            bytes: u32::try_from(a.png.len()).map_err(|_| "the picture is too large")?,
            width: u16::try_from(a.edge).ok(),
            height: u16::try_from(a.edge).ok(),
            id: a.hash.parse().map_err(|e| format!("bad hash: {e}"))?,
            type_: "image/png".into(),
            url: None,
        }],
        None => vec![],
    };
    let id = avatar.map(|a| a.hash.clone());
    Ok(publish(METADATA_NODE, id, Metadata { infos }.into()))
}

/// A PEP publish (XEP-0163 §3, XEP-0060 §7.1) of one item `id` (`None`: the server names it)
/// holding `payload` to our node `node`.
pub(crate) fn publish(node: &str, id: Option<String>, payload: Element) -> Iq {
    let pubsub = PubSub::Publish {
        publish: Publish {
            node: NodeName(node.to_owned()),
            items: vec![Item {
                id: id.map(ItemId),
                publisher: None,
                payload: Some(payload),
            }],
        },
        publish_options: None,
    };
    Iq::from_set(new_id(), pubsub)
}

/// Our vCard `current` (as the server gave it; an empty one when `None`) with its photo
/// replaced by `avatar` (removed when `None`), to set (XEP-0153 §3.1, XEP-0054 §3.2): every
/// other field is kept as it was, even ones xmpp-parsers does not know.
pub fn vcard_set(current: Option<&Element>, avatar: Option<&OwnAvatar>) -> Iq {
    let kept = current
        .map(|c| {
            c.children()
                .filter(|e| !e.is("PHOTO", ns::VCARD))
                .cloned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let photo = avatar.map(|a| {
        Element::from(Photo {
            type_: Type {
                data: "image/png".into(),
            },
            binval: Binval {
                data: a.png.clone(),
            },
        })
    });
    let vcard = Element::builder("vCard", ns::VCARD)
        .append_all(kept)
        .append_all(photo)
        .build();
    // Built with the minidom builder: the vCard keeps fields xmpp-parsers does not model.
    Iq::Set {
        from: None,
        to: None,
        id: new_id(),
        payload: vcard,
    }
}

impl Avatars {
    /// A metadata notification (XEP-0084 §4.3) from `from` (our own account when `None`).
    pub(crate) async fn on_metadata(
        &mut self,
        ctx: &mut Context,
        from: Option<&Jid>,
        items: Vec<EventItem>,
    ) {
        let jid = from.map_or_else(|| ctx.jid.clone(), Jid::to_bare);
        // The newest item is the current one (a node keeps one, §4.2).
        let Some(payload) = items.into_iter().filter_map(|i| i.payload).last() else {
            return;
        };
        match announced(payload) {
            Ok(hash) => self.show(ctx, jid, hash, Source::Pep).await,
            Err(e) => tracing::info!(account = ctx.account_id, "avatar of {jid} ignored: {e}"),
        }
    }

    /// A contact's presence payloads: a vCard update there (XEP-0153 §4.3) is followed.
    pub(crate) async fn on_presence(
        &mut self,
        ctx: &mut Context,
        from: &Jid,
        payloads: &[Element],
    ) {
        let Some(hash) = vcard_update(payloads) else {
            return;
        };
        let jid = from.to_bare();
        // Nothing new: no lookup, no fetch (every presence of a contact carries it).
        let current = ctx.store.avatar_of(ctx.account_id, jid.as_str()).await;
        if current.as_ref().is_ok_and(|c| *c == hash) {
            return;
        }
        self.show(ctx, jid, hash, Source::VCard).await;
    }

    /// Makes `jid` show picture `hash`: at once when it is here, else once it is fetched.
    async fn show(
        &mut self,
        ctx: &mut Context,
        jid: BareJid,
        hash: Option<String>,
        source: Source,
    ) {
        let own = jid == ctx.jid;
        if !ctx.follows(&jid).await {
            tracing::debug!(
                account = ctx.account_id,
                "avatar of {jid} not followed: not a contact"
            );
            return;
        }
        if own && ctx.own_avatar.as_ref() != Some(&hash) {
            ctx.own_avatar = Some(hash.clone());
            ctx.own_avatar_changed = true;
        }
        let Some(hash) = hash else {
            self.apply(ctx, &jid, None).await;
            return;
        };
        match ctx.store.has_avatar_image(&hash).await {
            Ok(true) => self.apply(ctx, &jid, Some(&hash)).await,
            Ok(false) if self.fetching.insert(hash.clone()) => {
                let iq = match source {
                    Source::Pep => data_request(&jid, &hash),
                    Source::VCard if own => vcard_request(None),
                    Source::VCard => vcard_request(Some(&jid)),
                };
                ctx.request(iq, IqPurpose::Avatar(AvatarIq { jid, hash, source }));
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(account = ctx.account_id, "avatar lookup: {e}"),
        }
    }

    async fn apply(&self, ctx: &mut Context, jid: &BareJid, hash: Option<&str>) {
        match ctx
            .store
            .set_avatar(ctx.account_id, jid.as_str(), hash)
            .await
        {
            Ok(true) => ctx.emit(EngineEvent::AvatarChanged {
                account_id: ctx.account_id,
                jid: jid.to_string(),
                hash: hash.map(str::to_owned),
            }),
            Ok(false) => {}
            Err(e) => tracing::warn!(account = ctx.account_id, "storing the avatar of {jid}: {e}"),
        }
    }

    /// The answer to one of our fetches: the picture checked, kept and shown.
    pub(crate) async fn on_answer(
        &mut self,
        ctx: &mut Context,
        fetch: AvatarIq,
        answer: Result<Option<Element>, StanzaError>,
    ) {
        self.fetching.remove(&fetch.hash);
        let AvatarIq { jid, hash, source } = fetch;
        let data = match answer {
            Ok(payload) if source == Source::Pep => read_data(payload, &hash),
            Ok(payload) => read_vcard_photo(payload, &hash),
            Err(e) => Err(format!(
                "refused: {}",
                condition_words(&e.defined_condition)
            )),
        };
        let png = match data {
            Ok(data) => tokio::task::spawn_blocking(move || shown_png(&data))
                .await
                .unwrap_or_else(|e| Err(format!("the picture was not made: {e}"))),
            Err(e) => Err(e),
        };
        match png {
            Ok(png) => match ctx.store.set_avatar_image(&hash, &png).await {
                Ok(()) if source == Source::VCard => {
                    tracing::debug!(
                        account = ctx.account_id,
                        "avatar {hash} of {jid} from the vCard"
                    );
                    self.apply(ctx, &jid, Some(&hash)).await
                }
                Ok(()) => self.apply(ctx, &jid, Some(&hash)).await,
                Err(e) => tracing::warn!(account = ctx.account_id, "keeping an avatar: {e}"),
            },
            Err(e) => tracing::warn!(account = ctx.account_id, "avatar {hash} of {jid}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use tokio_xmpp::parsers::message::Message;
    use tokio_xmpp::parsers::presence::Presence;
    use tokio_xmpp::parsers::pubsub::event::{Event, Payload};

    /// A 2×1 PNG whose SHA-1 the tests compute.
    fn tiny_png() -> Vec<u8> {
        let img = image::RgbImage::from_pixel(2, 1, image::Rgb([200, 10, 10]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        png
    }

    #[test]
    fn a_metadata_notification_names_the_png_picture() {
        // XEP-0084 §4.3, Example 3 (with a second, non-PNG picture first).
        let xml = "<message xmlns='jabber:client' to='romeo@montague.lit/home' from='juliet@capulet.lit'>
              <event xmlns='http://jabber.org/protocol/pubsub#event'>
                <items node='urn:xmpp:avatar:metadata'>
                  <item id='111f4b3c50d7b0df729d299bc6f8e9ef9066971f'>
                    <metadata xmlns='urn:xmpp:avatar:metadata'>
                      <info bytes='23456' height='64' id='222f4b3c50d7b0df729d299bc6f8e9ef9066971f' type='image/gif' width='64'/>
                      <info bytes='12345' height='64' id='111f4b3c50d7b0df729d299bc6f8e9ef9066971f' type='image/png' width='64'/>
                    </metadata>
                  </item>
                </items>
              </event>
            </message>";
        let message = Message::try_from(xml.parse::<Element>().unwrap()).unwrap();
        let event = message
            .payloads
            .into_iter()
            .find_map(|p| Event::try_from(p).ok())
            .unwrap();
        let Payload::Items {
            node, published, ..
        } = event.payload
        else {
            panic!("no items");
        };
        assert_eq!(node.0, METADATA_NODE);
        let payload = published.into_iter().next().unwrap().payload.unwrap();
        assert_eq!(
            announced(payload).unwrap().as_deref(),
            Some("111f4b3c50d7b0df729d299bc6f8e9ef9066971f")
        );
    }

    #[test]
    fn empty_metadata_says_no_avatar_and_garbage_is_an_error() {
        // XEP-0084 §4.5, Example 8.
        let empty: Element = "<metadata xmlns='urn:xmpp:avatar:metadata'/>"
            .parse()
            .unwrap();
        assert_eq!(announced(empty).unwrap(), None);
        let bad: Element = "<metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='x' id='zz' type='image/png'/></metadata>"
            .parse()
            .unwrap();
        assert!(announced(bad).is_err());
    }

    #[test]
    fn a_presence_vcard_update_names_a_picture_none_or_nothing() {
        // XEP-0153 §4.3, Example 3; then §4.2's empty photo; then an update with no photo.
        let with = "<presence xmlns='jabber:client' from='juliet@capulet.com/balcony'>
              <x xmlns='vcard-temp:x:update'><photo>01b87fcd030b72895ff8e88db57ec525450f000d</photo></x>
            </presence>";
        let p = Presence::try_from(with.parse::<Element>().unwrap()).unwrap();
        assert_eq!(
            vcard_update(&p.payloads),
            Some(Some("01b87fcd030b72895ff8e88db57ec525450f000d".into()))
        );
        let empty = "<presence xmlns='jabber:client'><x xmlns='vcard-temp:x:update'><photo/></x></presence>";
        let p = Presence::try_from(empty.parse::<Element>().unwrap()).unwrap();
        assert_eq!(vcard_update(&p.payloads), Some(None));
        let silent = "<presence xmlns='jabber:client'><x xmlns='vcard-temp:x:update'/></presence>";
        let p = Presence::try_from(silent.parse::<Element>().unwrap()).unwrap();
        assert_eq!(vcard_update(&p.payloads), None);
        let plain = "<presence xmlns='jabber:client'/>";
        let p = Presence::try_from(plain.parse::<Element>().unwrap()).unwrap();
        assert_eq!(vcard_update(&p.payloads), None);
    }

    #[test]
    fn data_is_read_only_when_it_hashes_to_the_announced_id() {
        let png = tiny_png();
        let hash = sha1_hex(&png);
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        // XEP-0084 §4.1, Example 5's shape: the item named by the hash.
        let xml = format!(
            "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:data'>
               <item id='{hash}'><data xmlns='urn:xmpp:avatar:data'>{b64}</data></item>
             </items></pubsub>"
        );
        let answer: Element = xml.parse().unwrap();
        assert_eq!(read_data(Some(answer.clone()), &hash).unwrap(), png);
        // An item named by another hash is not the one asked for; one named right whose
        // bytes hash otherwise is refused.
        let wrong = "0".repeat(40);
        assert!(read_data(Some(answer), &wrong).is_err());
        let forged: Element = xml.replace(&hash, &wrong).parse().unwrap();
        assert!(read_data(Some(forged), &wrong)
            .unwrap_err()
            .contains("hashes to"));
        assert!(read_data(None, &hash).is_err());
    }

    #[test]
    fn a_vcard_photo_is_read_and_checked() {
        let png = tiny_png();
        let hash = sha1_hex(&png);
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        // XEP-0153 §3.1, Example 1's shape (BINVAL may be wrapped).
        let xml = format!(
            "<vCard xmlns='vcard-temp'><FN>Juliet</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>{}\n{}</BINVAL></PHOTO></vCard>",
            &b64[..10],
            &b64[10..]
        );
        assert_eq!(
            read_vcard_photo(Some(xml.parse().unwrap()), &hash).unwrap(),
            png
        );
        let without: Element = "<vCard xmlns='vcard-temp'><FN>Juliet</FN></vCard>"
            .parse()
            .unwrap();
        assert!(read_vcard_photo(Some(without), &hash).is_err());
    }

    #[test]
    fn our_picture_is_square_and_published_in_both_forms() {
        let img = image::RgbImage::from_pixel(400, 300, image::Rgb([1, 2, 3]));
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let own = OwnAvatar::from_picture(&jpeg).unwrap();
        assert_eq!(own.edge, PUBLISHED_EDGE);
        let shown = image::load_from_memory(&own.png).unwrap();
        assert_eq!((shown.width(), shown.height()), (192, 192));
        assert_eq!(own.hash, sha1_hex(&own.png));

        let data: Element = publish_data(&own).into();
        let item = data
            .get_child("pubsub", ns::PUBSUB)
            .and_then(|p| p.get_child("publish", ns::PUBSUB))
            .and_then(|p| p.get_child("item", ns::PUBSUB))
            .unwrap();
        assert_eq!(item.attr("id"), Some(own.hash.as_str()));
        let meta: Element = publish_metadata(Some(&own)).unwrap().into();
        let info = meta
            .get_child("pubsub", ns::PUBSUB)
            .and_then(|p| p.get_child("publish", ns::PUBSUB))
            .and_then(|p| p.get_child("item", ns::PUBSUB))
            .and_then(|i| i.get_child("metadata", METADATA_NODE))
            .and_then(|m| m.get_child("info", METADATA_NODE))
            .unwrap();
        assert_eq!(info.attr("id"), Some(own.hash.as_str()));
        assert_eq!(info.attr("type"), Some("image/png"));
        assert_eq!(info.attr("width"), Some("192"));
        let cleared: Element = publish_metadata(None).unwrap().into();
        let metadata = cleared
            .get_child("pubsub", ns::PUBSUB)
            .and_then(|p| p.get_child("publish", ns::PUBSUB))
            .and_then(|p| p.get_child("item", ns::PUBSUB))
            .and_then(|i| i.get_child("metadata", METADATA_NODE))
            .unwrap();
        assert_eq!(metadata.children().count(), 0);

        // The vCard keeps its other fields and gets the photo.
        let current: Element =
            "<vCard xmlns='vcard-temp'><FN>Romeo</FN><PHOTO><EXTVAL>https://x.invalid/a</EXTVAL></PHOTO></vCard>"
                .parse()
                .unwrap();
        let set: Element = vcard_set(Some(&current), Some(&own)).into();
        let vcard = set.get_child("vCard", ns::VCARD).unwrap();
        assert!(vcard.get_child("FN", ns::VCARD).is_some());
        assert_eq!(vcard.children().filter(|c| c.name() == "PHOTO").count(), 1);
        let back = read_vcard_photo(Some(vcard.clone()), &own.hash).unwrap();
        assert_eq!(back, own.png);
        let removed: Element = vcard_set(Some(&current), None).into();
        let vcard = removed.get_child("vCard", ns::VCARD).unwrap();
        assert!(vcard.get_child("PHOTO", ns::VCARD).is_none());
        assert!(vcard.get_child("FN", ns::VCARD).is_some());
    }

    #[test]
    fn what_is_no_picture_is_refused_in_words() {
        assert!(shown_png(b"not a picture").is_err());
    }
}
