//! Notifications: real actions over HTTP (follows, requests, friendships,
//! comments, replies, reactions, mentions, reposts, blocks) and what each
//! recipient finds in `GET /api/v1/notifications`; grouping, read marks,
//! preferences and pages. Delivery crosses services through events, so
//! every check polls until the effect shows; a check that something did
//! NOT happen waits first for a later notification to the same recipient.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, assert_error, eventually, id_of, items};

crate::in_both_modes!(
    the_graph_notifies_follows_requests_and_friendships,
    posts_notify_comments_replies_reactions_mentions_and_reposts,
    blocked_and_own_actions_notify_nobody,
    preferences_read_marks_and_pages,
);

const FIELDS: [&str; 9] = [
    "id",
    "type",
    "actor",
    "actors",
    "actor_count",
    "subject",
    "created_at",
    "updated_at",
    "read_at",
];

/// `user`'s notifications, newest first (one page of 100), each checked
/// for the contract's fields.
async fn notifications(api: &Api, user: &User) -> Vec<Value> {
    let list = items(
        &api.get("/api/v1/notifications?limit=100", user.token())
            .await,
    );
    for item in &list {
        for field in FIELDS {
            assert!(item.get(field).is_some(), "{field} missing: {item}");
        }
    }
    list
}

/// Polls `user`'s notifications until `ready` holds for them.
async fn wait_for(
    api: &Api,
    user: &User,
    what: &str,
    ready: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let ready = &ready;
    eventually(what, || async move {
        let list = notifications(api, user).await;
        if ready(&list) {
            Ok(list)
        } else {
            Err(Value::Array(list).to_string())
        }
    })
    .await
}

/// The first notification of `kind` by `actor` in `list`.
fn find<'a>(list: &'a [Value], kind: &str, actor: &User) -> Option<&'a Value> {
    list.iter()
        .find(|item| item["type"] == kind && item["actor"]["id"] == actor.id.as_str())
}

fn has(kind: &str, actor: &User) -> impl Fn(&[Value]) -> bool {
    let (kind, actor) = (kind.to_string(), actor.id.clone());
    move |list| {
        list.iter()
            .any(|item| item["type"] == kind.as_str() && item["actor"]["id"] == actor.as_str())
    }
}

/// The ids of the cards in `item.actors`, sorted.
fn actor_ids(item: &Value) -> Vec<String> {
    let mut ids: Vec<String> = item["actors"]
        .as_array()
        .unwrap_or_else(|| panic!("actors is a list: {item}"))
        .iter()
        .map(id_of)
        .collect();
    ids.sort();
    ids
}

fn sorted(users: &[&User]) -> Vec<String> {
    let mut ids: Vec<String> = users.iter().map(|user| user.id.clone()).collect();
    ids.sort();
    ids
}

