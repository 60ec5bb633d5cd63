//! `[media]` in `chorus.toml`; `CHORUS_MEDIA__MAX_IMAGE_BYTES` and so on.

use serde::{Deserialize, Serialize};

use crate::imaging::VARIANT_NAMES;

const MIB: u64 = 1024 * 1024;

/// What a multipart body may carry beyond its file: boundaries, part
/// headers and small fields.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Largest image file accepted (JPEG, PNG, GIF, WebP), in bytes.
    pub max_image_bytes: u64,
    /// Largest video file accepted (MP4, WebM), in bytes.
    pub max_video_bytes: u64,
    /// Bytes of media one user may keep in all.
    pub quota_bytes: u64,
    /// Largest width × height an image may declare; more is refused before
    /// any decoding (a small file can declare a huge image).
    pub max_image_pixels: u64,
    /// Widths of the resized WebP variants, ascending, named `small`,
    /// `medium` and `large` in that order (at most three); only those
    /// narrower than an image are made of it.
    pub variant_widths: Vec<u32>,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            max_image_bytes: 5 * MIB,
            max_video_bytes: 50 * MIB,
            quota_bytes: 1024 * MIB,
            max_image_pixels: 40_000_000,
            variant_widths: vec![150, 600, 1200],
        }
    }
}

impl MediaConfig {
    /// Checks the values, naming the setting that is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, value) in [
            ("max_image_bytes", self.max_image_bytes),
            ("max_video_bytes", self.max_video_bytes),
            ("quota_bytes", self.quota_bytes),
            ("max_image_pixels", self.max_image_pixels),
        ] {
            anyhow::ensure!(value > 0, "setting media.{name} must be above 0");
        }
        let widths = &self.variant_widths;
        anyhow::ensure!(
            widths.len() <= VARIANT_NAMES.len(),
            "setting media.variant_widths may list at most {} widths",
            VARIANT_NAMES.len()
        );
        anyhow::ensure!(
            widths.first().is_none_or(|&first| first > 0)
                && widths.windows(2).all(|pair| pair[0] < pair[1]),
            "setting media.variant_widths must be ascending and above 0"
        );
        // Sizes are i64 in the database.
        anyhow::ensure!(
            self.quota_bytes <= i64::MAX as u64 / 2,
            "setting media.quota_bytes is too large"
        );
        Ok(())
    }

    /// The largest request body an upload may need: the largest file and
    /// the multipart framing around it.
    pub fn upload_body_limit(&self) -> usize {
        let largest = self.max_image_bytes.max(self.max_video_bytes);
        usize::try_from(largest.saturating_add(MULTIPART_OVERHEAD)).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_bound_an_upload_by_the_largest_kind() {
        let config = MediaConfig::default();
        config.validate().expect("valid");
        assert_eq!(config.max_image_bytes, 5 * MIB);
        assert_eq!(
            config.upload_body_limit() as u64,
            50 * MIB + MULTIPART_OVERHEAD
        );
    }

    #[test]
    fn a_zero_limit_is_refused_naming_it() {
        let config = MediaConfig {
            max_image_pixels: 0,
            ..MediaConfig::default()
        };
        let error = config.validate().expect_err("refused").to_string();
        assert!(error.contains("media.max_image_pixels"), "{error}");
    }

    #[test]
    fn variant_widths_must_ascend_and_be_at_most_three() {
        for widths in [vec![600, 150], vec![0, 10], vec![1, 2, 3, 4], vec![5, 5]] {
            let config = MediaConfig {
                variant_widths: widths.clone(),
                ..MediaConfig::default()
            };
            let error = config.validate().expect_err("refused").to_string();
            assert!(
                error.contains("media.variant_widths"),
                "{widths:?}: {error}"
            );
        }
        let none = MediaConfig {
            variant_widths: Vec::new(),
            ..MediaConfig::default()
        };
        none.validate().expect("no variants at all is allowed");
    }
}
