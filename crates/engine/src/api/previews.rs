//! Inline previews of shared images: a PNG at most [`PREVIEW_EDGE`] px on its longer edge,
//! made locally with the `image` crate (EXIF orientation applied, decoding bounded so a
//! "decompression bomb" fails instead of eating memory) and kept in the database (encrypted
//! at rest), so it is made once. Privacy: an image is fetched for a preview only when it comes
//! from a contact in the roster (or is ours), and only up to [`AUTO_PREVIEW_BYTES`]; anything
//! else waits for "Download".

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use linnet_omemo::media::{decrypt_file, EncryptedLink};

use super::files::{download, https_client};
use crate::features::thumbnails::THUMBNAIL_EDGE;
use crate::store::{ImageInfo, Thumbnail};
use crate::*;

/// The longer edge of a preview, px.
pub const PREVIEW_EDGE: u32 = 480;

/// Largest image fetched on its own for a preview: 16 MiB.
pub const AUTO_PREVIEW_BYTES: u64 = 16 * 1024 * 1024;

/// Largest file of ours (or saved) read for its preview: 64 MiB.
const MAX_LOCAL_BYTES: u64 = 64 * 1024 * 1024;

/// Largest picture decoded, px per edge, and memory a decoder may take.
const MAX_EDGE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// Whether a shared file is an image we make previews of (by media type, else by name).
pub fn is_image(file: &SharedFile) -> bool {
    let media_type = file
        .media_type
        .clone()
        .unwrap_or_else(|| crate::features::files::media_type_of(&file.name));
    matches!(
        media_type.as_str(),
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// A PNG preview of image `data`: oriented as its EXIF says, fitted into
/// [`PREVIEW_EDGE`]² (never enlarged).
///
/// Errors: in words, for data that is no supported image, or one larger than 12,000 px per
/// edge or 256 MiB decoded.
pub fn make_preview(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut picture = decode(data)?;
    if picture.width() > PREVIEW_EDGE || picture.height() > PREVIEW_EDGE {
        picture = picture.thumbnail(PREVIEW_EDGE, PREVIEW_EDGE);
    }
    let mut png = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| format!("the preview could not be written: {e}"))?;
    Ok(png)
}

/// What image `data` looks like, for the metadata we send with it (XEP-0446): its size as
/// shown (EXIF orientation applied) and a JPEG thumbnail (XEP-0264) fitted into
/// [`THUMBNAIL_EDGE`]² (about 3 KiB).
///
/// Errors: as [`make_preview`].
pub fn describe_image(data: &[u8]) -> Result<ImageInfo, String> {
    let picture = decode(data)?;
    let small = picture
        .thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE)
        .into_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
        .encode_image(&small)
        .map_err(|e| format!("the thumbnail could not be written: {e}"))?;
    Ok(ImageInfo {
        width: Some(picture.width()),
        height: Some(picture.height()),
        thumbnail: Some(Thumbnail {
            media_type: "image/jpeg".into(),
            width: small.width(),
            height: small.height(),
            data: jpeg,
        }),
    })
}

/// Image `data` decoded and oriented as its EXIF says, within the bounds above.
pub(crate) fn decode(data: &[u8]) -> Result<DynamicImage, String> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|e| format!("unreadable image: {e}"))?;
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("not an image Linnet shows: {e}"))?;
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder)
        .map_err(|e| format!("the image does not decode: {e}"))?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    Ok(picture)
}

impl Engine {
    /// The preview of the image message `message_id` shares (PNG bytes, see [`make_preview`]),
    /// made on the first call and kept. Ours is made from the file we sent (no network); one
    /// saved before from the saved file; otherwise the image is fetched (HTTPS, decrypted when
    /// `aesgcm://`) only from a contact in the roster and up to [`AUTO_PREVIEW_BYTES`], or from
    /// anyone (a stranger, a room) when the user asked to see it (`asked`).
    ///
    /// Errors ([`EngineError::File`], in words): no image on this message, a sender outside
    /// the roster when not `asked` ("not fetched"), a larger file, a download or decoding
    /// failure.
    pub async fn image_preview(
        &self,
        message_id: i64,
        asked: bool,
    ) -> Result<Vec<u8>, EngineError> {
        if let Some(png) = self.inner.store.preview(message_id).await? {
            return Ok(png);
        }
        let _turn = self
            .inner
            .uploads
            .previews
            .acquire()
            .await
            .map_err(|_| EngineError::File("Linnet is closing.".into()))?;
        // Made by another request while this one waited?
        if let Some(png) = self.inner.store.preview(message_id).await? {
            return Ok(png);
        }
        let (row, file) = self.file_message(message_id).await?;
        if !is_image(&file) {
            return Err(EngineError::File("That message shares no image.".into()));
        }
        let data = match self.local_copy(&file).await {
            Some(data) => data,
            None => self.fetch_for_preview(&row, &file, asked).await?,
        };
        let png = tokio::task::spawn_blocking(move || make_preview(&data))
            .await
            .map_err(|e| EngineError::File(format!("Making the preview failed: {e}.")))?
            .map_err(|e| EngineError::File(format!("No preview: {e}.")))?;
        self.inner.store.set_preview(message_id, &png).await?;
        Ok(png)
    }

    /// The thumbnail the sender put in the message (XEP-0264 over XEP-0231, see
    /// `features::thumbnails`), decoded and written again as PNG here (the sender's bytes never
    /// reach the window): shown for an image Linnet does not fetch by itself, since it needs
    /// no fetch.
    ///
    /// Errors ([`EngineError::File`]): the message has no such thumbnail, or it does not
    /// decode.
    pub async fn sender_thumbnail(&self, message_id: i64) -> Result<Vec<u8>, EngineError> {
        let none = || EngineError::File("No thumbnail came with that image.".into());
        let thumb = self
            .inner
            .store
            .file_image(message_id)
            .await?
            .and_then(|i| i.thumbnail)
            .ok_or_else(none)?;
        tokio::task::spawn_blocking(move || make_preview(&thumb.data))
            .await
            .map_err(|e| EngineError::File(format!("Reading the thumbnail failed: {e}.")))?
            .map_err(|e| EngineError::File(format!("No thumbnail: {e}.")))
    }

