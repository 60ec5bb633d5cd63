//! Resized WebP copies, narrower than the original only, aspect kept.

use image::DynamicImage;
use image::imageops::FilterType;

use super::{ImagingError, Variant, encode};

/// Names of the variants, in the order of the configured widths.
pub const VARIANT_NAMES: [&str; 3] = ["small", "medium", "large"];

/// The height of a `width`-wide copy of an `original_width` ×
/// `original_height` image: rounded, at least one pixel.
fn variant_height(original_width: u32, original_height: u32, width: u32) -> u32 {
    let scaled = (u64::from(original_height) * u64::from(width) * 2 + u64::from(original_width))
        / (u64::from(original_width) * 2);
    u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
}

/// The variants of `image` for `widths` (ascending), and the smallest one
/// made, decoded (a cheap source for the blurhash).
pub(super) fn make(
    image: &DynamicImage,
    widths: &[u32],
) -> Result<(Vec<Variant>, Option<DynamicImage>), ImagingError> {
    let (width, height) = (image.width(), image.height());
    let mut made = Vec::new();
    let mut previous: Option<DynamicImage> = None;
    // Largest first, each from the one before: less work than resizing the
    // original every time, and Triangle keeps the quality.
    for (index, &target) in widths.iter().enumerate().rev() {
        if target >= width {
            continue;
        }
        let Some(&name) = VARIANT_NAMES.get(index) else {
            continue;
        };
        let source = previous.as_ref().unwrap_or(image);
        let resized = source.resize_exact(
            target,
            variant_height(width, height, target),
            FilterType::Triangle,
        );
        made.push(Variant {
            name,
            file: encode::webp(&resized)?,
        });
        previous = Some(resized);
    }
    made.reverse();
    Ok((made, previous))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_keep_the_aspect_rounded_and_never_vanish() {
        assert_eq!(variant_height(2000, 1000, 150), 75);
        assert_eq!(variant_height(2000, 1000, 600), 300);
        assert_eq!(variant_height(3, 2, 2), 1);
        assert_eq!(variant_height(3, 5, 2), 3);
        assert_eq!(variant_height(10_000, 1, 150), 1);
    }

    #[test]
    fn only_narrower_widths_are_made_and_named_by_their_place() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::new(700, 350));
        let (made, smallest) = make(&image, &[150, 600, 1200]).expect("makes");
        let sizes: Vec<_> = made
            .iter()
            .map(|v| (v.name, v.file.width, v.file.height))
            .collect();
        assert_eq!(sizes, [("small", 150, 75), ("medium", 600, 300)]);
        assert_eq!(smallest.map(|s| s.width()), Some(150));
        let decoded = image::load_from_memory(&made[0].file.bytes).expect("a WebP");
        assert_eq!((decoded.width(), decoded.height()), (150, 75));

        let (made, smallest) = make(&image, &[700, 1200]).expect("makes");
        assert!(made.is_empty() && smallest.is_none(), "none narrower");
    }
}
