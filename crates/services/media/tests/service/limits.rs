//! Limits: size by kind, pixels declared by an image's header, unreadable
//! headers, and the per-user quota, under concurrent uploads too.

use http::StatusCode;

use crate::fixtures::{flat_png, mp4, png, png_declaring};
use crate::helpers::{CONFIG, TestApp};
use crate::on_both;

on_both!(
    a_file_over_its_kinds_limit_is_too_large,
    an_image_declaring_too_many_pixels_is_refused_before_decoding,
    an_image_whose_header_is_cut_short_is_unprocessable,
    the_quota_counts_every_upload_and_deleting_gives_it_back,
    concurrent_uploads_never_pass_the_quota_together,
);

async fn a_file_over_its_kinds_limit_is_too_large(app: &TestApp) {
    let ana = app.user();
    let mut big_png = png(2, 2, 1);
    big_png.resize(CONFIG.max_image_bytes as usize + 1, 0);
    let answer = app.upload(ana, &big_png).await;
    answer.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(
        answer.json()["error"]["details"]["max_bytes"],
        CONFIG.max_image_bytes
    );

    // Exactly at a video's limit is fine; one byte more is not.
    let video = mp4(CONFIG.max_video_bytes as usize, 1);
    assert_eq!(app.upload(ana, &video).await.status, StatusCode::CREATED);
    app.upload(ana, &mp4(CONFIG.max_video_bytes as usize + 1, 2))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(app.spooled_files(), 0);
}

async fn an_image_declaring_too_many_pixels_is_refused_before_decoding(app: &TestApp) {
    let bomb = png_declaring(50_000, 50_000);
    assert!(bomb.len() < 100, "a tiny file");
    let answer = app.upload(app.user(), &bomb).await;
    answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "image_too_large");
    let details = &answer.json()["error"]["details"];
    assert_eq!(
        (details["width"].clone(), details["height"].clone()),
        (50_000.into(), 50_000.into())
    );

    // Just within the limit, a real image of that many pixels is accepted.
    let fits = app.upload(app.user(), &flat_png(2000, 1000)).await;
    assert_eq!(fits.status, StatusCode::CREATED, "{}", fits.text());
    assert_eq!(fits.json()["width"], 2000);
    // The same header over a token of pixel data does not decode.
    app.upload(app.user(), &png_declaring(2000, 1000))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_image");
    assert!(app.events("media.uploaded").len() == 1);
}

async fn an_image_whose_header_is_cut_short_is_unprocessable(app: &TestApp) {
    let whole = png(8, 8, 5);
    for cut in [20, 30] {
        app.upload(app.user(), &whole[..cut])
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_image");
    }
    let jpeg_start = [
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1,
    ];
    app.upload(app.user(), &jpeg_start)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_image");
    assert!(app.blob_files().is_empty());
}

async fn the_quota_counts_every_upload_and_deleting_gives_it_back(app: &TestApp) {
    let ana = app.user();
    let chunk = CONFIG.max_video_bytes as usize; // 30 000 of 100 000
    let mut ids = Vec::new();
    for seed in 0..3 {
        ids.push(app.uploaded(ana, &mp4(chunk, seed)).await["id"].clone());
    }
    // The same bytes again count again: each upload is the owner's.
    let answer = app.upload(ana, &mp4(chunk, 0)).await;
    answer.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded");
    assert_eq!(answer.json()["error"]["details"]["used_bytes"], 90_000);
    // Another user has a quota of their own.
    assert_eq!(
        app.upload(app.user(), &mp4(chunk, 0)).await.status,
        StatusCode::CREATED
    );

    let deleted = app.delete(ids[0].as_str().expect("id"), Some(ana)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.upload(ana, &mp4(chunk, 9)).await.status,
        StatusCode::CREATED
    );
}

async fn concurrent_uploads_never_pass_the_quota_together(app: &TestApp) {
    let ana = app.user();
    let size = CONFIG.max_video_bytes as usize; // three fit in the quota, not four
    let uploads = (0..6u8).map(|seed| {
        let video = mp4(size, 100 + seed);
        async move { app.upload(ana, &video).await }
    });
    let answers = futures::future::join_all(uploads).await;
    let stored = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        stored,
        3,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        refused.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded");
    }
    assert_eq!(app.blob_files().len(), 3, "refused uploads leave no blob");
}
