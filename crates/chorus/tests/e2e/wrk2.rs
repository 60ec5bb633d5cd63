//! DeathStarBench's front end (`/wrk2-api/*`, benchmark only): with
//! `gateway.wrk2_api` on, its users register, follow, compose and read
//! their timelines, sent as its wrk2 scripts send them (unescaped form
//! bodies, the form content type even on GETs); off (the default), the
//! routes do not exist.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

use crate::client::{Answer, Api, unique_username};
use crate::harness::Chorus;
use crate::social::{assert_error, eventually};

crate::in_both_modes_with!(
    &[("CHORUS_GATEWAY__WRK2_API", "true")];
    deathstarbench_users_register_follow_compose_and_read_timelines,
    bad_wrk2_requests_answer_400_with_a_short_text,
);

/// With the setting at its default.
mod off {
    use super::*;

    crate::in_both_modes!(the_wrk2_routes_are_unknown_by_default);

    async fn the_wrk2_routes_are_unknown_by_default(app: &Chorus) {
        let api = Api::new(&app.base);
        let answer = form(
            &api,
            "POST",
            "/wrk2-api/user/register",
            "first_name=a&last_name=b&username=username_0&password=password_0&user_id=0",
        )
        .await;
        assert_error(
            &answer,
            StatusCode::NOT_FOUND,
            "not_found",
            "register when off",
        );
        let answer = form(
            &api,
            "GET",
            "/wrk2-api/home-timeline/read?user_id=0&start=0&stop=10",
            "",
        )
        .await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found", "read when off");
    }
}

/// A request as wrk2 sends it: the raw `body`, the form content type.
async fn form(api: &Api, method: &str, path: &str, body: &str) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let request = api
        .http
        .request(method, api.url(path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.to_string());
    api.send(request).await
}

/// Asserts a 200 with exactly `line` (and the newline nginx's `say` adds).
fn assert_text(answer: &Answer, line: &str, what: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{what}: {:?}", answer.body);
    assert_eq!(
        answer.body,
        Value::String(format!("{line}\n")),
        "{what}: the answer"
    );
    let content_type = answer.headers[CONTENT_TYPE.as_str()]
        .to_str()
        .expect("ascii");
    assert!(
        content_type.starts_with("text/plain"),
        "{what}: {content_type}"
    );
}

/// The entries of a timeline read, after checking the answer is a JSON array.
async fn timeline(api: &Api, route: &str, user_id: i64, start: usize, stop: usize) -> Vec<Value> {
    let path = format!("/wrk2-api/{route}/read?user_id={user_id}&start={start}&stop={stop}");
    let answer = form(api, "GET", &path, "").await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {:?}", answer.body);
    let content_type = answer.headers[CONTENT_TYPE.as_str()]
        .to_str()
        .expect("ascii");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    answer
        .body
        .as_array()
        .unwrap_or_else(|| panic!("{path}: not an array: {}", answer.body))
        .clone()
}

fn texts(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|entry| entry["text"].as_str().expect("text").to_string())
        .collect()
}

/// Checks one entry has DeathStarBench's shape: string ids, a creator,
/// mention, media and url lists, a millisecond timestamp, a numeric type.
fn assert_entry_shape(entry: &Value) {
    for key in ["post_id", "req_id", "text", "timestamp"] {
        assert!(entry[key].is_string(), "{key} in {entry}");
    }
    assert!(entry["creator"]["user_id"].is_string(), "{entry}");
    assert!(entry["creator"]["username"].is_string(), "{entry}");
    for key in ["user_mentions", "media", "urls"] {
        assert!(entry[key].is_array(), "{key} in {entry}");
    }
    assert_eq!(entry["post_type"], 0, "{entry}");
    let timestamp: i64 = entry["timestamp"]
        .as_str()
        .and_then(|ms| ms.parse().ok())
        .expect("milliseconds");
    assert!(timestamp > 1_700_000_000_000, "{entry}");
}

