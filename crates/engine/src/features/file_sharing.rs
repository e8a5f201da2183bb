//! Stateless File Sharing (XEP-0447 §3) with its file metadata (XEP-0446) and hash (XEP-0300):
//! what a sender says of the file a message shares (read by `features::files::shared_file`),
//! and the element we send with our uploads (`features::outbox`).

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::hashes::{Algo, Hash};
use tokio_xmpp::parsers::message::Message;
use tokio_xmpp::parsers::ns;

use crate::store::SharedFile;

/// XEP-0447 Stateless File Sharing's namespace.
const SFS_NS: &str = "urn:xmpp:sfs:0";
/// XEP-0446 File metadata's namespace.
const FILE_NS: &str = "urn:xmpp:file:metadata:0";
/// XEP-0103 URL address information (a source of XEP-0447).
const URL_DATA_NS: &str = "http://jabber.org/protocol/url-data";

/// What a sender's Stateless File Sharing element (XEP-0447 §3, with XEP-0446 metadata) says
/// of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSharing {
    /// `<name/>`.
    pub name: Option<String>,
    /// `<size/>`, bytes.
    pub size: Option<i64>,
    /// `<media-type/>`.
    pub media_type: Option<String>,
    /// The `sha-256` `<hash/>` (XEP-0300), base64.
    pub sha256: Option<String>,
    /// The `<url-data target/>` sources, in order.
    pub urls: Vec<String>,
    /// For an image: its size and the thumbnail carried in the message (XEP-0446, XEP-0264,
    /// XEP-0231), see `features::thumbnails`.
    pub image: Option<crate::store::ImageInfo>,
}

