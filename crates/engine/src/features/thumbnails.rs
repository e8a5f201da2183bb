//! What an image looks like, in Stateless File Sharing's metadata (XEP-0446 §2 `<width/>`,
//! `<height/>` and `<thumbnail/>`): the thumbnail is a XEP-0264 `<thumbnail/>` whose `cid:`
//! URI names XEP-0231 Bits of Binary data carried in the same message (§2: a `<data/>`
//! element beside the payload, so nothing is fetched to show it). Ours is a JPEG of at
//! most [`THUMBNAIL_EDGE`] px made by `api::previews`; a sender's is taken only when its
//! data is in the message, is small, and hashes to its cid.

use std::str::FromStr;

use sha1::Digest as _;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::bob::{ContentId, Data};
use tokio_xmpp::parsers::jingle_thumbnails::Thumbnail as ThumbnailElement;
use tokio_xmpp::parsers::message::Message;
use tokio_xmpp::parsers::ns;

/// XEP-0446 File metadata's namespace.
const FILE_NS: &str = "urn:xmpp:file:metadata:0";

use crate::store::{ImageInfo, Thumbnail};

/// The longer edge of our thumbnails, px.
pub const THUMBNAIL_EDGE: u32 = 96;

/// Largest thumbnail taken from a sender: 16 KiB (XEP-0231 §2 wants BoB data in a message
/// small; ours are about 3 KiB).
const MAX_THUMBNAIL_BYTES: usize = 16 * 1024;

/// How long a receiver may cache our thumbnail (XEP-0231 `max-age`, seconds): a day.
const MAX_AGE: usize = 86_400;

/// Media types of thumbnails we show.
const SHOWN: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];

fn child(tag: &str, text: String) -> Element {
    Element::builder(tag, FILE_NS).append(text).build()
}

/// The XEP-0446 children that describe an image (`<width/>`, `<height/>`, `<thumbnail/>`),
/// and the XEP-0231 `<data/>` payload the thumbnail names (for the message itself).
pub(crate) fn image_elements(image: &ImageInfo) -> (Vec<Element>, Option<Element>) {
    let mut children = Vec::new();
    if let (Some(width), Some(height)) = (image.width, image.height) {
        children.push(child("width", width.to_string()));
        children.push(child("height", height.to_string()));
    }
    let Some(thumb) = &image.thumbnail else {
        return (children, None);
    };
    let cid_text = format!(
        "sha1+{}@bob.xmpp.org",
        hex::encode(sha1::Sha1::digest(&thumb.data))
    );
    let Ok(cid) = ContentId::from_str(&cid_text) else {
        return (children, None);
    };
    let edge = |px: u32| u16::try_from(px).ok().and_then(std::num::NonZeroU16::new);
    children.push(
        ThumbnailElement {
            uri: format!("cid:{cid_text}"),
            media_type: Some(thumb.media_type.clone()),
            width: edge(thumb.width),
            height: edge(thumb.height),
        }
        .into(),
    );
    let data = Data {
        cid,
        max_age: Some(MAX_AGE),
        type_: Some(thumb.media_type.clone()),
        data: thumb.data.clone(),
    };
    (children, Some(data.into()))
}

/// Whether `data` hashes to the cid (`sha1+HEX@bob.xmpp.org` or `sha256+…`, XEP-0231 §2).
/// Checked by hand first: xmpp-parsers panics on an algorithm it does not know.
fn matches_cid(cid: &str, data: &[u8]) -> bool {
    let Some((algo_hex, "bob.xmpp.org")) = cid.split_once('@') else {
        return false;
    };
    let digest = match algo_hex.split_once('+') {
        Some(("sha1", hex)) => (hex, hex::encode(sha1::Sha1::digest(data))),
        Some(("sha256", hex)) => (hex, hex::encode(sha2::Sha256::digest(data))),
        _ => return false,
    };
    digest.0.eq_ignore_ascii_case(&digest.1)
}

/// What a sender's XEP-0446 `<file/>` says the image looks like, its thumbnail taken from the
/// message's XEP-0231 data; `None` when it says nothing of it. A thumbnail whose data is not
/// in the message, is larger than 16 KiB, is not an image type we show, or does not hash to
/// its cid is left out (the rest stays).
pub(crate) fn read_image(file: &Element, message: &Message) -> Option<ImageInfo> {
    let number = |tag: &str| {
        file.get_child(tag, FILE_NS)
            .and_then(|c| c.text().trim().parse::<u32>().ok())
            .filter(|n| *n > 0)
    };
    let thumbnail = file
        .children()
        .filter(|c| c.is("thumbnail", ns::JINGLE_THUMBNAILS))
        .filter_map(|c| ThumbnailElement::try_from(c.clone()).ok())
        .find_map(|t| sender_thumbnail(&t, message));
    let image = ImageInfo {
        width: number("width"),
        height: number("height"),
        thumbnail,
    };
    (image != ImageInfo::default()).then_some(image)
}

