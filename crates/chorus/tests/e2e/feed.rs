//! The home feed (`GET /api/v1/feed`): my posts and those of everyone I
//! follow that I may see, newest first, in stable cursor pages; what
//! unfollowing, blocking, deleting and changing a post's visibility take
//! away; engagement and profile changes shown; bad input refused. Posts
//! reach a feed through events, so every expectation is polled.
//!
//! Also the helpers the other `feed_*` files use.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, assert_error, assert_invalid_field, eventually, id_of, items};

crate::in_both_modes!(
    the_feed_holds_my_posts_and_what_my_followees_let_me_see,
    an_approved_follow_request_brings_the_posts_in,
    pages_stay_stable_while_new_posts_arrive,
    a_first_read_while_a_post_arrives_misses_nothing,
    unfollowing_takes_an_authors_posts_away_and_following_again_brings_them_back,
    a_block_hides_each_sides_posts_and_lifting_it_does_not_restore_them,
    deleting_or_making_a_post_private_takes_it_out_of_followers_feeds,
    reactions_comments_and_profile_changes_show_in_the_feed,
    bad_feed_requests_are_refused_in_the_error_shape,
    the_openapi_document_lists_the_feed,
);

pub const FEED: &str = "/api/v1/feed";

/// The `content` of a post.
pub fn content_of(post: &Value) -> String {
    post["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no content in {post}"))
        .to_string()
}

/// Contents in the order they were posted, as a feed lists them: newest first.
pub fn newest_first(created: &[String]) -> Vec<String> {
    created.iter().rev().cloned().collect()
}

/// `author` posts `content`: its id.
pub async fn post(api: &Api, author: &User, content: &str, visibility: &str) -> String {
    id_of(&api.new_post(author, content, visibility).await)
}

/// The feed path with `query` (`""` for the default).
fn feed_path(query: &str) -> String {
    if query.is_empty() {
        FEED.to_string()
    } else {
        format!("{FEED}?{query}")
    }
}

/// `reader`'s whole feed, read `limit` at a time to the last page (which
/// [`Api::pages`] checks for repeats): the posts in order.
pub async fn feed_posts(api: &Api, reader: &User, query: &str, limit: u32) -> Vec<Value> {
    api.pages(&feed_path(query), Some(reader), limit, id_of)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The contents of `reader`'s whole feed, in order.
pub async fn feed_contents(api: &Api, reader: &User, query: &str, limit: u32) -> Vec<String> {
    feed_posts(api, reader, query, limit)
        .await
        .iter()
        .map(content_of)
        .collect()
}

/// Waits until `reader`'s feed (newest first) is exactly `expected`.
pub async fn feed_becomes(api: &Api, reader: &User, expected: &[String]) {
    becomes(api, reader, "", expected).await;
}

/// Waits until `reader`'s feed with `ranking=top` is exactly `expected`.
pub async fn top_becomes(api: &Api, reader: &User, expected: &[String]) {
    becomes(api, reader, "ranking=top", expected).await;
}

async fn becomes(api: &Api, reader: &User, query: &str, expected: &[String]) {
    eventually(
        &format!("{}'s feed ({query:?})", reader.username),
        || async {
            let seen = feed_contents(api, reader, query, 100).await;
            if seen == expected {
                Ok(())
            } else {
                Err(format!("{seen:?}, expected {expected:?}"))
            }
        },
    )
    .await;
}

/// Waits until the post `id` in `reader`'s feed satisfies `ready`: that post.
pub async fn feed_item_where(
    api: &Api,
    reader: &User,
    id: &str,
    what: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let ready = &ready;
    eventually(
        &format!("{what}, in {}'s feed", reader.username),
        || async move {
            let posts = feed_posts(api, reader, "", 100).await;
            match posts.iter().find(|post| post["id"] == id) {
                Some(post) if ready(post) => Ok(post.clone()),
                Some(post) => Err(post.to_string()),
                None => Err(format!("post {id} is not in the feed")),
            }
        },
    )
    .await
}

/// A walk through `reader`'s feed (`query`), `limit` at a time, while
/// `writers` take turns posting something new before every next page.
pub struct Walk {
    /// The contents of every page, in order.
    pub pages: Vec<Vec<String>>,
    /// What was posted during the walk, in order.
    pub posted: Vec<String>,
}

impl Walk {
    pub fn contents(&self) -> Vec<String> {
        self.pages.iter().flatten().cloned().collect()
    }
}

/// Walks to the page whose `next_cursor` is null, checking that no page is
/// over the limit, none but a single first page is empty, and no post shows
/// twice.
pub async fn walk_while_posting(
    api: &Api,
    reader: &User,
    query: &str,
    limit: u32,
    writers: &[&User],
) -> Walk {
    let path = feed_path(query);
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut walk = Walk {
        pages: Vec::new(),
        posted: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}{separator}limit={limit}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let answer = api.get(&url, reader.token()).await;
        let page = items(&answer);
        assert!(page.len() <= limit as usize, "{url}: over the limit");
        assert!(
            !page.is_empty() || walk.pages.is_empty(),
            "{url}: an empty page after a cursor"
        );
        for item in &page {
            assert!(seen.insert(id_of(item)), "{url}: {item} shows twice");
        }
        walk.pages.push(page.iter().map(content_of).collect());
        let Some(next) = answer.body["next_cursor"].as_str() else {
            return walk;
        };
        cursor = Some(next.to_string());
        let writer = writers[walk.posted.len() % writers.len()];
        let content = format!("late {}", walk.posted.len());
        post(api, writer, &content, "public").await;
        walk.posted.push(content);
        assert!(walk.pages.len() < 100, "{path}: endless pages");
    }
}

