//! Media through the gateway: a real PNG uploaded as multipart, its JSON and
//! its bytes (type, ETag, 304, ranges), the same bytes twice, what is
//! refused (by content, size, declared pixels, unreadable header), an
//! upload above the gateway's own body limit, attaching to a post (right
//! after uploading, shown as uploaded), an avatar, and deleting; an image's
//! WebP variant served through the gateway. Images are limited to 20 000
//! bytes in these deployments.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{Answer, Api};
use crate::harness::Chorus;
use crate::social::{User, assert_error, assert_invalid_field, eventually};

const MAX_IMAGE_BYTES: usize = 20_000;

crate::in_both_modes_with!(
    &[("CHORUS_MEDIA__MAX_IMAGE_BYTES", "20000")];
    a_png_is_stored_and_served_with_caching_and_ranges,
    the_same_bytes_twice_are_two_media_of_one_content,
    what_is_no_accepted_file_or_too_large_is_refused,
    a_video_above_the_gateways_usual_body_limit_is_accepted,
    only_the_owner_deletes_and_posts_lose_the_media,
    a_post_made_right_after_an_upload_shows_the_media_as_uploaded,
    an_uploaded_image_is_an_avatar_until_deleted,
);

async fn a_png_is_stored_and_served_with_caching_and_ranges(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("media").await;
    let content = png(6, 4, 1);
    let media = uploaded(&api, &ana, "holiday.png", "image/png", &content).await;
    let id = media["id"].as_str().expect("id");
    assert_eq!(media["url"], format!("/media/{id}"));
    assert_eq!(media["mime"], "image/png");
    assert_eq!(media["size"], content.len());
    assert_eq!(
        (media["width"].clone(), media["height"].clone()),
        (json!(6), json!(4))
    );
    assert_eq!(media["variants"], json!({}), "no variant wider than 6 px");
    assert!(media["blurhash"].is_string());

    let shown = api.get(&format!("/api/v1/media/{id}"), None).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(shown.body, media);

    let url = api.url(media["url"].as_str().expect("url"));
    let served = api.http.get(&url).send().await.expect("GET");
    assert_eq!(served.status(), StatusCode::OK);
    let headers = served.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["accept-ranges"], "bytes");
    let etag = headers["etag"].to_str().expect("etag").to_string();
    assert_eq!(etag.len(), 66, "a quoted SHA-256: {etag}");
    assert_eq!(
        served.bytes().await.expect("bytes").as_ref(),
        content.as_slice()
    );

    // The same bytes for everyone: a stale token in the way changes nothing.
    let stale = api
        .http
        .get(&url)
        .bearer_auth("not-a-token-any-more")
        .send()
        .await
        .expect("GET");
    assert_eq!(stale.status(), StatusCode::OK);

    let again = api
        .http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());

    let part = api
        .http
        .get(&url)
        .header("range", "bytes=0-7")
        .send()
        .await
        .expect("GET");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-7/{}", content.len()).as_str()
    );
    assert_eq!(
        part.bytes().await.expect("bytes").as_ref(),
        b"\x89PNG\r\n\x1a\n"
    );

    let past = api
        .http
        .get(&url)
        .header("range", format!("bytes={}-", content.len()))
        .send()
        .await
        .expect("GET");
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // A wider image gets a resized WebP copy, served alike at its own URL.
    let wide = uploaded(&api, &ana, "wide.png", "image/png", &flat_png(400, 200)).await;
    let small = &wide["variants"]["small"];
    let small_url = format!("/media/{}/small", wide["id"].as_str().expect("id"));
    assert_eq!(small["url"], small_url.as_str(), "{wide}");
    assert_eq!(
        (small["width"].clone(), small["height"].clone()),
        (json!(150), json!(75))
    );
    assert!(
        wide["variants"]["medium"].is_null(),
        "none wider than the image"
    );
    let served = api.http.get(api.url(&small_url)).send().await.expect("GET");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/webp");
    assert_eq!(
        served.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bytes = served.bytes().await.expect("bytes");
    let decoded = image::load_from_memory(&bytes).expect("a WebP that decodes");
    assert_eq!((decoded.width(), decoded.height()), (150, 75));
}

async fn the_same_bytes_twice_are_two_media_of_one_content(app: &Chorus) {
    let api = Api::new(&app.base);
    let (ana, bo) = (api.user("media").await, api.user("media").await);
    let content = png(5, 5, 2);
    let first = uploaded(&api, &ana, "a.png", "image/png", &content).await;
    let second = uploaded(&api, &bo, "b.png", "image/png", &content).await;
    assert_ne!(first["id"], second["id"]);
    let mut etags = Vec::new();
    for media in [&first, &second] {
        let url = api.url(media["url"].as_str().expect("url"));
        let served = api.http.get(&url).send().await.expect("GET");
        etags.push(served.headers()["etag"].clone());
        assert_eq!(
            served.bytes().await.expect("bytes").as_ref(),
            content.as_slice()
        );
    }
    assert_eq!(etags[0], etags[1], "one content, one ETag");
}