/// Takes `<file-sharing xmlns='urn:xmpp:sfs:0'/>` out of a message and reads it; fields it
/// lacks or garbles stay `None` (the file is still shared by its URL).
pub(crate) fn take_file_sharing(message: &mut Message) -> Option<FileSharing> {
    let at = message
        .payloads
        .iter()
        .position(|p| p.is("file-sharing", SFS_NS))?;
    let el = message.payloads.remove(at);
    let meta = el.get_child("file", FILE_NS);
    let image = meta.and_then(|m| super::thumbnails::read_image(m, message));
    let text = |tag: &str| {
        meta.and_then(|m| m.get_child(tag, FILE_NS))
            .map(|c| c.text().trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let sha256 = meta
        .into_iter()
        .flat_map(Element::children)
        .filter(|c| c.is("hash", ns::HASHES))
        .filter_map(|c| Hash::try_from(c.clone()).ok())
        .find(|h| h.algo == Algo::Sha_256)
        .map(|h| h.to_base64());
    let urls = el
        .get_child("sources", SFS_NS)
        .into_iter()
        .flat_map(Element::children)
        .filter(|c| c.is("url-data", URL_DATA_NS))
        .filter_map(|c| c.attr("target").map(str::to_owned))
        .collect();
    Some(FileSharing {
        name: text("name"),
        size: text("size")
            .and_then(|s| s.parse().ok())
            .filter(|s: &i64| *s >= 0),
        media_type: text("media-type"),
        sha256,
        urls,
        image,
    })
}

/// Our Stateless File Sharing element (XEP-0447 §3) for a file uploaded to `url`: its name,
/// media type, size and SHA-256 (XEP-0446, XEP-0300), for an image its size and thumbnail
/// (`image`, see `features::thumbnails`), the URL as its source; `inline` for images. With
/// it, the XEP-0231 data the thumbnail names, to go in the message too. `None` when the hash
/// is not valid base64 (never for ours).
pub(crate) fn file_sharing_element(
    file: &SharedFile,
    url: &str,
    described: Option<&crate::store::ImageInfo>,
) -> Option<(Element, Option<Element>)> {
    use super::facets::attr;
    let hash = Hash::from_base64(Algo::Sha_256, file.sha256.as_deref()?).ok()?;
    let image = file
        .media_type
        .as_deref()
        .is_some_and(|t| t.starts_with("image/"));
    let child = |tag: &str, text: String| Element::builder(tag, FILE_NS).append(text).build();
    let mut meta = Element::builder("file", FILE_NS);
    if let Some(media_type) = &file.media_type {
        meta = meta.append(child("media-type", media_type.clone()));
    }
    meta = meta.append(child("name", file.name.clone()));
    if let Some(size) = file.size {
        meta = meta.append(child("size", size.to_string()));
    }
    let (children, data) = described.map(super::thumbnails::image_elements).unzip();
    meta = meta.append_all(children.into_iter().flatten());
    let source = attr(Element::builder("url-data", URL_DATA_NS), "target", url).build();
    let sharing = attr(
        Element::builder("file-sharing", SFS_NS),
        "disposition",
        if image { "inline" } else { "attachment" },
    );
    let sharing = sharing
        .append(meta.append(Element::from(hash)).build())
        .append(Element::builder("sources", SFS_NS).append(source).build())
        .build();
    Some((sharing, data.flatten()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::features::files::shared_file;
    use crate::features::inbound::{content as parse_content, Content};

    fn content(xml: &str) -> Content {
        let mut m = Message::try_from(xml.parse::<Element>().unwrap()).unwrap();
        parse_content(&mut m)
    }

    #[test]
    fn stateless_file_sharing_describes_the_file_and_round_trips() {
        // XEP-0447 §3, Example 1 (the source as url-data, XEP-0103).
        let c = content(
            "<message xmlns='jabber:client' to='juliet@shakespeare.lit' from='romeo@montague.lit/resource' type='chat'>
               <body>https://download.montague.lit/4a771ac1/summit.jpg</body>
               <file-sharing xmlns='urn:xmpp:sfs:0' disposition='inline'>
                 <file xmlns='urn:xmpp:file:metadata:0'>
                   <media-type>image/jpeg</media-type>
                   <name>summit.jpg</name>
                   <size>3032449</size>
                   <width>4096</width>
                   <height>2160</height>
                   <hash xmlns='urn:xmpp:hashes:2' algo='sha3-256'>EZ1zL6N+NcmhnZVR1fZJoi8ZPzZ48QZbz8tcHyhbFAY=</hash>
                   <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>2XarmwTlNxDAMkvymloX3S5+VbylNrJt/l5QyPa+YoU=</hash>
                   <desc>Photo from the summit.</desc>
                 </file>
                 <sources>
                   <url-data xmlns='http://jabber.org/protocol/url-data' target='https://download.montague.lit/4a771ac1/summit.jpg'/>
                 </sources>
               </file-sharing>
             </message>",
        );
        let file = shared_file(&c).unwrap();
        assert_eq!(file.name, "summit.jpg");
        assert_eq!(file.size, Some(3_032_449));
        assert_eq!(file.media_type.as_deref(), Some("image/jpeg"));
        assert_eq!(
            file.sha256.as_deref(),
            Some("2XarmwTlNxDAMkvymloX3S5+VbylNrJt/l5QyPa+YoU=")
        );
        assert_eq!(
            file.url.as_deref(),
            Some("https://download.montague.lit/4a771ac1/summit.jpg")
        );

        // Around an encrypted message it counts for nothing: only what was encrypted does.
        let mut around = c.clone();
        around.encryption = Some("omemo2");
        assert_eq!(shared_file(&around), None);

        // Ours parses back to the same.
        let (ours, _) = file_sharing_element(&file, file.url.as_deref().unwrap(), None).unwrap();
        assert_eq!(ours.attr("disposition"), Some("inline"));
        let mut m = Message::chat(None);
        m.payloads.push(ours);
        let again = take_file_sharing(&mut m).unwrap();
        assert_eq!(again.name.as_deref(), Some("summit.jpg"));
        assert_eq!(again.size, Some(3_032_449));
        assert_eq!(again.sha256, file.sha256);
        assert_eq!(again.urls, vec![file.url.clone().unwrap()]);

        // A plain-HTTP source alone is no file (we fetch only over TLS), nor a garbled size.
        let plain = content(
            "<message xmlns='jabber:client' type='chat'><body>see</body>
               <file-sharing xmlns='urn:xmpp:sfs:0'><file xmlns='urn:xmpp:file:metadata:0'><size>-5</size></file>
                 <sources><url-data xmlns='http://jabber.org/protocol/url-data' target='http://example.org/a.txt'/></sources>
               </file-sharing></message>",
        );
        assert_eq!(plain.file_sharing.as_ref().unwrap().size, None);
        assert_eq!(shared_file(&plain), None);
    }
}
