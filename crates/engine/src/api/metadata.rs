//! Photos lose their metadata before they leave: EXIF (with the GPS position phones write,
//! the camera and the time), XMP and IPTC are removed from JPEG, PNG (its text chunks too)
//! and WebP files we send, with `img-parts` (the pixels are untouched), and whatever a JPEG
//! carries after its end (a second picture, a motion video) is cut. A photo whose EXIF orientation says it must be
//! turned is turned first and encoded again with the `image` crate (JPEG quality 92), since
//! without its EXIF it would show sideways.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use img_parts::jpeg::markers;
use img_parts::{Bytes, DynImage, ImageEXIF};

/// Largest photo cleaned (read whole into memory): 64 MiB; larger files go as they are.
pub const MAX_CLEANED_BYTES: u64 = 64 * 1024 * 1024;

/// XMP's APP1 signature in JPEG (Adobe XMP specification part 3, §1.1.3), for the tests.
#[cfg(test)]
const XMP_JPEG: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// Whether a media type is one [`without_metadata`] cleans.
pub fn is_cleaned(media_type: &str) -> bool {
    matches!(media_type, "image/jpeg" | "image/png" | "image/webp")
}

/// `data` without EXIF and XMP, `None` when it is no JPEG, PNG or WebP or has none.
///
/// Errors: in words, for a file that claims to be one of those but does not parse (it is then
/// not sent, rather than sent with its metadata).
pub fn without_metadata(data: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let Some(mut image) = DynImage::from_bytes(Bytes::copy_from_slice(data))
        .map_err(|e| format!("the image's metadata cannot be read ({e})"))?
    else {
        return Ok(None);
    };
    if image.exif().is_some() && needs_turning(data) {
        return turned(data).map(Some);
    }
    let mut changed = image.exif().is_some();
    image.set_exif(None);
    // Where a JPEG's entropy-coded data begins in the written file (SOI, then the segments).
    let mut jpeg_header = None;
    match &mut image {
        DynImage::Jpeg(jpeg) => {
            let before = jpeg.segments().len();
            // XMP and extended XMP (APP1), IPTC (APP13), and the Multi-Picture index (APP2
            // "MPF"), whose second picture after the end is cut below; ICC (APP2) stays.
            jpeg.segments_mut().retain(|s| {
                let mpf = s.marker() == markers::APP2 && s.contents().starts_with(b"MPF\0");
                !(s.marker() == markers::APP1 || s.marker() == markers::APP13 || mpf)
            });
            changed |= jpeg.segments().len() != before;
            jpeg_header = Some(2 + jpeg.segments().iter().map(|s| s.len()).sum::<usize>());
        }
        DynImage::Png(png) => {
            let before = png.chunks().len();
            png.chunks_mut().retain(|c| {
                let text = matches!(&c.kind(), b"iTXt" | b"tEXt" | b"zTXt");
                !(text || &c.kind() == b"eXIf")
            });
            changed |= png.chunks().len() != before;
        }
        DynImage::WebP(webp) => {
            if webp.chunk_by_id(*b"XMP ").is_some() {
                webp.remove_chunks_by_id(*b"XMP ");
                changed = true;
            }
        }
    }
    let mut out = Vec::with_capacity(data.len());
    image
        .encoder()
        .write_to(&mut out)
        .map_err(|e| format!("the cleaned image could not be written ({e})"))?;
    // Whatever follows a JPEG's end (EOI) goes: a second picture (MPF, with its own EXIF), a
    // phone's motion video. Inside entropy-coded data 0xFF is always followed by 0x00 or a
    // restart or scan marker, so the first FF D9 there is the end.
    if let Some(header) = jpeg_header.filter(|h| *h <= out.len()) {
        let end = out[header..]
            .windows(2)
            .position(|w| w == [0xFF, markers::EOI])
            .map(|at| header + at + 2);
        if let Some(end) = end.filter(|e| *e < out.len()) {
            out.truncate(end);
            changed = true;
        }
    }
    Ok(changed.then_some(out))
}

fn needs_turning(data: &[u8]) -> bool {
    ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_decoder().ok())
        .and_then(|mut d| d.orientation().ok())
        .is_some_and(|o| o != Orientation::NoTransforms)
}

