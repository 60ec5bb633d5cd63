//! A user's timeline: newest first, paged, refused cursors, missing users.

use chorus_core::Id;
use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, id_of};

#[tokio::test]
async fn the_timeline_pages_newest_first_to_the_end() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let mut written = Vec::new();
    for n in 0..25 {
        written.push(app.post_id(alice, &format!("post {n}"), "public").await);
    }
    written.reverse();

    let base = format!("/api/v1/users/{alice}/posts?limit=10");
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut page = app.get(&base, None).await.json();
    loop {
        let items = page["items"].as_array().expect("items");
        sizes.push(items.len());
        seen.extend(items.iter().map(id_of));
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        page = app
            .get(&format!("{base}&cursor={cursor}"), None)
            .await
            .json();
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(seen, written);

    let default = app
        .get(&format!("/api/v1/users/{alice}/posts"), None)
        .await
        .json();
    assert_eq!(default["items"].as_array().expect("items").len(), 20);
}

#[tokio::test]
async fn a_tampered_cursor_or_a_bad_limit_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    for _ in 0..3 {
        app.post_id(alice, "p", "public").await;
    }
    let base = format!("/api/v1/users/{alice}/posts");
    let page = app.get(&format!("{base}?limit=1"), None).await.json();
    let cursor = page["next_cursor"].as_str().expect("more").to_string();
    let mut tampered = cursor.clone().into_bytes();
    tampered[0] = if tampered[0] == b'M' { b'N' } else { b'M' };
    let tampered = String::from_utf8(tampered).expect("ascii");

    for query in [
        format!("?cursor={tampered}"),
        "?cursor=garbage!".to_string(),
        "?limit=0".to_string(),
        "?limit=ten".to_string(),
    ] {
        let response = app.get(&format!("{base}{query}"), None).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            response.text()
        );
        assert_eq!(response.error_code(), "validation_failed");
    }
    let ok = app.get(&format!("{base}?cursor={cursor}"), None).await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn a_missing_user_has_no_timeline() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    app.get("/api/v1/users/424242/posts", Some(alice))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get("/api/v1/users/alice/posts", Some(alice))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // Someone with no posts has an empty one.
    let quiet = app.user("quiet");
    let page = app.get(&format!("/api/v1/users/{quiet}/posts"), None).await;
    assert_eq!(page.json(), json!({"items": [], "next_cursor": null}));
}

#[tokio::test]
async fn a_page_costs_one_call_of_each_kind_to_the_users_service() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let viewer = app.user("viewer");
    for n in 0..20 {
        app.post_id(alice, &format!("post {n} @viewer"), "public")
            .await;
    }
    app.users.reset_calls();
    let page = app
        .get(&format!("/api/v1/users/{alice}/posts"), Some(viewer))
        .await;
    assert_eq!(page.json()["items"].as_array().expect("items").len(), 20);
    assert_eq!(app.users.calls("cards"), 1);
    assert_eq!(app.users.calls("relations"), 1);
    assert_eq!(app.users.calls("find_by_usernames"), 0);

    // Posts of many authors: still one call of each.
    let mut ids: Vec<Id> = Vec::new();
    for n in 0..10 {
        let author = app.user(&format!("author{n}"));
        ids.push(
            app.post_id(author, "hi", "public")
                .await
                .parse()
                .expect("id"),
        );
    }
    app.users.reset_calls();
    let views = app
        .service
        .app()
        .get_posts(Some(viewer), &ids)
        .await
        .expect("ok");
    assert_eq!(views.len(), 10);
    assert_eq!(app.users.calls("cards"), 1);
    assert_eq!(app.users.calls("relations"), 1);
}
