//! The checks and CPU work before an image is stored: its header first
//! (cheap: an image declaring too many pixels is refused before any
//! decoding), then [`crate::imaging`] on a blocking thread, a few at a time.

use std::io::ErrorKind;

use chorus_core::{ApiError, ApiResult};
use http::StatusCode;
use image::{ImageError, ImageFormat, ImageReader, Limits};
use serde_json::json;

use super::{Media, Spooled};
use crate::imaging::{self, ImagingError, Processed, Settings};

/// What a header may make the decoder allocate (metadata chunks before the
/// pixels); the pixels themselves are not decoded by the header check.
const HEADER_ALLOC_BYTES: u64 = 64 * 1024 * 1024;

impl Media {
    /// The processed image; `None` for a video, stored as sent.
    pub(super) async fn process(&self, spooled: &Spooled) -> ApiResult<Option<Processed>> {
        let Some(format) = spooled.kind.image_format() else {
            return Ok(None);
        };
        self.check_header(spooled, format).await?;
        let settings = Settings {
            max_pixels: self.config().max_image_pixels,
            variant_widths: self.config().variant_widths.clone(),
        };
        // Decodes take memory and CPU: as many at once as there are cores.
        let permit = self
            .inner
            .processing
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let (path, kind) = (spooled.path.to_path_buf(), spooled.kind);
        let processed = tokio::task::spawn_blocking(move || {
            let processed = imaging::process(&path, kind, &settings);
            drop(permit);
            processed
        })
        .await
        .map_err(ApiError::internal)?;
        match processed {
            Ok(processed) => Ok(Some(processed)),
            Err(ImagingError::Invalid(message)) => Err(invalid_image(message)),
            Err(ImagingError::TooLarge(message)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "image_too_large",
                message,
            )),
            Err(ImagingError::Internal(message)) => Err(ApiError::internal(message)),
        }
    }

    /// Refuses an image whose header cannot be read (422) or declares more
    /// pixels than allowed (422), before anything is decoded.
    async fn check_header(&self, spooled: &Spooled, format: ImageFormat) -> ApiResult<()> {
        let path = spooled.path.to_path_buf();
        let read = tokio::task::spawn_blocking(move || {
            let file = std::io::BufReader::new(std::fs::File::open(&path)?);
            let mut reader = ImageReader::with_format(file, format);
            let mut limits = Limits::default();
            limits.max_alloc = Some(HEADER_ALLOC_BYTES);
            reader.limits(limits);
            reader.into_dimensions()
        })
        .await
        .map_err(ApiError::internal)?;
        let (width, height) = match read {
            Ok(dimensions) => dimensions,
            Err(ImageError::IoError(error)) if error.kind() != ErrorKind::UnexpectedEof => {
                return Err(ApiError::internal(format!(
                    "reading a spooled image: {error}"
                )));
            }
            Err(error) => {
                return Err(invalid_image(format!(
                    "the image's header cannot be read: {error}"
                )));
            }
        };
        let pixels = u64::from(width) * u64::from(height);
        let max = self.config().max_image_pixels;
        if width == 0 || height == 0 {
            return Err(invalid_image("the image has no pixels".into()));
        }
        if pixels > max {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "image_too_large",
                format!("the image declares {width}×{height} pixels; at most {max} are accepted"),
            )
            .with_details(json!({ "width": width, "height": height, "max_pixels": max })));
        }
        Ok(())
    }
}

fn invalid_image(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_image", message)
}
