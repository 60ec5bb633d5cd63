//! What tests send: multipart forms written out by hand (so that broken
//! ones can be sent too), real and crafted PNGs, and MP4-looking bytes.

/// A multipart/form-data body, written out by hand so that tests can also
/// send broken ones.
pub struct Form {
    boundary: String,
    parts: Vec<u8>,
}

impl Form {
    pub fn new() -> Self {
        Self {
            boundary: format!("chorus-test-{:016x}", rand_u64()),
            parts: Vec::new(),
        }
    }

    pub fn file(mut self, name: &str, filename: &str, content_type: &str, content: &[u8]) -> Self {
        let head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n",
            self.boundary
        );
        self.parts.extend_from_slice(head.as_bytes());
        self.parts.extend_from_slice(content);
        self.parts.extend_from_slice(b"\r\n");
        self
    }

    pub fn text(mut self, name: &str, value: &str) -> Self {
        let part = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n",
            self.boundary
        );
        self.parts.extend_from_slice(part.as_bytes());
        self
    }

    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    pub fn body(&self) -> Vec<u8> {
        let mut body = self.parts.clone();
        body.extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        body
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// A real PNG of `width` × `height` pixels, of a colour drawn from `seed`.
pub fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([seed, (x % 256) as u8, (y % 256) as u8])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encodes a PNG");
    bytes.into_inner()
}

/// A PNG of one colour: small however large (a 2000×1000 one fits the
/// tests' 20 000-byte limit).
pub fn flat_png(width: u32, height: u32) -> Vec<u8> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([40, 90, 200]));
    let mut bytes = Vec::new();
    let encoder =
        PngEncoder::new_with_quality(&mut bytes, CompressionType::Best, FilterType::Adaptive);
    image.write_with_encoder(encoder).expect("encodes a PNG");
    bytes
}

/// A real JPEG with an EXIF segment (APP1) right after its start, carrying
/// `marker` in a text tag, an orientation and a GPS IFD entry: what a phone
/// camera leaves.
pub fn jpeg_with_exif(width: u32, height: u32, marker: &str, orientation: u16) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 8) as u8, (y * 8) as u8, 128])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&image)
        .expect("encodes a JPEG");
    // TIFF, little-endian: IFD0 with ImageDescription (the marker, ASCII),
    // Orientation (a SHORT, in place) and GPSInfo (an offset, here to an
    // empty GPS IFD).
    let text = [marker.as_bytes(), b"\0"].concat();
    let ifd0 = 8u32;
    let entries = 3u16;
    let text_at = ifd0 + 2 + u32::from(entries) * 12 + 4;
    let gps_at = text_at + text.len() as u32;
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&ifd0.to_le_bytes());
    tiff.extend_from_slice(&entries.to_le_bytes());
    for (tag, kind, count, value) in [
        (0x010E_u16, 2_u16, text.len() as u32, text_at),
        (0x0112, 3, 1, u32::from(orientation)),
        (0x8825, 4, 1, gps_at),
    ] {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        tiff.extend_from_slice(&value.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    tiff.extend_from_slice(&text);
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // the GPS IFD: no entries, no next
    let payload = [&b"Exif\0\0"[..], &tiff].concat();
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    app1.extend_from_slice(&payload);
    [&jpeg[..2], &app1, &jpeg[2..]].concat()
}

/// Where `needle` first occurs in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A well-formed PNG header declaring `width` × `height` pixels, with a
/// token of pixel data: what an image bomb looks like before decoding.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `len` bytes that start like an MP4 file.
pub fn mp4(len: usize, seed: u8) -> Vec<u8> {
    let mut video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    video.resize(len, seed);
    video
}