async fn deathstarbench_users_register_follow_compose_and_read_timelines(app: &Chorus) {
    let api = Api::new(&app.base);
    // DeathStarBench's naming (`username_<i>`, id `<i>`), made unique per run.
    let prefix = unique_username("u");
    let name = |i: i64| format!("{prefix}_{i}");
    for i in 0..3 {
        let body = format!(
            "first_name=first_name_{i}&last_name=last_name_{i}&username={}&password=password_{i}&user_id={i}",
            name(i)
        );
        let answer = form(&api, "POST", "/wrk2-api/user/register", &body).await;
        assert_text(&answer, "Success!", "register");
    }

    // 0 follows 1 (by ids) and 2 (by names); 2 follows 1; then 0 unfollows 2.
    for (path, body) in [
        (
            "/wrk2-api/user/follow",
            "user_id=0&followee_id=1".to_string(),
        ),
        (
            "/wrk2-api/user/follow",
            format!("user_name={}&followee_name={}", name(0), name(2)),
        ),
        (
            "/wrk2-api/user/follow",
            "user_id=2&followee_id=1".to_string(),
        ),
        (
            "/wrk2-api/user/unfollow",
            "user_id=0&followee_id=2".to_string(),
        ),
    ] {
        let answer = form(&api, "POST", path, &body).await;
        assert_text(&answer, "Success!", &format!("{path} {body}"));
    }

    // User 1 posts three times, as the compose script writes a body:
    // unescaped, with mentions, urls and media ids that refer to nothing.
    let mut composed = Vec::new();
    for n in 0..3 {
        let text = format!("post{n}AbCdEfGh @{} http://wrk2example{n}", name(0));
        let body = format!(
            "username={}&user_id=1&text={text}&media_ids=[\"123456789012345678\",\"876543210987654321\"]&media_types=[\"png\",\"png\"]&post_type=0",
            name(1)
        );
        let answer = form(&api, "POST", "/wrk2-api/post/compose", &body).await;
        assert_text(&answer, "Successfully upload post", "compose");
        composed.push(text);
    }
    // User 2, whom 0 no longer follows, posts too.
    let answer = form(
        &api,
        "POST",
        "/wrk2-api/post/compose",
        &format!("username={}&user_id=2&text=from two&post_type=0", name(2)),
    )
    .await;
    assert_text(&answer, "Successfully upload post", "compose by 2");
    let newest_first: Vec<String> = composed.iter().rev().cloned().collect();

    // 0's home timeline: 1's posts, newest first, not 2's (posts reach
    // timelines through events, so it is polled).
    let home = eventually("0's home timeline holds 1's three posts", || {
        let api = &api;
        let newest_first = &newest_first;
        async move {
            let entries = timeline(api, "home-timeline", 0, 0, 10).await;
            match texts(&entries) == *newest_first {
                true => Ok(entries),
                false => Err(format!("{:?}", texts(&entries))),
            }
        }
    })
    .await;
    for entry in &home {
        assert_entry_shape(entry);
        assert_eq!(entry["creator"]["user_id"], "1", "{entry}");
        assert_eq!(entry["creator"]["username"], name(1).as_str(), "{entry}");
        assert_eq!(
            entry["user_mentions"],
            serde_json::json!([{"user_id": "0", "username": name(0)}]),
            "{entry}"
        );
        assert_eq!(
            entry["media"],
            serde_json::json!([]),
            "media ids are ignored"
        );
        let url = entry["urls"][0]["expanded_url"].as_str().expect("a url");
        assert!(url.starts_with("http://wrk2example"), "{entry}");
    }
    let ids: Vec<&str> = home
        .iter()
        .map(|entry| entry["post_id"].as_str().expect("post_id"))
        .collect();

    // A slice: entries 1 to 3 (stop excluded).
    let slice = timeline(&api, "home-timeline", 0, 1, 3).await;
    assert_eq!(texts(&slice), newest_first[1..3]);
    // Past the end, and an unknown user: empty lists.
    assert!(timeline(&api, "home-timeline", 0, 50, 60).await.is_empty());
    assert!(timeline(&api, "home-timeline", 961, 0, 10).await.is_empty());

    // 2's home timeline: its own post and 1's.
    eventually("2's home timeline holds its post and 1's", || {
        let api = &api;
        async move {
            let entries = timeline(api, "home-timeline", 2, 0, 10).await;
            match entries.len() == 4 && entries[0]["text"] == "from two" {
                true => Ok(()),
                false => Err(format!("{:?}", texts(&entries))),
            }
        }
    })
    .await;

    // 1's user timeline: its three posts, the same ids, read by POST too.
    let own = timeline(&api, "user-timeline", 1, 0, 10).await;
    assert_eq!(texts(&own), newest_first);
    let own_ids: Vec<&str> = own
        .iter()
        .map(|entry| entry["post_id"].as_str().expect("post_id"))
        .collect();
    assert_eq!(own_ids, ids);
    let answer = form(
        &api,
        "POST",
        "/wrk2-api/user-timeline/read",
        "user_id=1&start=2&stop=3",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body[0]["text"], newest_first[2].as_str());

    // The posts are ordinary public Chorus posts; the API still needs a token.
    let post = api.get(&format!("/api/v1/posts/{}", ids[0]), None).await;
    assert_eq!(post.status, StatusCode::OK, "{}", post.body);
    assert_eq!(post.body["visibility"], "public");
    assert_eq!(post.body["author"]["username"], name(1).as_str());
    assert_eq!(post.body["mentions"], serde_json::json!([name(0)]));
    let feed = api.get("/api/v1/feed", None).await;
    assert_eq!(feed.status, StatusCode::UNAUTHORIZED, "{}", feed.body);
}

async fn bad_wrk2_requests_answer_400_with_a_short_text(app: &Chorus) {
    let api = Api::new(&app.base);
    for (method, path, body, expected) in [
        (
            "POST",
            "/wrk2-api/user/register",
            "username=a",
            "Incomplete arguments",
        ),
        (
            "POST",
            "/wrk2-api/user/register",
            "first_name=a&last_name=b&username=ab&password=password_1&user_id=1",
            "User registration failure: ",
        ),
        (
            "POST",
            "/wrk2-api/user/follow",
            "user_id=1",
            "Incomplete arguments",
        ),
        (
            "POST",
            "/wrk2-api/post/compose",
            "username=a&user_id=one&text=hi&post_type=0",
            "Invalid arguments: user_id must be an integer",
        ),
        (
            "GET",
            "/wrk2-api/home-timeline/read?user_id=1&stop=10",
            "",
            "Incomplete arguments",
        ),
        (
            "GET",
            "/wrk2-api/user-timeline/read?user_id=1&start=0&stop=99999",
            "",
            "Invalid arguments: stop must be at most 1000",
        ),
    ] {
        let answer = form(&api, method, path, body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{path} {body}: {:?}",
            answer.body
        );
        let text = answer.body.as_str().expect("a text answer");
        assert!(text.starts_with(expected), "{path} {body}: {text:?}");
        assert!(text.ends_with('\n'), "{text:?}");
    }
    // Someone the id map does not know cannot post.
    let answer = form(
        &api,
        "POST",
        "/wrk2-api/post/compose",
        "username=nobody_here&user_id=123456&text=hi&post_type=0",
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{:?}", answer.body);
}
