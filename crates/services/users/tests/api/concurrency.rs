//! Counting stays exact under concurrency: 200 accounts follow one account at
//! once (each twice), then unfollow at once.

use std::time::Instant;

use http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, User, user_path};
use crate::on_both;

on_both!(
    two_hundred_parallel_follows_count_two_hundred,
    crossing_follows_blocks_and_going_public_race_without_errors,
);

const FOLLOWERS: usize = 200;

async fn two_hundred_parallel_follows_count_two_hundred(app: &TestApp) {
    let star = app.register("star").await;
    let mut fans = Vec::with_capacity(FOLLOWERS);
    for n in 0..FOLLOWERS {
        fans.push(app.register(&format!("fan{n:03}")).await);
    }
    let app_ref: &TestApp = app;
    let started = Instant::now();
    // Each fan follows twice: the repeats must change nothing.
    let follows = fans.iter().chain(fans.iter()).map(|fan| {
        let (router, header) = (app_ref.router.clone(), app_ref.identity(fan.id));
        let path = user_path(&star, "follow");
        tokio::spawn(send(router, http::Method::POST, path, header))
    });
    for status in futures::future::join_all(follows).await {
        assert_eq!(status.expect("the task ends"), StatusCode::OK);
    }
    eprintln!("{} follows in {:?}", 2 * FOLLOWERS, started.elapsed());

    assert_eq!(app.counts(&star).await, (FOLLOWERS as i64, 0));
    for fan in fans.iter().step_by(37) {
        assert_eq!(app.counts(fan).await, (0, 1));
    }
    let mut listed = 0;
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!(
                    "{}?limit=100&cursor={cursor}",
                    user_path(&star, "followers")
                ),
                None,
            )
            .await
            .json();
        listed += page["items"].as_array().expect("items").len();
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(listed, FOLLOWERS);

    let unfollows = fans.iter().map(|fan: &User| {
        let (router, header) = (app_ref.router.clone(), app_ref.identity(fan.id));
        tokio::spawn(send(
            router,
            http::Method::DELETE,
            user_path(&star, "follow"),
            header,
        ))
    });
    for status in futures::future::join_all(unfollows).await {
        assert_eq!(status.expect("the task ends"), StatusCode::NO_CONTENT);
    }
    assert_eq!(app.counts(&star).await, (0, 0));
}

async fn send(
    router: axum::Router,
    method: http::Method,
    path: String,
    identity: String,
) -> StatusCode {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header(chorus_core::identity::IDENTITY_HEADER, identity)
        .body(axum::body::Body::empty())
        .expect("request");
    tower::ServiceExt::oneshot(router, request)
        .await
        .expect("the router is infallible")
        .status()
}

/// Every count equals the rows behind it, as the account's own lists show them.
async fn assert_counts_match_lists(app: &TestApp, user: &User) {
    let (followers, following) = app.counts(user).await;
    for (list, count) in [("followers", followers), ("following", following)] {
        let page = app
            .get(&format!("{}?limit=100", user_path(user, list)), Some(user))
            .await;
        assert_eq!(page.ids("").len() as i64, count, "{} {list}", user.username);
    }
}

async fn crossing_follows_blocks_and_going_public_race_without_errors(app: &TestApp) {
    const PAIRS: usize = 40;
    let mut pairs = Vec::new();
    for n in 0..PAIRS {
        pairs.push((
            app.register(&format!("a{n:02}")).await,
            app.register(&format!("b{n:02}")).await,
        ));
    }
    let owner = app.register("owner").await;
    app.patch_me(&owner, json!({ "is_private": true })).await;
    for (a, _) in &pairs {
        assert_eq!(app.follow(a, &owner).await, "requested");
    }

    let mut calls = Vec::new();
    let mut call = |method: Method, caller: &User, target: &User, tail: &str| {
        let (router, header) = (app.router.clone(), app.identity(caller.id));
        calls.push(tokio::spawn(send(
            router,
            method,
            user_path(target, tail),
            header,
        )));
    };
    for (n, (a, b)) in pairs.iter().enumerate() {
        call(Method::POST, a, b, "follow");
        call(Method::POST, b, a, "follow");
        call(Method::POST, b, &owner, "follow");
        call(Method::POST, b, a, "friend-request");
        call(Method::POST, a, b, "friend-request");
        if n % 2 == 0 {
            call(Method::POST, a, b, "block");
            call(Method::DELETE, a, &owner, "follow");
        }
    }
    let going_public = {
        let owner = owner.clone();
        let body = json!({ "is_private": false });
        async move { app.patch_me(&owner, body).await }
    };
    let (statuses, public) = tokio::join!(futures::future::join_all(calls), going_public);
    assert_eq!(public.status, StatusCode::OK, "{}", public.text());
    for status in statuses {
        let status = status.expect("the task ends");
        assert!(
            status.is_success() || [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&status),
            "{status}"
        );
    }

    assert_counts_match_lists(app, &owner).await;
    for (n, (a, b)) in pairs.iter().enumerate() {
        assert_counts_match_lists(app, a).await;
        assert_counts_match_lists(app, b).await;
        if n % 2 == 0 {
            app.get(&format!("/api/v1/users/{}", b.id), Some(a))
                .await
                .assert_error(StatusCode::NOT_FOUND, "not_found");
            assert_eq!(app.counts(a).await.0, 0, "a block leaves no follow behind");
        }
    }
    let waiting = app.get("/api/v1/follow-requests", Some(&owner)).await;
    assert!(
        waiting.ids("").is_empty(),
        "a public account has no requests waiting"
    );
}
