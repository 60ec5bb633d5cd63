//! Image processing on upload: the stored original re-encoded (no EXIF,
//! nothing appended), WebP variants narrower than the image, a blurhash,
//! a full decode required, and variants deleted with their media.

use http::StatusCode;
use serde_json::json;

use crate::fixtures::{find, flat_png, jpeg_with_exif, png};
use crate::helpers::{TestApp, TestResponse};
use crate::on_both;

on_both!(
    a_jpeg_is_stored_upright_without_its_exif,
    a_png_is_stored_without_bytes_appended_after_it,
    a_large_image_gets_three_webp_variants_served_like_the_original,
    only_variants_narrower_than_the_image_are_made,
    a_png_cut_in_its_pixel_data_is_unprocessable,
    a_gif_is_kept_as_sent_once_it_decodes,
    deleting_a_media_deletes_its_variants,
);

const MARKER: &str = "CHORUS-GPS-MARKER-51.5007N";

fn sha256_etag(body: &[u8]) -> String {
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{hex}\"")
}

fn decoded(served: &TestResponse) -> image::DynamicImage {
    image::load_from_memory(&served.body).expect("the served bytes decode")
}

async fn a_jpeg_is_stored_upright_without_its_exif(app: &TestApp) {
    // Orientation 6: the camera was held turned; shown, the image stands up.
    let sent = jpeg_with_exif(64, 48, MARKER, 6);
    assert!(
        find(&sent, MARKER.as_bytes()).is_some(),
        "the fixture carries it"
    );
    assert!(find(&sent, b"Exif\0\0").is_some());
    let media = app.uploaded(app.user(), &sent).await;
    assert_eq!(media["mime"], "image/jpeg");
    assert_eq!(
        (media["width"].clone(), media["height"].clone()),
        (json!(48), json!(64)),
        "the orientation is applied to the stored pixels"
    );

    let served = app.get(media["url"].as_str().expect("url"), &[]).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.header("content-type"), "image/jpeg");
    assert!(
        find(&served.body, MARKER.as_bytes()).is_none(),
        "the marker is gone"
    );
    assert!(find(&served.body, b"Exif\0\0").is_none(), "no EXIF segment");
    assert!(
        find(&served.body, &[0xFF, 0xE1]).is_none(),
        "no APP1 segment"
    );
    assert_eq!(
        image::guess_format(&served.body).expect("a format"),
        image::ImageFormat::Jpeg
    );
    let image = decoded(&served);
    assert_eq!((image.width(), image.height()), (48, 64));
    // Addressed by what is stored, not by what was sent.
    assert_eq!(served.header("etag"), sha256_etag(&served.body));
    assert_ne!(served.header("etag"), sha256_etag(&sent));
    assert_eq!(media["size"], served.body.len());
}

async fn a_png_is_stored_without_bytes_appended_after_it(app: &TestApp) {
    let clean = png(5, 5, 1);
    let sent = [&clean[..], b"APPENDED-AFTER-IEND <script>"].concat();
    let media = app.uploaded(app.user(), &sent).await;
    let served = app.get(media["url"].as_str().expect("url"), &[]).await;
    assert!(
        find(&served.body, b"APPENDED").is_none(),
        "the trailer is gone"
    );
    assert!(
        served.body.ends_with(b"IEND\xae\x42\x60\x82"),
        "ends at IEND"
    );
    assert_eq!(media["size"], served.body.len());
    let image = decoded(&served);
    assert_eq!((image.width(), image.height()), (5, 5));
}