/// Owned copies of `list`.
pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const POST_FIELDS: [&str; 14] = [
    "id",
    "author",
    "content",
    "visibility",
    "media",
    "hashtags",
    "mentions",
    "repost_of",
    "reaction_counts",
    "my_reactions",
    "comment_count",
    "repost_count",
    "created_at",
    "edited_at",
];

async fn the_feed_holds_my_posts_and_what_my_followees_let_me_see(app: &Chorus) {
    let api = Api::new(&app.base);
    let me = api.user("fd").await;
    let ana = api.user("fd").await;
    let bo = api.user("fd").await;
    let stranger = api.user("fd").await;
    api.follows(&me, &ana, "following").await;
    api.follows(&me, &bo, "following").await;

    let writes: [(&User, &str, &str); 8] = [
        (&ana, "ana public", "public"),
        (&stranger, "stranger public", "public"),
        (&bo, "bo followers", "followers"),
        (&ana, "ana private", "private"),
        (&me, "my private", "private"),
        (&me, "my public", "public"),
        (&stranger, "stranger followers", "followers"),
        (&bo, "bo public #feed", "public"),
    ];
    for (author, content, visibility) in writes {
        post(&api, author, content, visibility).await;
    }

    let mine = strings(&[
        "bo public #feed",
        "my public",
        "my private",
        "bo followers",
        "ana public",
    ]);
    feed_becomes(&api, &me, &mine).await;
    // Everyone sees their own private posts; no one else's come in.
    feed_becomes(&api, &ana, &strings(&["ana private", "ana public"])).await;
    feed_becomes(&api, &bo, &strings(&["bo public #feed", "bo followers"])).await;
    feed_becomes(
        &api,
        &stranger,
        &strings(&["stranger followers", "stranger public"]),
    )
    .await;

    // Each post has the full `post` shape, author card included, and is
    // what reading the post itself shows me.
    let answer = api.get(FEED, me.token()).await;
    let posts = items(&answer);
    assert_eq!(answer.body["next_cursor"], Value::Null, "{}", answer.body);
    for post in &posts {
        for field in POST_FIELDS {
            assert!(post.get(field).is_some(), "{field} missing: {post}");
        }
        let author = &post["author"];
        let mut fields: Vec<&str> = author
            .as_object()
            .unwrap_or_else(|| panic!("author is an object: {post}"))
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            ["avatar_url", "display_name", "id", "username"],
            "{author}"
        );
        assert!(
            post["created_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "RFC 3339 UTC: {post}"
        );
        let read = api.get_post(&id_of(post), Some(&me)).await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
        assert_eq!(&read.body, post, "the feed shows the post as it is");
    }
    let by_bo = &posts[0];
    assert_eq!(by_bo["author"]["id"], bo.id.as_str());
    assert_eq!(by_bo["author"]["username"], bo.username.as_str());
    assert_eq!(by_bo["hashtags"], json!(["feed"]));
    let times: Vec<&str> = posts
        .iter()
        .map(|p| p["created_at"].as_str().expect("created_at"))
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first, "newest first");
}