fn sender_thumbnail(thumb: &ThumbnailElement, message: &Message) -> Option<Thumbnail> {
    let cid = thumb.uri.strip_prefix("cid:")?;
    let data = message
        .payloads
        .iter()
        .filter(|p| p.is("data", ns::BOB) && p.attr("cid") == Some(cid))
        .find_map(|p| {
            // Bounded before decoding; the cid's algorithm checked before xmpp-parsers reads
            // it (it panics on one it does not know), the hash after.
            let small = p.text().len() <= MAX_THUMBNAIL_BYTES * 4 / 3 + 64;
            let known = cid.starts_with("sha1+") || cid.starts_with("sha256+");
            let data = (small && known).then(|| Data::try_from(p.clone()).ok())??;
            let fits = data.data.len() <= MAX_THUMBNAIL_BYTES && matches_cid(cid, &data.data);
            fits.then_some(data)
        })?;
    let media_type = thumb
        .media_type
        .clone()
        .or(data.type_)
        .filter(|t| SHOWN.contains(&t.as_str()))?;
    Some(Thumbnail {
        media_type,
        width: thumb.width.map_or(0, |w| u32::from(w.get())),
        height: thumb.height.map_or(0, |h| u32::from(h.get())),
        data: data.data,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message(xml: &str) -> Message {
        Message::try_from(xml.parse::<Element>().unwrap()).unwrap()
    }

    fn file_of(m: &Message) -> Element {
        m.payloads
            .iter()
            .find(|p| p.is("file-sharing", "urn:xmpp:sfs:0"))
            .and_then(|s| s.get_child("file", FILE_NS))
            .cloned()
            .unwrap()
    }

    /// A 10x10 PNG as the thumbnail of XEP-0446 §2's example file, in the form of XEP-0264
    /// §4 and XEP-0231 §2 (the cid is the data's SHA-1).
    const BOB_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAoAAAAKCAYAAACNMs+9AAAABGdBTUEAALGPC/xhBQAAAAlwSFlzAAALEwAACxMBAJqcGAAAAAd0SU1FB9YGARc5KB0XV+IAAAAddEVYdENvbW1lbnQAQ3JlYXRlZCB3aXRoIFRoZSBHSU1Q72QlbgAAAF1JREFUGNO9zL0NglAAxPEfdLTs4BZM4DIO4C7OwQg2JoQ9LE1exdlYvBBeZ7jqch9//q1uH4TLzw4d6+ErXMMcXuHWxId3KOETnnXXV6MJpcq2MLaI97CER3N0vr4MkhoXe0rZigAAAABJRU5ErkJggg==";

    fn example(cid: &str, uri: &str) -> Message {
        message(&format!(
            "<message xmlns='jabber:client' from='romeo@montague.lit/resource' to='juliet@capulet.lit' type='chat'>
               <body>https://download.montague.lit/4a771ac1/summit.jpg</body>
               <file-sharing xmlns='urn:xmpp:sfs:0'>
                 <file xmlns='urn:xmpp:file:metadata:0'>
                   <media-type>image/jpeg</media-type>
                   <name>summit.jpg</name>
                   <size>3032449</size>
                   <width>4096</width>
                   <height>2160</height>
                   <thumbnail xmlns='urn:xmpp:thumbs:1' uri='{uri}' media-type='image/png' width='10' height='10'/>
                 </file>
               </file-sharing>
               <data xmlns='urn:xmpp:bob' cid='{cid}' max-age='86400' type='image/png'>{BOB_PNG}</data>
             </message>"
        ))
    }

    #[test]
    fn a_senders_thumbnail_comes_from_the_bits_of_binary_it_names() {
        let cid = "sha1+4b97ce7f0f06a0e05999f3c719cd5b4f3da992a7@bob.xmpp.org";
        let m = example(cid, &format!("cid:{cid}"));
        let image = read_image(&file_of(&m), &m).unwrap();
        assert_eq!((image.width, image.height), (Some(4096), Some(2160)));
        let thumb = image.thumbnail.unwrap();
        assert_eq!(
            (thumb.media_type.as_str(), thumb.width, thumb.height),
            ("image/png", 10, 10)
        );
        assert!(thumb.data.starts_with(b"\x89PNG"));
    }

    #[test]
    fn a_thumbnail_that_does_not_hash_to_its_cid_or_is_elsewhere_is_left_out() {
        let wrong = "sha1+0000000000000000000000000000000000000000@bob.xmpp.org";
        let m = example(wrong, &format!("cid:{wrong}"));
        let image = read_image(&file_of(&m), &m).unwrap();
        assert_eq!(image.thumbnail, None, "changed on the way");
        assert_eq!(image.width, Some(4096), "the rest stays");
        // An algorithm xmpp-parsers does not know: refused, never parsed (it would panic).
        let odd = "md5+8f35fef110ffc5df08d579a50083ff93@bob.xmpp.org";
        let m = example(odd, &format!("cid:{odd}"));
        assert_eq!(read_image(&file_of(&m), &m).unwrap().thumbnail, None);
        // A thumbnail to fetch from the web: not fetched, not shown.
        let cid = "sha1+4b97ce7f0f06a0e05999f3c719cd5b4f3da992a7@bob.xmpp.org";
        let m = example(cid, "https://download.montague.lit/thumb.png");
        assert_eq!(read_image(&file_of(&m), &m).unwrap().thumbnail, None);
    }

    #[test]
    fn ours_round_trips_through_the_elements_we_send() {
        let ours = ImageInfo {
            width: Some(1600),
            height: Some(900),
            thumbnail: Some(Thumbnail {
                media_type: "image/jpeg".into(),
                width: 96,
                height: 54,
                data: b"\xff\xd8\xff\xe0 not really a jpeg".to_vec(),
            }),
        };
        let (children, data) = image_elements(&ours);
        let file = Element::builder("file", FILE_NS)
            .append_all(children)
            .build();
        let data = data.unwrap();
        assert_eq!(data.attr("max-age"), Some("86400"));
        let cid = data.attr("cid").unwrap().to_owned();
        assert!(
            cid.starts_with("sha1+") && cid.ends_with("@bob.xmpp.org"),
            "{cid}"
        );
        let uri = file
            .get_child("thumbnail", ns::JINGLE_THUMBNAILS)
            .and_then(|t| t.attr("uri"))
            .unwrap();
        assert_eq!(uri, format!("cid:{cid}"));
        let mut m = Message::chat(None);
        m.payloads.push(data);
        assert_eq!(read_image(&file, &m), Some(ours));
    }
}