    /// The file's bytes from disk when we have it (ours, or saved), up to the preview cap.
    async fn local_copy(&self, file: &SharedFile) -> Option<Vec<u8>> {
        let path = file.path.as_deref()?;
        let meta = tokio::fs::metadata(path).await.ok()?;
        if meta.len() > MAX_LOCAL_BYTES {
            return None;
        }
        tokio::fs::read(path).await.ok()
    }

    async fn fetch_for_preview(
        &self,
        row: &MessageRow,
        file: &SharedFile,
        asked: bool,
    ) -> Result<Vec<u8>, EngineError> {
        let contact = asked
            || !row.groupchat
                && !row.outgoing
                && self
                    .inner
                    .store
                    .in_roster(row.account_id, &row.peer)
                    .await?;
        if !contact {
            return Err(EngineError::File(
                "Not fetched: previews come only from your contacts; use Download.".into(),
            ));
        }
        if file.size.is_some_and(|s| s as u64 > AUTO_PREVIEW_BYTES) {
            return Err(EngineError::File(
                "Not fetched: the image is too large for a preview; use Download.".into(),
            ));
        }
        let Some(link) = file.url.clone() else {
            // A peer-to-peer offer (Jingle): nothing to fetch before it is taken.
            return Err(EngineError::File(
                "No preview before the file is taken.".into(),
            ));
        };
        let client = https_client(&self.inner.trust)?;
        if link.starts_with(linnet_omemo::media::SCHEME) {
            let link = EncryptedLink::parse(&link)
                .map_err(|e| EngineError::File(format!("Not an encrypted file link: {e}.")))?;
            let sealed = download(&client, &link.https, None, AUTO_PREVIEW_BYTES + 16).await?;
            decrypt_file(&sealed, &link.key)
                .map_err(|_| EngineError::File("The image could not be decrypted.".into()))
        } else {
            download(&client, &link, None, AUTO_PREVIEW_BYTES).await
        }
    }
}

impl Engine {
    /// Makes and keeps the size and thumbnail of an image we send (`api::previews`), from
    /// what goes up (`data`, a cleaned photo) or the file. A failure only costs the
    /// thumbnail (logged).
    pub(super) async fn describe_upload(
        &self,
        id: i64,
        path: &Path,
        data: Option<&[u8]>,
        len: u64,
    ) {
        const MAX_DESCRIBED_BYTES: u64 = 64 * 1024 * 1024;
        let data = match data {
            Some(data) => data.to_vec(),
            None if len <= MAX_DESCRIBED_BYTES => match tokio::fs::read(path).await {
                Ok(data) => data,
                Err(_) => return,
            },
            None => return,
        };
        let described = tokio::task::spawn_blocking(move || describe_image(&data)).await;
        match described {
            Ok(Ok(image)) => {
                if let Err(e) = self.inner.store.set_file_image(id, &image).await {
                    tracing::debug!(message_id = id, "thumbnail not kept: {e}");
                }
            }
            Ok(Err(e)) => tracing::debug!(message_id = id, "no thumbnail: {e}"),
            Err(e) => tracing::debug!(message_id = id, "no thumbnail: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(picture)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    fn size_of(png: &[u8]) -> (u32, u32) {
        let picture = image::load_from_memory(png).unwrap();
        (picture.width(), picture.height())
    }

    #[test]
    fn previews_fit_the_edge_keep_the_shape_and_never_grow() {
        assert_eq!(size_of(&make_preview(&png(1600, 900)).unwrap()), (480, 270));
        assert_eq!(size_of(&make_preview(&png(300, 1200)).unwrap()), (120, 480));
        assert_eq!(size_of(&make_preview(&png(64, 48)).unwrap()), (64, 48));
    }

    #[test]
    fn our_thumbnail_is_a_small_jpeg_and_the_size_is_the_images() {
        let info = describe_image(&png(1600, 900)).unwrap();
        assert_eq!((info.width, info.height), (Some(1600), Some(900)));
        let thumb = info.thumbnail.unwrap();
        assert_eq!((thumb.width, thumb.height), (96, 54));
        assert!(thumb.data.starts_with(b"\xff\xd8"), "JPEG");
        assert!(thumb.data.len() < 8 * 1024, "{} bytes", thumb.data.len());
        assert_eq!(size_of(&make_preview(&thumb.data).unwrap()), (96, 54));
    }

    #[test]
    fn what_is_no_image_or_too_large_is_refused_in_words() {
        assert!(make_preview(b"%PDF-1.7 not an image").is_err());
        // Wider than 12,000 px: refused by the decoder's limits, not decoded.
        let err = make_preview(&png(13_000, 1)).unwrap_err();
        assert!(
            err.contains("not an image Linnet shows") || err.contains("does not decode"),
            "{err}"
        );
    }

    #[test]
    fn images_are_told_by_media_type_or_name() {
        let file = |name: &str, media_type: Option<&str>| SharedFile {
            name: name.into(),
            media_type: media_type.map(str::to_owned),
            ..SharedFile::default()
        };
        assert!(is_image(&file("a.bin", Some("image/png"))));
        assert!(is_image(&file("photo.JPG", None)));
        assert!(
            !is_image(&file("a.svg", Some("image/svg+xml"))),
            "SVG is a document"
        );
        assert!(!is_image(&file("report.pdf", None)));
    }
}
