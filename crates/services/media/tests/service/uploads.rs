//! Uploads: what is accepted, judged by the bytes; what the answer says;
//! the same bytes stored once; the event.

use http::StatusCode;
use serde_json::json;

use crate::fixtures::{Form, mp4, png};
use crate::helpers::TestApp;
use crate::on_both;

on_both!(
    a_png_is_stored_and_described,
    the_same_bytes_twice_are_two_media_over_one_blob,
    the_kind_comes_from_the_bytes_never_the_name_or_declared_type,
    broken_and_incomplete_forms_are_bad_requests,
    a_video_is_stored_without_dimensions,
    uploading_needs_a_signed_in_caller,
);

async fn a_png_is_stored_and_described(app: &TestApp) {
    let ana = app.user();
    let content = png(3, 2, 1);
    let media = app.uploaded(ana, &content).await;
    let id = media["id"].as_str().expect("a string id");
    assert_eq!(media["url"], format!("/media/{id}"));
    assert_eq!(media["mime"], "image/png");
    assert_eq!(media["size"], content.len());
    assert_eq!(
        (media["width"].clone(), media["height"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(media["variants"], json!({}), "none narrower than 3 pixels");
    assert!(media["blurhash"].is_string());
    assert!(
        media["created_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );

    let shown = app.get(&format!("/api/v1/media/{id}"), &[]).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
    assert_eq!(shown.json(), media);

    let uploaded = app.events("media.uploaded");
    assert_eq!(uploaded.len(), 1);
    assert_eq!(uploaded[0].actor, Some(ana));
    assert_eq!(
        uploaded[0].payload,
        json!({
            "media_id": id, "owner_id": ana.to_string(), "url": media["url"],
            "mime": "image/png", "size": content.len(), "width": 3, "height": 2,
            "variants": {}, "blurhash": media["blurhash"],
        })
    );
    assert_eq!(app.spooled_files(), 0, "the spool file is gone");
}

async fn the_same_bytes_twice_are_two_media_over_one_blob(app: &TestApp) {
    let content = png(4, 4, 2);
    let first = app.uploaded(app.user(), &content).await;
    let second = app.uploaded(app.user(), &content).await;
    assert_ne!(first["id"], second["id"]);
    assert_eq!(app.blob_files().len(), 1, "{:?}", app.blob_files());
    for media in [&first, &second] {
        let served = app.get(media["url"].as_str().expect("url"), &[]).await;
        assert_eq!(served.status, StatusCode::OK);
        assert_eq!(served.body.as_ref(), content.as_slice());
    }
    let other = app.uploaded(app.user(), &png(4, 4, 3)).await;
    assert_eq!(other["mime"], "image/png");
    assert_eq!(app.blob_files().len(), 2);
}

async fn the_kind_comes_from_the_bytes_never_the_name_or_declared_type(app: &TestApp) {
    let ana = app.user();
    for (filename, declared, bytes) in [
        (
            "photo.jpg",
            "image/jpeg",
            &b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0"[..],
        ),
        (
            "photo.png",
            "image/png",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
        ),
        (
            "page.gif",
            "image/gif",
            b"<html><script>alert(1)</script></html>",
        ),
        (
            "drawing.svg",
            "image/svg+xml",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        ("x.webp", "image/webp", b"hi"),
    ] {
        let answer = app.upload_as(ana, filename, declared, bytes).await;
        answer.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
        assert!(answer.json()["error"]["details"]["accepted"].is_array());
    }
    // A real PNG named and declared as something else is a PNG.
    let disguised = app
        .upload_as(ana, "notes.txt", "text/plain", &png(2, 2, 9))
        .await;
    assert_eq!(
        disguised.status,
        StatusCode::CREATED,
        "{}",
        disguised.text()
    );
    assert_eq!(disguised.json()["mime"], "image/png");
    assert_eq!(app.events("media.uploaded").len(), 1);
    assert_eq!(
        app.spooled_files(),
        0,
        "refused uploads leave nothing behind"
    );
}

async fn broken_and_incomplete_forms_are_bad_requests(app: &TestApp) {
    let ana = app.user();
    app.upload(ana, b"")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");

    let no_file = Form::new().text("caption", "where is it?");
    let answer = app.send_form(Some(ana), &no_file).await;
    answer.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    assert_eq!(answer.json()["error"]["details"]["field"], "file");

    let wrong_field = Form::new().file("image", "a.png", "image/png", &png(1, 1, 1));
    app.send_form(Some(ana), &wrong_field)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");

    // Other fields beside `file` are ignored.
    let with_caption =
        Form::new()
            .text("caption", "hello")
            .file("file", "a.png", "image/png", &png(1, 1, 1));
    let answer = app.send_form(Some(ana), &with_caption).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());

    for (content_type, body) in [
        (
            "multipart/form-data; boundary=xyz",
            &b"this is no multipart body"[..],
        ),
        ("multipart/form-data", b"--\r\n"),
        ("application/json", b"{\"file\": \"aGVsbG8=\"}"),
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\x89PNG\r\n\x1a\n",
        ),
    ] {
        let answer = app
            .request(
                http::Method::POST,
                "/api/v1/media",
                Some(ana),
                &[("content-type", content_type)],
                body.to_vec(),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{content_type}: {}",
            answer.text()
        );
        assert_eq!(
            answer.json()["error"]["code"],
            "malformed_request",
            "{content_type}"
        );
    }
}

async fn a_video_is_stored_without_dimensions(app: &TestApp) {
    let video = mp4(20_000, 4);
    let media = app.uploaded(app.user(), &video).await;
    assert_eq!(media["mime"], "video/mp4");
    assert_eq!(media["size"], 20_000);
    assert!(
        media["width"].is_null() && media["height"].is_null(),
        "{media}"
    );
    assert!(media["blurhash"].is_null());
    assert_eq!(media["variants"], json!({}));

    let webm = [&[0x1A, 0x45, 0xDF, 0xA3][..], &[0x42; 100]].concat();
    let media = app.uploaded(app.user(), &webm).await;
    assert_eq!(media["mime"], "video/webm");
}

async fn uploading_needs_a_signed_in_caller(app: &TestApp) {
    let form = Form::new().file("file", "a.png", "image/png", &png(1, 1, 1));
    app.send_form(None, &form)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(app.events("media.uploaded").is_empty());
}
