//! Files shared as links, the protocol side: finding our server's HTTP File Upload service
//! and asking it for a slot (XEP-0363), the out-of-band data that marks a message as a shared
//! file (XEP-0066), and the name a file's URL gives. The transfers themselves are in
//! `api::upload` (ours) and `api::files` (received ones).

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::disco::DiscoInfoResult;
use tokio_xmpp::parsers::http_upload::{SlotRequest, SlotResult};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::Jid;

use super::inbound::Content;
use crate::store::SharedFile;

/// XEP-0363's namespace (feature, slot request and the service's form type).
pub const UPLOAD_NS: &str = "urn:xmpp:http:upload:0";

/// An HTTP File Upload service (XEP-0363 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadService {
    /// Its JID, where slot requests go.
    pub jid: Jid,
    /// The largest file it takes, bytes (`max-file-size` of its form, §2); `None`: not said.
    pub max_size: Option<u64>,
}

/// The upload service `jid`'s disco#info answer describes, `None` when it lacks the
/// feature (XEP-0363 §2: feature `urn:xmpp:http:upload:0`, and a form of that type whose
/// `max-file-size` is the limit in bytes).
pub fn upload_service(jid: Jid, info: &DiscoInfoResult) -> Option<UploadService> {
    if !info.features.iter().any(|f| f == UPLOAD_NS) {
        return None;
    }
    let max_size = info
        .extensions
        .iter()
        .filter(|form| form.form_type() == Some(UPLOAD_NS))
        .flat_map(|form| form.fields.iter())
        .find(|field| field.var.as_deref() == Some("max-file-size"))
        .and_then(|field| field.values.first())
        .and_then(|v| v.trim().parse().ok());
    Some(UploadService { jid, max_size })
}

/// The slot request for a file (XEP-0363 §4): its name, size in bytes and media type.
pub fn slot_request(service: &UploadService, name: &str, size: u64, media_type: &str) -> Iq {
    let request = SlotRequest {
        filename: name.to_owned(),
        size,
        content_type: Some(media_type.to_owned()),
    };
    Iq::from_get(super::new_id(), request).with_to(service.jid.clone())
}

/// The slot in the service's answer (XEP-0363 §4: `<slot/>` with a PUT and a GET URL), both
/// required to be `https://`: Linnet sends files only over TLS.
///
/// Errors: in words, for a missing or malformed slot or a URL that is not `https://`.
pub fn parse_slot(payload: Option<Element>) -> Result<SlotResult, String> {
    let slot = payload
        .ok_or("the upload service answered without a slot")
        .and_then(|p| SlotResult::try_from(p).map_err(|_| "the upload service's slot is malformed"))
        .map_err(str::to_owned)?;
    for url in [&slot.put.url, &slot.get.url] {
        if url::Url::parse(url).map(|u| u.scheme() == "https") != Ok(true) {
            return Err(format!(
                "the upload service gave an address that is not HTTPS ({url}); Linnet sends files only over encrypted connections"
            ));
        }
    }
    Ok(slot)
}

/// The file a received message shares: one described by Stateless File Sharing (XEP-0447)
/// with an `https://` source; an `aesgcm://` link as the whole body (XEP-0454); or
/// out-of-band data (XEP-0066) whose `http(s)://` URL is the whole body (what Conversations,
/// Dino and Gajim send for an upload; a URL inside other text is just a link).
pub(crate) fn shared_file(content: &Content) -> Option<SharedFile> {
    // In an encrypted message only what was encrypted counts: the outer stanza's file sharing
    // and out-of-band data could have been added by anyone on the way.
    let encrypted = content.encryption.is_some();
    if let Some(sharing) = content.file_sharing.as_ref().filter(|_| !encrypted) {
        let url = sharing
            .urls
            .iter()
            .find(|u| url::Url::parse(u).is_ok_and(|u| u.scheme() == "https"));
        if let Some(url) = url {
            return Some(SharedFile {
                name: sharing
                    .name
                    .as_deref()
                    .map_or_else(|| file_name(url), safe_name),
                size: sharing.size,
                media_type: sharing.media_type.clone(),
                url: Some(url.clone()),
                path: None,
                sha256: sharing.sha256.clone(),
                transfer: None,
                keep_metadata: false,
            });
        }
    }
    let body = content.body.as_deref()?.trim();
    let url = url::Url::parse(body).ok()?;
    let linked = match url.scheme() {
        linnet_omemo::media::SCHEME => true,
        "https" | "http" => !encrypted && content.oob_url.as_deref().map(str::trim) == Some(body),
        _ => false,
    };
    linked.then(|| SharedFile {
        name: file_name(body),
        url: Some(body.to_owned()),
        ..SharedFile::default()
    })
}