async fn the_graph_notifies_follows_requests_and_friendships(app: &Chorus) {
    let api = Api::new(&app.base);
    let me = api.user("nfg").await;
    let ana = api.user("nfg").await;
    let bo = api.user("nfg").await;
    let owner = api.user("nfg").await;

    api.follows(&ana, &me, "following").await;
    api.follows(&bo, &me, "following").await;
    let follows = wait_for(&api, &me, "two follows, grouped", |list| {
        list.len() == 1 && list[0]["actor_count"] == 2
    })
    .await;
    let group = &follows[0];
    assert_eq!(group["type"], "follow");
    assert_eq!(group["subject"], json!({"type": "user", "id": me.id}));
    assert_eq!(actor_ids(group), sorted(&[&ana, &bo]));
    assert_eq!(
        group["actor"]["username"].as_str().map(str::is_empty),
        Some(false)
    );
    assert_eq!(group["read_at"], Value::Null);

    // A private account: a request, then the approval.
    let private = api.update_me(&owner, &json!({ "is_private": true })).await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.body);
    api.follows(&ana, &owner, "requested").await;
    let requests = items(&api.get("/api/v1/follow-requests", owner.token()).await);
    let request = id_of(&requests[0]);
    let asked = wait_for(
        &api,
        &owner,
        "a follow request",
        has("follow_request", &ana),
    )
    .await;
    assert_eq!(
        asked[0]["subject"],
        json!({"type": "follow_request", "id": request})
    );
    let approved = api
        .post(
            &format!("/api/v1/follow-requests/{request}/approve"),
            owner.token(),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let accepted = wait_for(&api, &ana, "the approval", has("follow_accepted", &owner)).await;
    let accepted = find(&accepted, "follow_accepted", &owner).expect("found");
    assert_eq!(accepted["subject"], json!({"type": "user", "id": owner.id}));

    // A friendship: the request, then its acceptance (and no follow noise).
    let sent = api.friend_request(&ana, &bo.id).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let request = id_of(&sent.body);
    let asked = wait_for(&api, &bo, "a friend request", has("friend_request", &ana)).await;
    let asked = find(&asked, "friend_request", &ana).expect("found");
    assert_eq!(
        asked["subject"],
        json!({"type": "friend_request", "id": request})
    );
    let answer = api
        .post(
            &format!("/api/v1/friend-requests/{request}/accept"),
            bo.token(),
            &json!({}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let for_ana = wait_for(&api, &ana, "the friendship", has("friend_accepted", &bo)).await;
    let kinds: Vec<&str> = for_ana
        .iter()
        .filter_map(|item| item["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["friend_accepted", "follow_accepted"],
        "the follows a friendship makes are not told besides it"
    );
}

async fn posts_notify_comments_replies_reactions_mentions_and_reposts(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("nfp").await;
    let ana = api.user("nfp").await;
    let bo = api.user("nfp").await;
    let cy = api.user("nfp").await;
    let post = id_of(
        &api.new_post(&author, &format!("hello @{}", cy.username), "public")
            .await,
    );
    let mention = wait_for(&api, &cy, "a mention", has("mention", &author)).await;
    assert_eq!(mention[0]["subject"], json!({"type": "post", "id": post}));

    for fan in [&ana, &bo, &cy] {
        let reacted = api.react(fan, &post, "like").await;
        assert_eq!(reacted.status, StatusCode::OK, "{}", reacted.body);
    }
    let reacted = wait_for(&api, &author, "three reactions, grouped", |list| {
        list.iter()
            .any(|item| item["type"] == "reaction" && item["actor_count"] == 3)
    })
    .await;
    let group = reacted
        .iter()
        .find(|item| item["type"] == "reaction")
        .expect("found");
    assert_eq!(
        reacted.iter().filter(|i| i["type"] == "reaction").count(),
        1
    );
    assert_eq!(group["subject"], json!({"type": "post", "id": post}));
    assert_eq!(actor_ids(group), sorted(&[&ana, &bo, &cy]));

    let comment = api.new_comment(&ana, &post, "nice", None).await;
    let commented = wait_for(&api, &author, "a comment", has("comment", &ana)).await;
    let told = find(&commented, "comment", &ana).expect("found");
    assert_eq!(
        told["subject"],
        json!({"type": "post", "id": post, "comment_id": id_of(&comment)})
    );

    let reply = api
        .new_comment(&bo, &post, "indeed", Some(&id_of(&comment)))
        .await;
    let replied = wait_for(&api, &ana, "a reply", has("reply", &bo)).await;
    let told = find(&replied, "reply", &bo).expect("found");
    assert_eq!(told["subject"]["type"], "comment");
    assert_eq!(told["subject"]["id"], id_of(&reply).as_str());
    assert_eq!(told["subject"]["post_id"], post.as_str());
    wait_for(&api, &author, "the comments, grouped", |list| {
        list.iter()
            .any(|item| item["type"] == "comment" && item["actor_count"] == 2)
    })
    .await;

    let repost = api
        .create_post(&cy, &json!({ "content": "", "repost_of": post }))
        .await;
    assert_eq!(repost.status, StatusCode::CREATED, "{}", repost.body);
    let reposted = wait_for(&api, &author, "a repost", has("repost", &cy)).await;
    let told = find(&reposted, "repost", &cy).expect("found");
    assert_eq!(told["subject"], json!({"type": "post", "id": post}));

    // The author's own comment tells the author nothing; a barrier after it.
    api.new_comment(&author, &post, "thanks all", None).await;
    api.new_post(&ana, &format!("cc @{}", author.username), "public")
        .await;
    let all = wait_for(&api, &author, "the barrier mention", has("mention", &ana)).await;
    let mut kinds: Vec<&str> = all
        .iter()
        .filter_map(|item| item["type"].as_str())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["comment", "mention", "reaction", "repost"],
        "{all:?}"
    );
}

async fn blocked_and_own_actions_notify_nobody(app: &Chorus) {
    let api = Api::new(&app.base);
    let me = api.user("nfb").await;
    let pest = api.user("nfb").await;
    let friend = api.user("nfb").await;
    let post = id_of(&api.new_post(&me, "mine", "public").await);
    api.react(&pest, &post, "like").await;
    api.react(&friend, &post, "like").await;
    wait_for(&api, &me, "two reactions", |list| {
        list.len() == 1 && list[0]["actor_count"] == 2
    })
    .await;

    let blocked = api.block(&me, &pest.id).await;
    assert_eq!(blocked.status, StatusCode::NO_CONTENT, "{}", blocked.body);
    let left = wait_for(&api, &me, "the blocked one taken out", |list| {
        list.len() == 1 && list[0]["actor_count"] == 1
    })
    .await;
    assert_eq!(actor_ids(&left[0]), sorted(&[&friend]));

    // The blocked account mentions me; I act on my own post.
    api.new_post(&pest, &format!("hey @{}", me.username), "public")
        .await;
    api.react(&me, &post, "fire").await;
    api.new_comment(&me, &post, "talking to myself", None).await;
    api.new_post(&me, &format!("me, @{}", me.username), "public")
        .await;
    // A barrier: a later mention by someone else.
    api.new_post(&friend, &format!("hi @{}", me.username), "public")
        .await;
    let list = wait_for(&api, &me, "the barrier mention", has("mention", &friend)).await;
    assert_eq!(list.len(), 2, "only the friend's: {list:?}");
    assert!(
        list.iter()
            .all(|item| item["actor"]["id"] == friend.id.as_str()),
        "{list:?}"
    );
}

async fn preferences_read_marks_and_pages(app: &Chorus) {
    let api = Api::new(&app.base);
    let me = api.user("nfr").await;
    let fan = api.user("nfr").await;

    let anonymous = api.get("/api/v1/notifications", None).await;
    assert_error(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "anonymous",
    );

    let preferences = api
        .get("/api/v1/notifications/preferences", me.token())
        .await;
    assert_eq!(preferences.status, StatusCode::OK, "{}", preferences.body);
    assert_eq!(preferences.body["types"]["reaction"], true);
    let off = api
        .patch(
            "/api/v1/notifications/preferences",
            me.token(),
            &json!({"types": {"reaction": false}}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(off.body["types"]["reaction"], false);
    assert_eq!(off.body["types"]["mention"], true);
    let unknown = api
        .patch(
            "/api/v1/notifications/preferences",
            me.token(),
            &json!({"types": {"likes": false}}),
        )
        .await;
    assert_error(
        &unknown,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        "an unknown type",
    );

    let post = id_of(&api.new_post(&me, "muted reactions", "public").await);
    api.react(&fan, &post, "like").await;
    for n in 0..5 {
        api.new_post(&fan, &format!("{n} @{}", me.username), "public")
            .await;
    }
    let all = wait_for(&api, &me, "five mentions", |list| list.len() >= 5).await;
    assert_eq!(all.len(), 5, "no reaction: {all:?}");
    assert!(all.iter().all(|item| item["type"] == "mention"));

    let pages = api
        .pages("/api/v1/notifications", Some(&me), 2, id_of)
        .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let walked: Vec<String> = pages.concat().iter().map(id_of).collect();
    let listed: Vec<String> = all.iter().map(id_of).collect();
    assert_eq!(walked, listed, "newest first, each once");

    let count = |body: &Value| body["count"].as_i64().expect("count");
    let unread = api
        .get("/api/v1/notifications/unread-count", me.token())
        .await;
    assert_eq!(count(&unread.body), 5, "{}", unread.body);

    let first = &listed[0];
    let read = api
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            me.token(),
            &json!({}),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["id"], first.as_str());
    assert!(read.body["read_at"].is_string(), "{}", read.body);
    let not_theirs = api
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            fan.token(),
            &json!({}),
        )
        .await;
    assert_error(
        &not_theirs,
        StatusCode::NOT_FOUND,
        "not_found",
        "someone else's",
    );
    let unread = api
        .get("/api/v1/notifications/unread-count", me.token())
        .await;
    assert_eq!(count(&unread.body), 4);
    let unread_list = items(
        &api.get("/api/v1/notifications?unread=true", me.token())
            .await,
    );
    assert_eq!(unread_list.len(), 4);
    assert!(!unread_list.iter().any(|item| id_of(item) == *first));

    let all_read = api
        .post("/api/v1/notifications/read-all", me.token(), &json!({}))
        .await;
    assert_eq!(all_read.status, StatusCode::OK, "{}", all_read.body);
    assert_eq!(all_read.body, json!({"updated": 4}));
    let unread = api
        .get("/api/v1/notifications/unread-count", me.token())
        .await;
    assert_eq!(count(&unread.body), 0);
}
