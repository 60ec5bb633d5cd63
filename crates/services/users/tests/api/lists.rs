//! `GET /api/v1/users/{id}/followers`, `.../following`: newest first, cursor
//! pagination, tamper-checked cursors.

use chorus_core::Cursor;
use http::StatusCode;

use crate::helpers::{TestApp, User, user_path};
use crate::on_both;

on_both!(
    followers_and_following_page_newest_first,
    a_tampered_or_foreign_cursor_is_refused,
);

/// Every item of a list, page by page; the pages it took.
async fn walk(
    app: &TestApp,
    path: &str,
    viewer: Option<&User>,
    limit: u32,
) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}?limit={limit}&cursor={cursor}"),
            None => format!("{path}?limit={limit}"),
        };
        let page = app.get(&url, viewer).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        pages += 1;
        ids.extend(page.ids(""));
        match page.json()["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (ids, pages),
        }
    }
}

async fn followers_and_following_page_newest_first(app: &TestApp) {
    let star = app.register("star").await;
    let mut fans = Vec::new();
    for n in 0..5 {
        let fan = app.register(&format!("fan{n}")).await;
        app.follow(&fan, &star).await;
        fans.push(fan);
    }
    let newest_first: Vec<String> = fans.iter().rev().map(User::id).collect();

    let (followers, pages) = walk(app, &user_path(&star, "followers"), None, 2).await;
    assert_eq!(followers, newest_first);
    assert_eq!(pages, 3);
    let (all, pages) = walk(app, &user_path(&star, "followers"), None, 5).await;
    assert_eq!(
        (all.len(), pages),
        (5, 1),
        "an exact last page has no cursor"
    );

    // Items are profiles, with the viewer's relationship when signed in.
    let page = app
        .get(&user_path(&star, "followers"), Some(&fans[0]))
        .await
        .json();
    assert_eq!(page["items"][4]["id"], fans[0].id());
    assert_eq!(page["items"][0]["username"], "fan4");
    assert_eq!(page["items"][0]["relationship"]["following"], false);
    assert!(page["next_cursor"].is_null());

    app.follow(&fans[0], &fans[1]).await;
    let (following, _) = walk(app, &user_path(&fans[0], "following"), None, 1).await;
    assert_eq!(following, vec![fans[1].id(), star.id()]);
    let (none, _) = walk(app, &user_path(&star, "following"), None, 10).await;
    assert!(none.is_empty());
    app.get("/api/v1/users/12/followers", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

async fn a_tampered_or_foreign_cursor_is_refused(app: &TestApp) {
    let star = app.register("star").await;
    for n in 0..3 {
        let fan = app.register(&format!("fan{n}")).await;
        app.follow(&fan, &star).await;
    }
    let path = user_path(&star, "followers");
    let first = app.get(&format!("{path}?limit=1"), None).await.json();
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_string();

    let mut tampered = cursor.clone().into_bytes();
    tampered[1] = if tampered[1] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    let foreign = Cursor::encode("not-a-position");
    for bad in [tampered.as_str(), foreign.as_str(), "%%%", "abc"] {
        let response = app.get(&format!("{path}?cursor={bad}"), None).await;
        response.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
        assert_eq!(response.json()["error"]["details"]["field"], "cursor");
    }
    for bad in ["0", "-1", "lots"] {
        let response = app.get(&format!("{path}?limit={bad}"), None).await;
        response.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    }
    let capped = app.get(&format!("{path}?limit=1000"), None).await;
    assert_eq!(capped.ids("").len(), 3);
}