/// What the sender said a shared image looks like (XEP-0446 size, XEP-0264 thumbnail), from
/// the Stateless File Sharing element [`shared_file`] takes the file from; never from an
/// encrypted message's outer stanza.
pub(crate) fn shared_image(content: &Content) -> Option<crate::store::ImageInfo> {
    let sharing = content.file_sharing.as_ref()?;
    let url = shared_file(content)?.url?;
    let described = content.encryption.is_none() && sharing.urls.contains(&url);
    described.then(|| sharing.image.clone()).flatten()
}

/// The file name a URL's last path segment gives, percent-decoded and made safe: no
/// folders, no leading dot, no control characters; "file" when nothing is left.
pub fn file_name(link: &str) -> String {
    let last = url::Url::parse(link)
        .ok()
        .and_then(|u| u.path_segments()?.next_back().map(str::to_owned))
        .unwrap_or_default();
    safe_name(&percent_encoding::percent_decode_str(&last).decode_utf8_lossy())
}

/// `name` made safe to save and to send: path separators, reserved and control characters,
/// and the bidirectional controls that make "gpj.exe" read as "exe.jpg", become `_`; no
/// leading dot; "file" when nothing is left.
pub fn safe_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let safe = safe.trim().trim_start_matches('.').to_owned();
    if safe.is_empty() {
        "file".to_owned()
    } else {
        safe
    }
}

/// The media type a file name suggests (`image/png`), `application/octet-stream` when none.
pub fn media_type_of(name: &str) -> String {
    mime_guess::from_path(name)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}