async fn an_approved_follow_request_brings_the_posts_in(app: &Chorus) {
    let api = Api::new(&app.base);
    let owner = api.user("fdr").await;
    let fan = api.user("fdr").await;
    let private = api.update_me(&owner, &json!({ "is_private": true })).await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.body);
    api.follows(&fan, &owner, "requested").await;
    post(&api, &owner, "owner public", "public").await;
    post(&api, &owner, "owner followers", "followers").await;
    post(&api, &fan, "fan's own", "public").await;

    // A request is not a follow: nothing of the owner's yet.
    feed_becomes(&api, &fan, &strings(&["fan's own"])).await;

    let requests = items(&api.get("/api/v1/follow-requests", owner.token()).await);
    assert_eq!(requests.len(), 1, "{requests:?}");
    let approved = api
        .post(
            &format!("/api/v1/follow-requests/{}/approve", id_of(&requests[0])),
            owner.token(),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    feed_becomes(
        &api,
        &fan,
        &strings(&["fan's own", "owner followers", "owner public"]),
    )
    .await;
}

async fn pages_stay_stable_while_new_posts_arrive(app: &Chorus) {
    let api = Api::new(&app.base);
    let reader = api.user("fdp").await;
    let authors = api.users("fdp", 3).await;
    for author in &authors {
        api.follows(&reader, author, "following").await;
    }
    let mut created = Vec::new();
    for i in 0..25 {
        let author = if i % 6 == 5 { &reader } else { &authors[i % 3] };
        let visibility = if i % 4 == 0 { "followers" } else { "public" };
        let content = format!("post {i:02}");
        post(&api, author, &content, visibility).await;
        created.push(content);
    }
    let expected = newest_first(&created);
    feed_becomes(&api, &reader, &expected).await;

    let writers: Vec<&User> = authors.iter().chain([&reader]).collect();
    let walk = walk_while_posting(&api, &reader, "", 7, &writers).await;
    assert_eq!(
        walk.contents(),
        expected,
        "the walk yields what was there at its first page, in order"
    );
    let sizes: Vec<usize> = walk.pages.iter().map(Vec::len).collect();
    assert_eq!(
        sizes,
        [7, 7, 7, 4],
        "full pages, then the rest, then the end"
    );

    // The posts written meanwhile are on top of a new read.
    let mut now = newest_first(&walk.posted);
    now.extend(expected);
    feed_becomes(&api, &reader, &now).await;
}

async fn a_first_read_while_a_post_arrives_misses_nothing(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("fdf").await;
    let readers = api.users("fdf", 8).await;
    for reader in &readers {
        api.follows(reader, &author, "following").await;
    }
    // Each reader's first read (which builds its timeline) comes just as a
    // new post is being pushed to the timelines of the author's followers.
    let mut created = Vec::new();
    for (i, reader) in readers.iter().enumerate() {
        let content = format!("post {i}");
        post(&api, &author, &content, "public").await;
        created.push(content);
        let first = api.get(FEED, reader.token()).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    }
    let expected = newest_first(&created);
    for reader in &readers {
        feed_becomes(&api, reader, &expected).await;
    }
}

async fn unfollowing_takes_an_authors_posts_away_and_following_again_brings_them_back(
    app: &Chorus,
) {
    let api = Api::new(&app.base);
    let reader = api.user("fdu").await;
    let ana = api.user("fdu").await;
    let bo = api.user("fdu").await;
    api.follows(&reader, &ana, "following").await;
    api.follows(&reader, &bo, "following").await;
    post(&api, &ana, "ana 1", "public").await;
    post(&api, &bo, "bo 1", "public").await;
    post(&api, &ana, "ana 2", "followers").await;
    post(&api, &reader, "mine", "public").await;
    feed_becomes(&api, &reader, &strings(&["mine", "ana 2", "bo 1", "ana 1"])).await;

    let unfollowed = api.unfollow(&reader, &ana.id).await;
    assert_eq!(
        unfollowed.status,
        StatusCode::NO_CONTENT,
        "{}",
        unfollowed.body
    );
    feed_becomes(&api, &reader, &strings(&["mine", "bo 1"])).await;

    // What ana posts meanwhile does not come in either.
    post(&api, &ana, "ana 3", "public").await;
    post(&api, &bo, "bo 2", "public").await;
    feed_becomes(&api, &reader, &strings(&["bo 2", "mine", "bo 1"])).await;

    // Following again brings back ana's recent posts, old and new.
    api.follows(&reader, &ana, "following").await;
    feed_becomes(
        &api,
        &reader,
        &strings(&["bo 2", "ana 3", "mine", "ana 2", "bo 1", "ana 1"]),
    )
    .await;
}