/// The picture turned as its EXIF says and encoded again in its format, with no metadata.
fn turned(data: &[u8]) -> Result<Vec<u8>, String> {
    let reader = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|e| format!("the image cannot be read ({e})"))?;
    let format = reader.format().unwrap_or(ImageFormat::Jpeg);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("the image cannot be read ({e})"))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder)
        .map_err(|e| format!("the image does not decode ({e})"))?;
    picture.apply_orientation(orientation);
    let mut out = Vec::new();
    let written = if format == ImageFormat::Jpeg {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
        picture.to_rgb8().write_with_encoder(encoder)
    } else {
        picture.write_to(&mut Cursor::new(&mut out), format)
    };
    written.map_err(|e| format!("the turned image could not be written ({e})"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use image::ImageEncoder;

    /// A minimal little-endian TIFF (EXIF) block: IFD0 with Orientation (0x0112) and an
    /// ImageDescription (0x010E) standing for the GPS position a phone would write.
    fn exif(orientation: u16) -> Vec<u8> {
        let text = b"GPS 48.8584N 2.2945E\0";
        let mut t = b"II*\0".to_vec();
        t.extend(8u32.to_le_bytes()); // IFD0 at 8
        t.extend(2u16.to_le_bytes()); // two entries
        t.extend(0x010Eu16.to_le_bytes());
        t.extend(2u16.to_le_bytes()); // ASCII
        t.extend((text.len() as u32).to_le_bytes());
        t.extend((8 + 2 + 2 * 12 + 4u32).to_le_bytes()); // the text after the IFD
        t.extend(0x0112u16.to_le_bytes());
        t.extend(3u16.to_le_bytes()); // SHORT
        t.extend(1u32.to_le_bytes());
        t.extend(u32::from(orientation).to_le_bytes());
        t.extend(0u32.to_le_bytes()); // no next IFD
        t.extend(text);
        t
    }

    fn jpeg(width: u32, height: u32, orientation: Option<u16>) -> Vec<u8> {
        let picture =
            image::RgbImage::from_fn(width, height, |x, _| image::Rgb([x as u8, 90, 200]));
        let mut out = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
        if let Some(o) = orientation {
            encoder.set_exif_metadata(exif(o)).unwrap();
        }
        encoder
            .write_image(
                picture.as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn exif_and_its_position_are_removed_and_the_pixels_kept() {
        let photo = jpeg(64, 32, Some(1));
        assert!(contains(&photo, b"GPS 48.8584N"));
        let clean = without_metadata(&photo).unwrap().unwrap();
        assert!(!contains(&clean, b"GPS 48.8584N"));
        assert!(!contains(&clean, b"Exif\0\0"));
        let decoded = image::load_from_memory(&clean).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (64, 32));
        // Nothing to remove: left alone.
        assert_eq!(without_metadata(&jpeg(8, 8, None)).unwrap(), None);
        assert_eq!(without_metadata(b"%PDF-1.7").unwrap(), None);
    }

    #[test]
    fn a_photo_to_be_turned_is_turned_before_its_exif_goes() {
        // Orientation 6: shown turned 90° clockwise, so 64x32 as stored is 32x64 as seen.
        let photo = jpeg(64, 32, Some(6));
        let clean = without_metadata(&photo).unwrap().unwrap();
        assert!(!contains(&clean, b"GPS 48.8584N"));
        let decoded = image::load_from_memory(&clean).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (32, 64));
    }

    #[test]
    fn what_follows_the_end_of_a_jpeg_is_cut() {
        let picture = jpeg(16, 16, None);
        let mut with_video = picture.clone();
        with_video.extend(b"....ftypmp42 a motion photo's video with GPS 48.8584N");
        let clean = without_metadata(&with_video).unwrap().unwrap();
        assert_eq!(
            clean, picture,
            "the picture, to its end marker, and nothing after"
        );
    }

    #[test]
    fn xmp_is_removed_from_jpeg() {
        let mut photo = img_parts::jpeg::Jpeg::from_bytes(Bytes::from(jpeg(8, 8, None))).unwrap();
        let mut xmp = XMP_JPEG.to_vec();
        xmp.extend(b"<x:xmpmeta><exif:GPSLatitude>48,51.5N</exif:GPSLatitude></x:xmpmeta>");
        photo.segments_mut().insert(
            1,
            img_parts::jpeg::JpegSegment::new_with_contents(markers::APP1, Bytes::from(xmp)),
        );
        let mut with_xmp = Vec::new();
        photo.encoder().write_to(&mut with_xmp).unwrap();
        let clean = without_metadata(&with_xmp).unwrap().unwrap();
        assert!(!contains(&clean, b"GPSLatitude"));
        assert!(image::load_from_memory(&clean).is_ok());
    }
}
