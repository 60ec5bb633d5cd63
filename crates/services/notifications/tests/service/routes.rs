//! The REST routes: signed-in callers only, their own notifications, pages,
//! read marks and preferences.

use std::collections::HashSet;

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both;

on_both!(
    every_route_needs_a_signed_in_caller,
    read_marks_are_per_notification_and_the_callers_own,
    pages_walk_every_notification_once_newest_first,
    preferences_switch_types_off_and_refuse_unknown_ones,
);

async fn every_route_needs_a_signed_in_caller(app: &TestApp) {
    for (method, path) in [
        (Method::GET, "/api/v1/notifications"),
        (Method::GET, "/api/v1/notifications/unread-count"),
        (Method::POST, "/api/v1/notifications/123/read"),
        (Method::POST, "/api/v1/notifications/read-all"),
        (Method::GET, "/api/v1/notifications/preferences"),
        (Method::PATCH, "/api/v1/notifications/preferences"),
    ] {
        let answer = app
            .request(method.clone(), path, None, Some(json!({"types": {}})))
            .await;
        answer.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

async fn read_marks_are_per_notification_and_the_callers_own(app: &TestApp) {
    let me = app.register("me").await;
    let other = app.register("other").await;
    let post = app.new_id();
    let fans = [app.register("ana").await, app.register("bo").await];
    app.react(&fans[0], post, &me).await;
    app.follow(&fans[1], &me).await;
    app.react(&fans[0], app.new_id(), &other).await;
    assert_eq!(app.unread_count(&me).await, 2);

    let items = app.notifications(&me).await;
    let id = items[1]["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/notifications/{id}/read");
    app.post(&path, &other)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.post("/api/v1/notifications/nope/read", &me)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let read = app.post(&path, &me).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    let read = read.json();
    assert_eq!(read["id"], id.as_str());
    assert_eq!(read["type"], "reaction");
    assert_eq!(read["actor"]["id"], fans[0].id().as_str());
    let read_at = read["read_at"].as_str().expect("read_at").to_string();
    assert_eq!(app.unread_count(&me).await, 1);
    let again = app.post(&path, &me).await.json();
    assert_eq!(
        again["read_at"],
        read_at.as_str(),
        "reading again changes nothing"
    );

    let unread = app
        .get("/api/v1/notifications?unread=true", Some(&me))
        .await
        .items();
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0]["type"], "follow");

    let all = app.post("/api/v1/notifications/read-all", &me).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text());
    assert_eq!(all.json(), json!({"updated": 1}));
    assert_eq!(app.unread_count(&me).await, 0);
    assert!(
        app.get("/api/v1/notifications?unread=true", Some(&me))
            .await
            .items()
            .is_empty()
    );
    assert_eq!(app.notifications(&me).await.len(), 2);
    assert_eq!(app.unread_count(&other).await, 1, "others' stay unread");
}

async fn pages_walk_every_notification_once_newest_first(app: &TestApp) {
    let me = app.register("me").await;
    let fan = app.register("fan").await;
    for _ in 0..7 {
        app.react(&fan, app.new_id(), &me).await;
    }
    let everything: Vec<String> = app
        .notifications(&me)
        .await
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(everything.len(), 7);

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/notifications?limit=3&cursor={cursor}"),
            None => "/api/v1/notifications?limit=3".to_string(),
        };
        let page = app.get(&path, Some(&me)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let items = page.items();
        sizes.push(items.len());
        seen.extend(
            items
                .iter()
                .map(|item| item["id"].as_str().expect("id").to_string()),
        );
        match page.json()["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen, everything, "in order, each once");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
    let times: Vec<Value> = app
        .notifications(&me)
        .await
        .iter()
        .map(|item| item["updated_at"].clone())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.as_str().cmp(&a.as_str()));
    assert_eq!(times, sorted, "newest first");

    for bad in ["limit=0", "limit=ten", "cursor=garbage", "unread=maybe"] {
        let answer = app
            .get(&format!("/api/v1/notifications?{bad}"), Some(&me))
            .await;
        answer.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    }
    let capped = app.get("/api/v1/notifications?limit=5000", Some(&me)).await;
    assert_eq!(capped.status, StatusCode::OK, "a large limit is capped");
}

async fn preferences_switch_types_off_and_refuse_unknown_ones(app: &TestApp) {
    let me = app.register("me").await;
    let fan = app.register("fan").await;
    let shown = app
        .get("/api/v1/notifications/preferences", Some(&me))
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
    let types = shown.json()["types"].clone();
    let types = types.as_object().expect("an object");
    assert_eq!(types.len(), 11, "{types:?}");
    assert!(
        types.values().all(|on| *on == json!(true)),
        "all on at first"
    );
    for kind in [
        "follow",
        "follow_request",
        "follow_accepted",
        "friend_request",
        "friend_accepted",
        "comment",
        "reply",
        "reaction",
        "mention",
        "repost",
        "message",
    ] {
        assert!(types.contains_key(kind), "{kind}");
    }

    let changed = app
        .request(
            Method::PATCH,
            "/api/v1/notifications/preferences",
            Some(&me),
            Some(json!({"types": {"reaction": false}})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    assert_eq!(changed.json()["types"]["reaction"], false);
    assert_eq!(changed.json()["types"]["follow"], true);
    let reread = app
        .get("/api/v1/notifications/preferences", Some(&me))
        .await
        .json();
    assert_eq!(reread, changed.json());

    let post = app.new_id();
    app.react(&fan, post, &me).await;
    app.follow(&fan, &me).await;
    let items = app.notifications(&me).await;
    assert_eq!(items.len(), 1, "no reaction: {items:?}");
    assert_eq!(items[0]["type"], "follow");

    for bad in [
        json!({"types": {"likes": false}}),
        json!({"types": {"reaction": "no"}}),
        json!({"types": {"reaction": true, "poke": true}}),
        json!({}),
    ] {
        let answer = app
            .request(
                Method::PATCH,
                "/api/v1/notifications/preferences",
                Some(&me),
                Some(bad.clone()),
            )
            .await;
        answer.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    }
    let unknown = app
        .request(
            Method::PATCH,
            "/api/v1/notifications/preferences",
            Some(&me),
            Some(json!({"types": {"reaction": true, "poke": true}})),
        )
        .await;
    assert_eq!(unknown.json()["error"]["details"]["field"], "types");
    let still = app
        .get("/api/v1/notifications/preferences", Some(&me))
        .await
        .json();
    assert_eq!(
        still["types"]["reaction"], false,
        "a refused change changes nothing"
    );

    app.prefer(&me, "reaction", true).await;
    app.react(&fan, post, &me).await;
    assert_eq!(app.notifications(&me).await.len(), 2, "on again");
}