async fn a_block_hides_each_sides_posts_and_lifting_it_does_not_restore_them(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("fdb").await;
    let bo = api.user("fdb").await;
    let cy = api.user("fdb").await;
    let di = api.user("fdb").await;
    api.follows(&ana, &bo, "following").await;
    api.follows(&bo, &ana, "following").await;
    api.follows(&cy, &ana, "following").await;
    api.follows(&cy, &bo, "following").await;
    post(&api, &ana, "ana 1", "public").await;
    post(&api, &bo, "bo 1", "public").await;
    post(&api, &ana, "ana 2", "followers").await;
    post(&api, &bo, "bo 2", "followers").await;
    let both = strings(&["bo 2", "ana 2", "bo 1", "ana 1"]);
    for reader in [&ana, &bo, &cy] {
        feed_becomes(&api, reader, &both).await;
    }

    let blocked = api.block(&ana, &bo.id).await;
    assert_eq!(blocked.status, StatusCode::NO_CONTENT, "{}", blocked.body);
    feed_becomes(&api, &ana, &strings(&["ana 2", "ana 1"])).await;
    feed_becomes(&api, &bo, &strings(&["bo 2", "bo 1"])).await;
    feed_becomes(&api, &cy, &both).await;

    let lifted = api
        .delete(&format!("/api/v1/users/{}/block", bo.id), ana.token())
        .await;
    assert_eq!(lifted.status, StatusCode::NO_CONTENT, "{}", lifted.body);
    post(&api, &ana, "ana 3", "public").await;
    post(&api, &bo, "bo 3", "public").await;
    post(&api, &di, "di 1", "public").await;
    // Following di after the unblock: once di's post shows, the feed has
    // taken in the unblock too (one source's events arrive in order).
    api.follows(&ana, &di, "following").await;
    api.follows(&bo, &di, "following").await;
    feed_becomes(&api, &ana, &strings(&["di 1", "ana 3", "ana 2", "ana 1"])).await;
    feed_becomes(&api, &bo, &strings(&["di 1", "bo 3", "bo 2", "bo 1"])).await;

    // The block took the follows away; following again brings bo back.
    api.follows(&ana, &bo, "following").await;
    feed_becomes(
        &api,
        &ana,
        &strings(&["di 1", "bo 3", "ana 3", "bo 2", "ana 2", "bo 1", "ana 1"]),
    )
    .await;
}

async fn deleting_or_making_a_post_private_takes_it_out_of_followers_feeds(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("fdd").await;
    let fan = api.user("fdd").await;
    api.follows(&fan, &author, "following").await;
    post(&api, &author, "one", "public").await;
    let two = post(&api, &author, "two", "followers").await;
    let three = post(&api, &author, "three", "public").await;
    let all = strings(&["three", "two", "one"]);
    feed_becomes(&api, &fan, &all).await;
    feed_becomes(&api, &author, &all).await;

    let deleted = api
        .delete(&format!("/api/v1/posts/{two}"), author.token())
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let left = strings(&["three", "one"]);
    feed_becomes(&api, &fan, &left).await;
    feed_becomes(&api, &author, &left).await;

    let path = format!("/api/v1/posts/{three}");
    let private = api
        .patch(&path, author.token(), &json!({ "visibility": "private" }))
        .await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.body);
    feed_becomes(&api, &fan, &strings(&["one"])).await;
    feed_becomes(&api, &author, &left).await;

    let public = api
        .patch(&path, author.token(), &json!({ "visibility": "public" }))
        .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    feed_becomes(&api, &fan, &left).await;
    feed_becomes(&api, &author, &left).await;
}