async fn what_is_no_accepted_file_or_too_large_is_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("media").await;
    let executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00program";
    let answer = upload(
        &api,
        Some(&ana),
        "file",
        "cat.jpg",
        "image/jpeg",
        executable,
    )
    .await;
    assert_error(
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "an .exe named .jpg",
    );
    let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00";
    let answer = upload(&api, Some(&ana), "file", "cat.png", "image/png", elf).await;
    assert_error(
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "an ELF named .png",
    );

    let answer = upload(&api, Some(&ana), "file", "empty.png", "image/png", b"").await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        "zero bytes",
    );
    let answer = upload(
        &api,
        Some(&ana),
        "picture",
        "a.png",
        "image/png",
        &png(1, 1, 1),
    )
    .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        "no `file` field",
    );
    let answer = upload(&api, None, "file", "a.png", "image/png", &png(1, 1, 1)).await;
    assert_error(
        &answer,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "anonymous",
    );

    let mut big = png(4, 4, 3);
    big.resize(MAX_IMAGE_BYTES + 10_000, 0);
    let answer = upload(&api, Some(&ana), "file", "big.png", "image/png", &big).await;
    assert_error(
        &answer,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "over the image limit",
    );

    let bomb = png_declaring(50_000, 50_000);
    let answer = upload(&api, Some(&ana), "file", "bomb.png", "image/png", &bomb).await;
    assert_error(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "image_too_large",
        "50 000 × 50 000",
    );

    let whole = png(8, 8, 4);
    let answer = upload(
        &api,
        Some(&ana),
        "file",
        "cut.png",
        "image/png",
        &whole[..20],
    )
    .await;
    assert!(
        answer.status.is_client_error(),
        "a truncated PNG: {} {}",
        answer.status,
        answer.body
    );
    assert_error(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_image",
        "a truncated PNG",
    );
}

async fn a_video_above_the_gateways_usual_body_limit_is_accepted(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("media").await;
    // Twice the gateway's 1 MiB default body limit: uploads have their own.
    let mut video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    video.extend((0..2 * 1024 * 1024).map(|i: usize| (i % 251) as u8));
    let media = uploaded(&api, &ana, "clip.mp4", "video/mp4", &video).await;
    assert_eq!(media["mime"], "video/mp4");
    assert_eq!(media["size"], video.len());
    assert!(media["width"].is_null());

    let url = api.url(media["url"].as_str().expect("url"));
    let part = api
        .http
        .get(&url)
        .header("range", "bytes=1000000-1000099")
        .send()
        .await
        .expect("GET");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-type"], "video/mp4");
    assert_eq!(
        part.bytes().await.expect("bytes").as_ref(),
        &video[1_000_000..1_000_100]
    );
}

async fn only_the_owner_deletes_and_posts_lose_the_media(app: &Chorus) {
    let api = Api::new(&app.base);
    let (ana, bo) = (api.user("media").await, api.user("media").await);
    let media = uploaded(&api, &ana, "a.png", "image/png", &png(3, 3, 5)).await;
    let id = media["id"].as_str().expect("id").to_string();

    // The posts service learns of it from `media.uploaded` (and waits for
    // it a little): only ana may attach it.
    let body = json!({ "content": "look", "media_ids": [id] });
    let post = api.create_post(&ana, &body).await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.body);
    let post = post.body;
    assert_eq!(post["media"], json!([shown_on_a_post(&media)]));
    let answer = api.create_post(&bo, &body).await;
    assert_invalid_field(&answer, "media_ids", "bo attaches ana's upload");

    let path = format!("/api/v1/media/{id}");
    let answer = api.delete(&path, bo.token()).await;
    assert_error(
        &answer,
        StatusCode::FORBIDDEN,
        "forbidden",
        "bo deletes ana's upload",
    );
    let answer = api.delete(&path, ana.token()).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);

    let answer = api.get(&path, None).await;
    assert_error(
        &answer,
        StatusCode::NOT_FOUND,
        "not_found",
        "the deleted media's JSON",
    );
    let answer = api.get(media["url"].as_str().expect("url"), None).await;
    assert_error(
        &answer,
        StatusCode::NOT_FOUND,
        "not_found",
        "the deleted media's bytes",
    );

    // `media.deleted` takes it off the post.
    let post_path = format!("/api/v1/posts/{}", post["id"].as_str().expect("post id"));
    eventually("the post loses the deleted media", || async {
        let answer = api.get(&post_path, ana.token()).await;
        match answer.body["media"] == json!([]) {
            true => Ok(()),
            false => Err(answer.body.to_string()),
        }
    })
    .await;
}

