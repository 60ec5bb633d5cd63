//! Serving the bytes: public, typed by the sniffed kind, cacheable forever,
//! conditional, and in byte ranges.

use http::{Method, StatusCode};

use crate::fixtures::{mp4, png};
use crate::helpers::TestApp;
use crate::on_both;

on_both!(
    the_bytes_are_served_to_anyone_typed_and_cacheable_forever,
    a_known_etag_gets_not_modified,
    one_range_gets_partial_content,
    a_range_past_the_end_is_not_satisfiable,
    unknown_media_are_not_found,
);

async fn the_bytes_are_served_to_anyone_typed_and_cacheable_forever(app: &TestApp) {
    let content = png(5, 5, 1);
    let media = app.uploaded(app.user(), &content).await;
    let url = media["url"].as_str().expect("url");
    let served = app.get(url, &[]).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body.as_ref(), content.as_slice());
    assert_eq!(served.header("content-type"), "image/png");
    assert_eq!(served.header("content-length"), content.len().to_string());
    assert_eq!(
        served.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(served.header("accept-ranges"), "bytes");
    assert_eq!(served.header("x-content-type-options"), "nosniff");
    let etag = served.header("etag");
    let sha256: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(etag, format!("\"{sha256}\""));

    let head = app.request(Method::HEAD, url, None, &[], Vec::new()).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), content.len().to_string());
}

async fn a_known_etag_gets_not_modified(app: &TestApp) {
    let media = app.uploaded(app.user(), &png(2, 2, 2)).await;
    let url = media["url"].as_str().expect("url");
    let etag = app.get(url, &[]).await.header("etag").to_string();
    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".into(),
    ] {
        let again = app.get(url, &[("if-none-match", &tag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{tag}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), etag);
        assert_eq!(
            again.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
    }
    let changed = app
        .get(url, &[("if-none-match", "\"something else\"")])
        .await;
    assert_eq!(changed.status, StatusCode::OK);
}

async fn one_range_gets_partial_content(app: &TestApp) {
    let video = mp4(10_000, 7);
    let media = app.uploaded(app.user(), &video).await;
    let url = media["url"].as_str().expect("url");
    for (range, first, last) in [
        ("bytes=0-99", 0, 99),
        ("bytes=5000-5009", 5000, 5009),
        ("bytes=9999-", 9999, 9999),
        ("bytes=-10", 9990, 9999),
        ("bytes=9000-20000", 9000, 9999),
    ] {
        let part = app.get(url, &[("range", range)]).await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(part.body.as_ref(), &video[first..=last], "{range}");
        assert_eq!(
            part.header("content-range"),
            format!("bytes {first}-{last}/10000")
        );
        assert_eq!(
            part.header("content-length"),
            (last - first + 1).to_string()
        );
        assert_eq!(part.header("content-type"), "video/mp4");
    }
    // Several ranges, another unit, or an If-Range for another version: the whole file.
    let etag = app.get(url, &[]).await.header("etag").to_string();
    for headers in [
        vec![("range", "bytes=0-1,5-6")],
        vec![("range", "lines=1-2")],
        vec![("range", "bytes=0-1"), ("if-range", "\"an older version\"")],
    ] {
        let whole = app.get(url, &headers).await;
        assert_eq!(whole.status, StatusCode::OK, "{headers:?}");
        assert_eq!(whole.body.len(), 10_000);
    }
    let current = app
        .get(url, &[("range", "bytes=0-1"), ("if-range", &etag)])
        .await;
    assert_eq!(current.status, StatusCode::PARTIAL_CONTENT);
}

async fn a_range_past_the_end_is_not_satisfiable(app: &TestApp) {
    let content = png(3, 3, 3);
    let media = app.uploaded(app.user(), &content).await;
    let url = media["url"].as_str().expect("url");
    let size = content.len();
    for range in [
        format!("bytes={size}-"),
        format!("bytes={}-{}", size + 10, size + 20),
        "bytes=-0".into(),
    ] {
        let answer = app.get(url, &[("range", &range)]).await;
        answer.assert_error(StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable");
        assert_eq!(answer.header("content-range"), format!("bytes */{size}"));
    }
}

async fn unknown_media_are_not_found(app: &TestApp) {
    for path in [
        "/media/123",
        "/media/not-an-id",
        "/api/v1/media/123",
        "/api/v1/media/-1",
    ] {
        app.get(path, &[])
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}
