//! What a file is, told by its first bytes only: the name and the declared
//! type come from the client and prove nothing.

use image::ImageFormat;

/// Bytes enough to tell every accepted kind apart.
pub const SNIFF_BYTES: usize = 12;

/// The kinds of file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Mp4,
    Webm,
}

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Known(MediaKind),
    /// None of the accepted kinds (or too short to tell).
    Unknown,
}

/// ISO base media brands that are still images (HEIF, AVIF), not video.
const IMAGE_BRANDS: [&[u8; 4]; 6] = [b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1"];

/// The kind of a file from its first bytes (at least [`SNIFF_BYTES`] of
/// them unless the file is shorter).
pub fn sniff(head: &[u8]) -> Sniffed {
    let kind = if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        MediaKind::Jpeg
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        MediaKind::Png
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        MediaKind::Gif
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        MediaKind::Webp
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        if IMAGE_BRANDS.iter().any(|brand| &head[8..12] == *brand) {
            return Sniffed::Unknown;
        }
        MediaKind::Mp4
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        MediaKind::Webm
    } else {
        return Sniffed::Unknown;
    };
    Sniffed::Known(kind)
}

impl MediaKind {
    pub const ALL: [MediaKind; 6] = [
        MediaKind::Jpeg,
        MediaKind::Png,
        MediaKind::Gif,
        MediaKind::Webp,
        MediaKind::Mp4,
        MediaKind::Webm,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
            MediaKind::Gif => "image/gif",
            MediaKind::Webp => "image/webp",
            MediaKind::Mp4 => "video/mp4",
            MediaKind::Webm => "video/webm",
        }
    }

    /// The kind stored as `mime`.
    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.mime() == mime)
    }

    pub fn is_image(self) -> bool {
        self.image_format().is_some()
    }

    /// The decoder that reads its header, for images.
    pub fn image_format(self) -> Option<ImageFormat> {
        match self {
            MediaKind::Jpeg => Some(ImageFormat::Jpeg),
            MediaKind::Png => Some(ImageFormat::Png),
            MediaKind::Gif => Some(ImageFormat::Gif),
            MediaKind::Webp => Some(ImageFormat::WebP),
            MediaKind::Mp4 | MediaKind::Webm => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(head: &[u8]) -> MediaKind {
        match sniff(head) {
            Sniffed::Known(kind) => kind,
            Sniffed::Unknown => panic!("{head:02x?} should be known"),
        }
    }

    #[test]
    fn each_accepted_kind_is_told_by_its_signature() {
        assert_eq!(known(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), MediaKind::Jpeg);
        assert_eq!(known(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"), MediaKind::Png);
        assert_eq!(known(b"GIF87a\x01\0\x01\0"), MediaKind::Gif);
        assert_eq!(known(b"GIF89a\x01\0\x01\0"), MediaKind::Gif);
        assert_eq!(known(b"RIFF\x24\0\0\0WEBPVP8 "), MediaKind::Webp);
        assert_eq!(known(b"\0\0\0\x20ftypisom\0\0\x02\0"), MediaKind::Mp4);
        assert_eq!(known(b"\0\0\0\x18ftypmp42"), MediaKind::Mp4);
        assert_eq!(
            known(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42]),
            MediaKind::Webm
        );
    }

    #[test]
    fn anything_else_is_unknown_whatever_it_claims_to_be() {
        for head in [
            &b"MZ\x90\0\x03\0\0\0\x04\0\0\0"[..],
            b"\x7fELF\x02\x01\x01\0\0\0\0\0",
            b"<!DOCTYPE html><script>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\">",
            b"%PDF-1.7\n",
            b"PK\x03\x04\x14\0\0\0",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"\0\0\0\x1cftypavif\0\0\0\0",
            b"\0\0\0\x18ftypheic",
            b"",
            b"\xFF\xD8",
            b"GIF8",
            b"\x89PNG\r\n\x1a",
            b"RIFF\x24\0\0\0WEB",
        ] {
            assert_eq!(sniff(head), Sniffed::Unknown, "{head:02x?}");
        }
    }

    #[test]
    fn a_mime_type_maps_back_to_its_kind() {
        for kind in MediaKind::ALL {
            assert_eq!(MediaKind::from_mime(kind.mime()), Some(kind));
        }
        assert_eq!(MediaKind::from_mime("text/html"), None);
        assert!(MediaKind::Png.is_image());
        assert!(!MediaKind::Webm.is_image());
    }
}
