//! The media scenario: upload-and-process throughput for a 2 MB photo.
//!
//! One noisy 2400×1600 JPEG of about 2 MB is made in memory, then uploaded
//! through the gateway to `POST /api/v1/media` (multipart field `file`) by
//! `concurrency` workers for the measured phase. Every upload is decoded,
//! re-encoded and resized into WebP variants by the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use rand::{Rng, SeedableRng};

use super::http::{phase, signup};
use super::load::{self, MakeRequest};
use super::report::{self, Fact, OpReport, Report};

const WIDTH: u32 = 2400;
const HEIGHT: u32 = 1600;
const QUALITY: u8 = 90;
/// What the photo's file should come to, about.
const TARGET_BYTES: usize = 2_000_000;
const BOUNDARY: &str = "chorus-bench-media-boundary";

/// The server settings this scenario needs: cheap signups, and a quota
/// that many uploads of the same photo do not exhaust.
pub fn embedded_env() -> Vec<(String, String)> {
    let mut env = super::social::embedded_env();
    for (key, value) in [("CHORUS_MEDIA__QUOTA_BYTES", "1099511627776")] {
        if std::env::var_os(key).is_none() {
            env.push((key.to_string(), value.to_string()));
        }
    }
    env
}

pub async fn run(
    addr: SocketAddr,
    duration: Duration,
    concurrency: usize,
) -> anyhow::Result<Report> {
    let photo = tokio::task::spawn_blocking(photo)
        .await
        .context("making the photo failed")??;
    eprintln!(
        "photo: {WIDTH}×{HEIGHT} JPEG at quality {QUALITY}, {} bytes",
        photo.len()
    );
    let username = format!("bench_{:x}", rand::random::<u32>());
    let token = signup(addr, &username, "correct horse battery staple")
        .await?
        .access_token;
    let upload = upload_request(&addr.to_string(), &token, &photo);

    // One upload first: it must succeed, and it tells the variants made.
    let (status, body) = once(addr, &upload).await?;
    anyhow::ensure!(
        status == 201,
        "POST /api/v1/media answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let media: serde_json::Value = serde_json::from_slice(&body)?;
    let variants: Vec<String> = media["variants"]
        .as_object()
        .map(|v| v.keys().cloned().collect())
        .unwrap_or_default();

    let measured = phase(
        "upload 2 MB photo",
        duration,
        concurrency,
        addr,
        upload.clone(),
    )
    .await;
    let mut notes = vec![
        "Every upload sends the same bytes, so the blob is content-addressed and stored once; \
         the processing (decode, re-encode, WebP variants, blurhash) still runs for each upload."
            .to_string(),
        "Any answer other than 201 counts as an error.".to_string(),
    ];
    if measured.errors > 0 {
        // The load generator drops answers' bodies: one more upload to show why.
        let (status, body) = once(addr, &upload).await?;
        notes.push(format!(
            "{} errors; an upload after the run answered {status}: {}",
            measured.errors,
            String::from_utf8_lossy(&body)
        ));
    }

    let seconds = measured.elapsed.as_secs_f64();
    let stored = measured.requests.saturating_sub(measured.errors);
    let uploads_per_second = stored as f64 / seconds;
    let megabytes_per_second = uploads_per_second * photo.len() as f64 / 1e6;
    let facts = vec![
        Fact::new("photo bytes", photo.len() as u64),
        Fact::new("photo dimensions", format!("{WIDTH}×{HEIGHT}")),
        Fact::new("JPEG quality", u64::from(QUALITY)),
        Fact::new("uploads in flight", concurrency as u64),
        Fact::new("uploads stored (201)", stored),
        Fact::new("uploads/s", uploads_per_second),
        Fact::new("MB/s in (10⁶ bytes)", megabytes_per_second),
        Fact::new("variants per upload", variants.len() as u64),
        Fact::new("variants", variants.join(", ")),
    ];
    Ok(Report {
        scenario: "media".into(),
        machine: report::machine(),
        command: String::new(),
        facts,
        operations: vec![OpReport::from_measured(
            "POST /api/v1/media (2 MB JPEG)",
            &measured,
        )],
        notes,
        ..Report::default()
    })
}

/// A photo-like JPEG of about [`TARGET_BYTES`]: smooth gradients and
/// waves, with noise so that it does not compress to nothing. The noise's
/// amplitude is searched for so the file comes out at the target size.
fn photo() -> anyhow::Result<Bytes> {
    let (mut low, mut high) = (0u32, 96u32);
    let mut best = encode(&scene(high))?;
    while high - low > 1 {
        let mid = (low + high) / 2;
        let jpeg = encode(&scene(mid))?;
        if jpeg.len() >= TARGET_BYTES {
            high = mid;
            best = jpeg;
        } else {
            low = mid;
        }
    }
    Ok(Bytes::from(best))
}

fn scene(noise: u32) -> image::RgbImage {
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);
    let amplitude = i32::try_from(noise).unwrap_or(0);
    image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (fx, fy) = (x as f32 / WIDTH as f32, y as f32 / HEIGHT as f32);
        let wave = ((fx * 17.0).sin() * (fy * 11.0).cos() * 40.0) as i32;
        let base = [
            (60.0 + 150.0 * fx) as i32 + wave,
            (90.0 + 120.0 * fy) as i32 - wave / 2,
            (200.0 - 140.0 * fx * fy) as i32 + wave / 3,
        ];
        image::Rgb(base.map(|channel| {
            let jitter = if amplitude > 0 {
                rng.random_range(-amplitude..=amplitude)
            } else {
                0
            };
            (channel + jitter).clamp(0, 255) as u8
        }))
    })
}

fn encode(image: &image::RgbImage) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(image)
        .context("encoding the photo")?;
    Ok(out)
}

/// The upload: the photo as the multipart field `file`.
fn upload_request(host: &str, token: &str, photo: &[u8]) -> MakeRequest {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let body = Bytes::from(body);
    let host = host.to_string();
    let auth = format!("Bearer {token}");
    Arc::new(move |_, _| {
        Request::post("/api/v1/media")
            .header(http::header::HOST, &host)
            .header(http::header::AUTHORIZATION, &auth)
            .header(
                http::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Full::new(body.clone()))
            .unwrap_or_else(|e| unreachable!("a valid request: {e}"))
    })
}

/// One upload on a connection of its own: its status and body.
async fn once(addr: SocketAddr, upload: &MakeRequest) -> anyhow::Result<(u16, Bytes)> {
    let mut sender = load::connect(addr)
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    let response = sender.send_request(upload(0, 0)).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}
