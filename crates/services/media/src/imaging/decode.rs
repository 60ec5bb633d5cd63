//! A full decode, bounded: a small file may declare (or decompress into)
//! far more than it weighs, so the decoder may not allocate past what the
//! configured pixel limit needs.

use std::io::{BufReader, ErrorKind};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use super::ImagingError;

/// The widest pixel a decoder makes (16-bit RGBA).
const MAX_BYTES_PER_PIXEL: u64 = 8;
/// Metadata chunks and decoder state beside the pixels.
const SLACK_BYTES: u64 = 64 * 1024 * 1024;

pub(super) fn decode(
    path: &Path,
    format: ImageFormat,
    max_pixels: u64,
) -> Result<DynamicImage, ImagingError> {
    let file = std::fs::File::open(path)
        .map_err(|error| ImagingError::Internal(format!("opening a spooled image: {error}")))?;
    let mut reader = ImageReader::with_format(BufReader::new(file), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(
        max_pixels
            .saturating_mul(MAX_BYTES_PER_PIXEL)
            .saturating_add(SLACK_BYTES),
    );
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    // A camera's EXIF says how the sensor was held; applied here, since the
    // stored image carries no EXIF to say it any more.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    image.apply_orientation(orientation);
    if image.width() == 0 || image.height() == 0 {
        return Err(ImagingError::Invalid("the image has no pixels".into()));
    }
    Ok(image)
}

fn classify(error: ImageError) -> ImagingError {
    match error {
        ImageError::IoError(error) if error.kind() != ErrorKind::UnexpectedEof => {
            ImagingError::Internal(format!("reading a spooled image: {error}"))
        }
        ImageError::Limits(error) => ImagingError::TooLarge(format!(
            "decoding the image would take too much memory: {error}"
        )),
        error => ImagingError::Invalid(format!("the image does not decode: {error}")),
    }
}