async fn reactions_comments_and_profile_changes_show_in_the_feed(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("fde").await;
    let fan = api.user("fde").await;
    api.follows(&fan, &author, "following").await;
    let id = post(&api, &author, "engage with me", "public").await;
    feed_becomes(&api, &fan, &strings(&["engage with me"])).await;

    assert_eq!(api.react(&fan, &id, "like").await.status, StatusCode::OK);
    feed_item_where(&api, &fan, &id, "my like", |post| {
        post["my_reactions"] == json!(["like"]) && post["reaction_counts"] == json!({ "like": 1 })
    })
    .await;
    feed_item_where(&api, &author, &id, "the fan's like", |post| {
        post["my_reactions"] == json!([]) && post["reaction_counts"] == json!({ "like": 1 })
    })
    .await;

    api.new_comment(&fan, &id, "nice one", None).await;
    for reader in [&fan, &author] {
        feed_item_where(&api, reader, &id, "the comment", |post| {
            post["comment_count"] == 1
        })
        .await;
    }

    let renamed = api
        .update_me(&author, &json!({ "display_name": "Renamed Author" }))
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    feed_item_where(&api, &fan, &id, "the new display name", |post| {
        post["author"]["display_name"] == "Renamed Author"
    })
    .await;

    // Taking the like back shows too; then the feed shows the post as it is.
    assert_eq!(api.unreact(&fan, &id, "like").await.status, StatusCode::OK);
    let read = api.get_post(&id, Some(&fan)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["my_reactions"], json!([]), "{}", read.body);
    feed_item_where(&api, &fan, &id, "the post as it is now", |post| {
        *post == read.body
    })
    .await;
}

/// `cursor` with one character changed in its middle.
fn tampered(cursor: &str) -> String {
    let mut chars: Vec<char> = cursor.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

/// The `next_cursor` of the first page of `path`, which must have one.
async fn first_cursor(api: &Api, reader: &User, path: &str) -> String {
    let first = api.get(path, reader.token()).await;
    assert_eq!(first.status, StatusCode::OK, "{path}: {}", first.body);
    first.body["next_cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("{path}: a second page: {}", first.body))
        .to_string()
}

async fn bad_feed_requests_are_refused_in_the_error_shape(app: &Chorus) {
    let api = Api::new(&app.base);
    let reader = api.user("fdx").await;
    for i in 0..3 {
        post(&api, &reader, &format!("mine {i}"), "public").await;
    }
    feed_becomes(&api, &reader, &strings(&["mine 2", "mine 1", "mine 0"])).await;

    for limit in ["0", "-1", "abc", "1.5", "%20"] {
        let answer = api
            .get(&format!("{FEED}?limit={limit}"), reader.token())
            .await;
        assert_invalid_field(&answer, "limit", &format!("limit {limit}"));
    }
    // Like every list: past 100 is at most 100 (API.md: "at most 100").
    let capped = api.get(&format!("{FEED}?limit=1000"), reader.token()).await;
    assert_eq!(capped.status, StatusCode::OK, "{}", capped.body);
    assert_eq!(items(&capped).len(), 3);

    let latest = first_cursor(&api, &reader, &format!("{FEED}?limit=1")).await;
    let top = first_cursor(&api, &reader, &format!("{FEED}?limit=1&ranking=top")).await;
    for (query, cursor) in [
        ("", tampered(&latest)),
        ("", "garbage".to_string()),
        ("", format!("{latest}x")),
        ("&ranking=top", tampered(&top)),
        ("&ranking=top", "garbage".to_string()),
        // A cursor of one ranking is not one of the other.
        ("&ranking=top", latest.clone()),
        ("", top.clone()),
    ] {
        let answer = api
            .get(
                &format!("{FEED}?limit=1&cursor={cursor}{query}"),
                reader.token(),
            )
            .await;
        assert_invalid_field(&answer, "cursor", &format!("cursor {cursor}{query}"));
    }
    for ranking in ["bogus", "TOP"] {
        let answer = api
            .get(&format!("{FEED}?ranking={ranking}"), reader.token())
            .await;
        assert_invalid_field(&answer, "ranking", &format!("ranking {ranking:?}"));
    }

    let anonymous = api.get(FEED, None).await;
    assert_error(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "no token",
    );
    let forged = api.get(FEED, Some("not-a-token")).await;
    assert_error(
        &forged,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "a bad token",
    );
    let wrong_method = api.post(FEED, reader.token(), &json!({})).await;
    assert_eq!(
        wrong_method.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        wrong_method.body
    );
    wrong_method.error_code();
}

async fn the_openapi_document_lists_the_feed(app: &Chorus) {
    let api = Api::new(&app.base);
    let answer = api.get("/api/v1/openapi.json", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let route = &answer.body["paths"][FEED]["get"];
    assert!(
        route.is_object(),
        "GET {FEED} missing from the OpenAPI document"
    );
    let mut parameters: Vec<&str> = route["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("parameters: {route}"))
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    parameters.sort();
    assert_eq!(parameters, ["cursor", "limit", "ranking"], "{route}");
    for status in ["200", "400", "401"] {
        assert!(
            route["responses"][status].is_object(),
            "{status} missing: {route}"
        );
    }
}
