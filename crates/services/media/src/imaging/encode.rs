//! Encoders: the original in its own format (only pixels survive: no EXIF,
//! no trailing bytes), WebP for variants, and the blurhash.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageEncoder};

use super::{Encoded, ImagingError};
use crate::domain::MediaKind;

const JPEG_QUALITY: u8 = 85;
/// Blurhash components across and down.
const BLURHASH_COMPONENTS: (u32, u32) = (4, 3);
/// The blurhash is computed on a thumbnail at most this wide and high.
const BLURHASH_SOURCE_PX: u32 = 32;

/// `image` re-encoded as `kind` (JPEG, PNG or WebP).
pub(super) fn original(image: &DynamicImage, kind: MediaKind) -> Result<Encoded, ImagingError> {
    let mut out = Vec::new();
    let written = match kind {
        MediaKind::Jpeg => {
            // JPEG has no alpha; greyscale stays greyscale.
            let pixels = match image {
                DynamicImage::ImageLuma8(_) => image.clone(),
                _ => DynamicImage::ImageRgb8(image.to_rgb8()),
            };
            pixels.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
        MediaKind::Png => image.write_with_encoder(PngEncoder::new(&mut out)),
        MediaKind::Webp => return webp(image),
        other => {
            return Err(ImagingError::Internal(format!(
                "{other:?} is not re-encoded"
            )));
        }
    };
    written.map_err(encoder_failed)?;
    Ok(Encoded::new(out, image.width(), image.height()))
}

/// `image` as a lossless WebP.
pub(super) fn webp(image: &DynamicImage) -> Result<Encoded, ImagingError> {
    let (width, height) = (image.width(), image.height());
    let mut out = Vec::new();
    let encoder = WebPEncoder::new_lossless(&mut out);
    // The WebP encoder takes 8-bit RGB(A) only.
    let written = match image.color().has_alpha() {
        true => {
            let pixels = image.to_rgba8();
            encoder.write_image(&pixels, width, height, image::ExtendedColorType::Rgba8)
        }
        false => {
            let pixels = image.to_rgb8();
            encoder.write_image(&pixels, width, height, image::ExtendedColorType::Rgb8)
        }
    };
    written.map_err(encoder_failed)?;
    Ok(Encoded::new(out, width, height))
}

/// A blurhash of `image`, from a thumbnail (the hash only needs a few
/// pixels, and its cost grows with each).
pub(super) fn blurhash(image: &DynamicImage) -> Result<String, ImagingError> {
    let thumbnail = image
        .thumbnail(BLURHASH_SOURCE_PX, BLURHASH_SOURCE_PX)
        .to_rgba8();
    let (x, y) = BLURHASH_COMPONENTS;
    blurhash::encode(
        x,
        y,
        thumbnail.width(),
        thumbnail.height(),
        thumbnail.as_raw(),
    )
    .map_err(|error| ImagingError::Internal(format!("computing a blurhash: {error}")))
}

fn encoder_failed(error: image::ImageError) -> ImagingError {
    ImagingError::Internal(format!("encoding an image: {error}"))
}
