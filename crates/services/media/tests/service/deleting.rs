//! Deleting: the owner only; the URL stops answering; the blob goes with
//! the last media that shows it; the event.

use http::StatusCode;
use serde_json::json;

use crate::fixtures::png;
use crate::helpers::TestApp;
use crate::on_both;

on_both!(
    only_the_owner_deletes_and_then_it_is_gone,
    a_shared_blob_stays_until_its_last_media_is_deleted,
    a_blob_deleted_with_its_last_media_is_stored_again_on_a_new_upload,
);

async fn only_the_owner_deletes_and_then_it_is_gone(app: &TestApp) {
    let (ana, bo) = (app.user(), app.user());
    let media = app.uploaded(ana, &png(2, 3, 1)).await;
    let id = media["id"].as_str().expect("id");
    let url = media["url"].as_str().expect("url");

    app.delete(id, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.delete(id, Some(bo))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        app.get(url, &[]).await.status,
        StatusCode::OK,
        "still there"
    );

    let deleted = app.delete(id, Some(ana)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    assert!(deleted.body.is_empty());
    app.get(&format!("/api/v1/media/{id}"), &[])
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get(url, &[])
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.delete(id, Some(ana))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let events = app.events("media.deleted");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].payload,
        json!({ "media_id": id, "owner_id": ana.to_string() })
    );
    assert!(app.blob_files().is_empty());
}

async fn a_shared_blob_stays_until_its_last_media_is_deleted(app: &TestApp) {
    let content = png(6, 6, 6);
    let (ana, bo) = (app.user(), app.user());
    let first = app.uploaded(ana, &content).await;
    let second = app.uploaded(bo, &content).await;
    let sha256 = app
        .get(first["url"].as_str().expect("url"), &[])
        .await
        .header("etag")
        .trim_matches('"')
        .to_string();

    let deleted = app
        .delete(first["id"].as_str().expect("id"), Some(ana))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(app.blob_exists(&sha256).await, "bo's media still shows it");
    let served = app.get(second["url"].as_str().expect("url"), &[]).await;
    assert_eq!(served.body.as_ref(), content.as_slice());

    let deleted = app
        .delete(second["id"].as_str().expect("id"), Some(bo))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(!app.blob_exists(&sha256).await, "gone with its last media");
}

async fn a_blob_deleted_with_its_last_media_is_stored_again_on_a_new_upload(app: &TestApp) {
    let content = png(7, 7, 7);
    let ana = app.user();
    let first = app.uploaded(ana, &content).await;
    app.delete(first["id"].as_str().expect("id"), Some(ana))
        .await;
    assert!(app.blob_files().is_empty());

    let again = app.uploaded(ana, &content).await;
    let served = app.get(again["url"].as_str().expect("url"), &[]).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body.as_ref(), content.as_slice());
}