/// A size in words, decimal units as file managers show them: "812 bytes", "4.2 MB".
pub fn size_words(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio_xmpp::parsers::message::Message;

    fn el(xml: &str) -> Element {
        xml.parse().unwrap()
    }

    #[test]
    fn the_service_and_its_limit_come_from_disco_info() {
        // XEP-0363 §2, Example 2.
        let info =
            DiscoInfoResult::try_from(el("<query xmlns='http://jabber.org/protocol/disco#info'>
               <identity category='store' type='file' name='HTTP File Upload'/>
               <feature var='urn:xmpp:http:upload:0'/>
               <x type='result' xmlns='jabber:x:data'>
                 <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field>
                 <field var='max-file-size'><value>5242880</value></field>
               </x>
             </query>"))
            .unwrap();
        let jid = Jid::new("upload.montague.tld").unwrap();
        let service = upload_service(jid.clone(), &info).unwrap();
        assert_eq!(service.max_size, Some(5_242_880));

        let bare =
            DiscoInfoResult::try_from(el("<query xmlns='http://jabber.org/protocol/disco#info'>
               <identity category='store' type='file'/><feature var='urn:xmpp:http:upload:0'/>
             </query>"))
            .unwrap();
        assert_eq!(upload_service(jid.clone(), &bare).unwrap().max_size, None);

        let muc = DiscoInfoResult::try_from(el(
            "<query xmlns='http://jabber.org/protocol/disco#info'>
               <identity category='conference' type='text'/><feature var='http://jabber.org/protocol/muc'/>
             </query>",
        ))
        .unwrap();
        assert_eq!(upload_service(jid, &muc), None);
    }

    #[test]
    fn a_slot_request_names_the_file_and_round_trips() {
        let service = UploadService {
            jid: Jid::new("upload.montague.tld").unwrap(),
            max_size: None,
        };
        let iq = Element::from(slot_request(&service, "très cool.jpg", 23456, "image/jpeg"));
        assert_eq!(iq.attr("to"), Some("upload.montague.tld"));
        assert_eq!(iq.attr("type"), Some("get"));
        // XEP-0363 §4, Example 4.
        let expected = el(
            "<request xmlns='urn:xmpp:http:upload:0' filename='très cool.jpg' size='23456' content-type='image/jpeg'/>",
        );
        assert_eq!(iq.get_child("request", UPLOAD_NS), Some(&expected));
    }

    #[test]
    fn slots_must_be_https() {
        // XEP-0363 §4, Example 5.
        let slot = parse_slot(Some(el(
            "<slot xmlns='urn:xmpp:http:upload:0'>
               <put url='https://upload.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg'>
                 <header name='Authorization'>Basic Base64String==</header>
                 <header name='Cookie'>foo=bar; user=romeo</header>
               </put>
               <get url='https://download.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg'/>
             </slot>",
        )))
        .unwrap();
        assert_eq!(slot.put.headers.len(), 2);
        assert!(slot.get.url.ends_with("tr%C3%A8s%20cool.jpg"));

        let plain = parse_slot(Some(el(
            "<slot xmlns='urn:xmpp:http:upload:0'>
               <put url='http://upload.montague.tld/a/b.jpg'/><get url='http://upload.montague.tld/a/b.jpg'/>
             </slot>",
        )));
        assert!(plain.unwrap_err().contains("not HTTPS"));
        assert!(parse_slot(None).is_err());
        assert!(parse_slot(Some(el("<slot xmlns='urn:xmpp:http:upload:0'/>"))).is_err());
    }

    fn content(xml: &str) -> Content {
        let mut m = Message::try_from(el(xml)).unwrap();
        super::super::inbound::content(&mut m)
    }

    #[test]
    fn a_file_is_out_of_band_data_whose_url_is_the_body() {
        // XEP-0066 §4, Example 5, as upload clients send it (the URL also the body).
        let c = content(
            "<message xmlns='jabber:client' from='stpeter@jabber.org/work' to='MaineBoy@jabber.org/home' type='chat'>
               <body>https://upload.example.org/abc/photo%20one.jpg</body>
               <x xmlns='jabber:x:oob'><url>https://upload.example.org/abc/photo%20one.jpg</url></x>
             </message>",
        );
        let file = shared_file(&c).unwrap();
        assert_eq!(file.name, "photo one.jpg");
        assert_eq!(
            file.url.as_deref(),
            Some("https://upload.example.org/abc/photo%20one.jpg")
        );

        // A link in text, or out-of-band data for another URL, is no file.
        let text = content(
            "<message xmlns='jabber:client' type='chat'><body>see https://example.org/a.jpg</body>
               <x xmlns='jabber:x:oob'><url>https://example.org/a.jpg</url></x></message>",
        );
        assert_eq!(shared_file(&text), None);
        let link = content(
            "<message xmlns='jabber:client' type='chat'><body>https://example.org/a.jpg</body></message>",
        );
        assert_eq!(shared_file(&link), None);

        // XEP-0454: an aesgcm:// link alone is an encrypted file, out-of-band data or not.
        let encrypted = content(
            "<message xmlns='jabber:client' type='chat'><body>aesgcm://up.example.org/x/secret.pdf#00112233445566778899aabb00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff</body></message>",
        );
        assert_eq!(shared_file(&encrypted).unwrap().name, "secret.pdf");
    }

    #[test]
    fn names_come_from_the_url_and_cannot_leave_the_folder() {
        assert_eq!(
            file_name("https://up.example.org/f/abc/photo.jpg"),
            "photo.jpg"
        );
        assert_eq!(
            file_name("https://up.example.org/f/abc/my%20photo%C3%A9.jpg?x=1"),
            "my photoé.jpg"
        );
        assert_eq!(
            file_name("https://up.example.org/f/..%2F..%2Fetc%2Fpasswd"),
            "_.._etc_passwd"
        );
        assert_eq!(file_name("https://up.example.org/"), "file");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name("a\u{0}b"), "a_b");
        assert_eq!(safe_name("photo\u{202E}gpj.exe"), "photo_gpj.exe");
    }

    #[test]
    fn sizes_read_as_file_managers_show_them() {
        assert_eq!(size_words(812), "812 bytes");
        assert_eq!(size_words(67_108_864), "67.1 MB");
        assert_eq!(size_words(999_999), "1.0 MB");
        assert_eq!(size_words(5_000_000_000), "5.0 GB");
    }
}