async fn a_post_made_right_after_an_upload_shows_the_media_as_uploaded(app: &Chorus) {
    let api = Api::new(&app.base);
    let (ana, bo) = (api.user("media").await, api.user("media").await);
    let wide = uploaded(&api, &ana, "wide.png", "image/png", &flat_png(400, 200)).await;
    let small = uploaded(&api, &ana, "small.png", "image/png", &png(4, 3, 7)).await;
    let ids = [&wide["id"], &small["id"]];

    // At once: the posts service waits for `media.uploaded` if it is behind.
    let answer = api
        .create_post(&ana, &json!({ "content": "fresh", "media_ids": ids }))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let expected = json!([shown_on_a_post(&wide), shown_on_a_post(&small)]);
    assert_eq!(answer.body["media"], expected);
    assert_eq!(
        answer.body["media"][0]["variants"]["small"]["url"],
        format!("/media/{}/small", wide["id"].as_str().expect("id"))
    );
    let path = format!("/api/v1/posts/{}", answer.body["id"].as_str().expect("id"));
    let shown = api.get(&path, None).await;
    assert_eq!(shown.body["media"], expected, "{}", shown.body);

    let stolen = api
        .create_post(
            &bo,
            &json!({ "content": "mine", "media_ids": [wide["id"]] }),
        )
        .await;
    assert_invalid_field(&stolen, "media_ids", "bo attaches ana's upload");
}

async fn an_uploaded_image_is_an_avatar_until_deleted(app: &Chorus) {
    let api = Api::new(&app.base);
    let (ana, bo) = (api.user("media").await, api.user("media").await);
    let image = uploaded(&api, &ana, "me.png", "image/png", &png(8, 8, 9)).await;
    let id = image["id"].as_str().expect("id");

    // At once, as a client would right after uploading.
    let edited = api.update_me(&ana, &json!({ "avatar_media_id": id })).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["avatar_url"], image["url"]);
    let profile = api.get(&format!("/api/v1/users/{}", ana.id), None).await;
    assert_eq!(profile.body["avatar_url"], image["url"], "{}", profile.body);
    let post = api.new_post(&ana, "with a face", "public").await;
    assert_eq!(post["author"]["avatar_url"], image["url"], "{post}");

    let refused = api.update_me(&bo, &json!({ "avatar_media_id": id })).await;
    assert_invalid_field(&refused, "avatar_media_id", "bo takes ana's image");

    let deleted = api
        .delete(&format!("/api/v1/media/{id}"), ana.token())
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let profile_path = format!("/api/v1/users/{}", ana.id);
    eventually("the deleted avatar leaves the profile", || async {
        let answer = api.get(&profile_path, None).await;
        match answer.body["avatar_url"].is_null() {
            true => Ok(()),
            false => Err(answer.body.to_string()),
        }
    })
    .await;
    let post_path = format!("/api/v1/posts/{}", post["id"].as_str().expect("id"));
    eventually("the deleted avatar leaves the author card", || async {
        let answer = api.get(&post_path, None).await;
        match answer.body["author"]["avatar_url"].is_null() {
            true => Ok(()),
            false => Err(answer.body.to_string()),
        }
    })
    .await;
}

/// How a post shows a media the upload answered: its view without the
/// blurhash and time.
fn shown_on_a_post(media: &Value) -> Value {
    let mut shown = media.clone();
    if let Some(fields) = shown.as_object_mut() {
        fields.remove("blurhash");
        fields.remove("created_at");
    }
    shown
}

/// Uploads `content` as the multipart field `field`, with the file name and
/// type a client would declare.
async fn upload(
    api: &Api,
    user: Option<&User>,
    field: &str,
    filename: &str,
    content_type: &str,
    content: &[u8],
) -> Answer {
    let boundary = format!("chorus-e2e-{:016x}", rand::random::<u64>());
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = api
        .http
        .post(api.url("/api/v1/media"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    if let Some(user) = user {
        request = request.bearer_auth(&user.token);
    }
    api.send(request).await
}

/// Uploads and expects it stored: the media's JSON.
async fn uploaded(
    api: &Api,
    user: &User,
    filename: &str,
    content_type: &str,
    content: &[u8],
) -> Value {
    let answer = upload(api, Some(user), "file", filename, content_type, content).await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "upload: {}",
        answer.body
    );
    answer.body
}

/// A real PNG of `width` × `height` pixels, coloured from `seed`.
fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([seed, (x * 40) as u8, (y * 40) as u8])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encodes a PNG");
    bytes.into_inner()
}

/// A PNG of one colour, small however wide.
fn flat_png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([30, 120, 60]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encodes a PNG");
    bytes.into_inner()
}

/// A well-formed PNG header declaring `width` × `height` pixels and a token
/// of pixel data: an image bomb, before decoding.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", ihdr.as_slice()),
        (b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]),
        (b"IEND", &[]),
    ] {
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let crc = crc32(&chunk[4..]);
        chunk.extend_from_slice(&crc.to_be_bytes());
        png.extend(chunk);
    }
    png
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