async fn a_large_image_gets_three_webp_variants_served_like_the_original(app: &TestApp) {
    let media = app.uploaded(app.user(), &flat_png(2000, 1000)).await;
    let id = media["id"].as_str().expect("id");
    let variants = media["variants"].as_object().expect("an object");
    assert_eq!(variants.len(), 3, "{media}");
    for (name, width, height) in [
        ("small", 150, 75),
        ("medium", 600, 300),
        ("large", 1200, 600),
    ] {
        let variant = &variants[name];
        assert_eq!(variant["url"], format!("/media/{id}/{name}"));
        assert_eq!(
            (variant["width"].clone(), variant["height"].clone()),
            (json!(width), json!(height))
        );
        assert_eq!(variant["mime"], "image/webp");

        let url = variant["url"].as_str().expect("url");
        let served = app.get(url, &[]).await;
        assert_eq!(served.status, StatusCode::OK, "{name}: {}", served.text());
        assert_eq!(served.header("content-type"), "image/webp");
        assert_eq!(
            served.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(served.header("etag"), sha256_etag(&served.body));
        assert_eq!(
            image::guess_format(&served.body).expect("a format"),
            image::ImageFormat::WebP
        );
        let image = decoded(&served);
        assert_eq!((image.width(), image.height()), (width, height), "{name}");

        let etag = served.header("etag").to_string();
        let again = app.get(url, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        let part = app.get(url, &[("range", "bytes=0-3")]).await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.body.as_ref(), b"RIFF");
    }
    let blurhash = media["blurhash"].as_str().expect("a blurhash");
    assert_eq!(blurhash.len(), 28, "4×3 components: {blurhash}");
    assert_eq!(
        app.get(&format!("/api/v1/media/{id}"), &[]).await.json(),
        media
    );
    app.get(&format!("/media/{id}/huge"), &[])
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.blob_files().len(), 4, "the original and three variants");
}

async fn only_variants_narrower_than_the_image_are_made(app: &TestApp) {
    let small = app.uploaded(app.user(), &flat_png(100, 100)).await;
    assert_eq!(small["variants"], json!({}));
    assert!(small["blurhash"].is_string());

    let medium = app.uploaded(app.user(), &flat_png(700, 350)).await;
    let names: Vec<&String> = medium["variants"]
        .as_object()
        .expect("an object")
        .keys()
        .collect();
    assert_eq!(names, ["medium", "small"]);
    assert_eq!(medium["variants"]["medium"]["width"], 600);
}

async fn a_png_cut_in_its_pixel_data_is_unprocessable(app: &TestApp) {
    let whole = png(60, 60, 3);
    let idat = find(&whole, b"IDAT").expect("an IDAT chunk");
    let length = u32::from_be_bytes(whole[idat - 4..idat].try_into().expect("4 bytes")) as usize;
    assert!(length > 100, "pixel data worth cutting");
    let cut = &whole[..idat + 4 + length / 2];
    let answer = app.upload(app.user(), cut).await;
    answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_image");
    assert!(app.blob_files().is_empty());
    assert_eq!(app.spooled_files(), 0);
    assert!(app.events("media.uploaded").is_empty());
}

async fn a_gif_is_kept_as_sent_once_it_decodes(app: &TestApp) {
    let image = image::RgbaImage::from_pixel(4, 3, image::Rgba([200, 10, 10, 255]));
    let mut gif = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut gif, image::ImageFormat::Gif)
        .expect("encodes a GIF");
    let gif = gif.into_inner();
    let media = app.uploaded(app.user(), &gif).await;
    assert_eq!(media["mime"], "image/gif");
    assert!(media["blurhash"].is_string());
    let served = app.get(media["url"].as_str().expect("url"), &[]).await;
    assert_eq!(served.body.as_ref(), gif.as_slice());

    // A GIF whose pixels are cut off does not decode: refused.
    app.upload(app.user(), &gif[..gif.len() - 8])
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_image");
}

async fn deleting_a_media_deletes_its_variants(app: &TestApp) {
    let ana = app.user();
    let media = app.uploaded(ana, &flat_png(1300, 650)).await;
    let urls: Vec<String> = ["small", "medium", "large"]
        .iter()
        .map(|name| {
            media["variants"][name]["url"]
                .as_str()
                .expect("url")
                .to_string()
        })
        .collect();
    assert_eq!(app.blob_files().len(), 4);
    let deleted = app
        .delete(media["id"].as_str().expect("id"), Some(ana))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    assert!(app.blob_files().is_empty(), "{:?}", app.blob_files());
    for url in urls {
        app.get(&url, &[])
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}
