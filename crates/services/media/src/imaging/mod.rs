//! The CPU work on an uploaded still image, meant for a blocking thread: a
//! full decode under memory limits with the EXIF orientation applied, the
//! original re-encoded (which drops EXIF/GPS and whatever was appended after
//! the image), resized WebP variants and a blurhash.

mod decode;
mod encode;
mod variants;

use std::path::Path;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::domain::MediaKind;

pub use variants::VARIANT_NAMES;

/// What processing is bounded by and makes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Most pixels an image may have (already checked on its header).
    pub max_pixels: u64,
    /// Variant widths, ascending: `small`, `medium`, `large`.
    pub variant_widths: Vec<u32>,
}

/// Encoded bytes ready to store, addressed by their SHA-256.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Bytes,
    /// Hex.
    pub sha256: String,
    pub width: u32,
    pub height: u32,
}

impl Encoded {
    fn new(bytes: Vec<u8>, width: u32, height: u32) -> Self {
        Self {
            sha256: sha256_hex(&bytes),
            bytes: Bytes::from(bytes),
            width,
            height,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub name: &'static str,
    /// Always WebP.
    pub file: Encoded,
}

#[derive(Debug)]
pub struct Processed {
    /// The original re-encoded; `None` for a GIF, kept as sent (so that an
    /// animation survives) once its first frame has decoded.
    pub original: Option<Encoded>,
    /// Of the stored image (orientation applied).
    pub width: u32,
    pub height: u32,
    pub variants: Vec<Variant>,
    pub blurhash: String,
}

#[derive(Debug)]
pub enum ImagingError {
    /// The file does not decode (422 `invalid_image`).
    Invalid(String),
    /// Decoding would pass the memory limits (422 `image_too_large`).
    TooLarge(String),
    /// Not the file's fault: a read error, an encoder failing.
    Internal(String),
}

/// Decodes the spooled image at `path` and makes what is stored of it.
pub fn process(
    path: &Path,
    kind: MediaKind,
    settings: &Settings,
) -> Result<Processed, ImagingError> {
    let Some(format) = kind.image_format() else {
        return Err(ImagingError::Internal(format!("{kind:?} is no image")));
    };
    let image = decode::decode(path, format, settings.max_pixels)?;
    let original = match kind {
        MediaKind::Gif => None,
        _ => Some(encode::original(&image, kind)?),
    };
    let (variants, smallest) = variants::make(&image, &settings.variant_widths)?;
    let blurhash = encode::blurhash(smallest.as_ref().unwrap_or(&image))?;
    Ok(Processed {
        original,
        width: image.width(),
        height: image.height(),
        variants,
        blurhash,
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
