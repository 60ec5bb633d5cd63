//! Posts: the full `post` shape, editing and deleting by the author only,
//! hashtags and mentions, reposts, and a user's timeline page by page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{assert_error, assert_invalid_field, id_of, ids, items};

crate::in_both_modes!(
    creating_a_post_answers_201_with_the_full_post,
    hashtags_and_mentions_are_found_in_the_text,
    only_the_author_edits_a_post,
    deleting_a_post_takes_its_comments_along,
    reposts_point_at_the_original_and_count_there,
    a_user_timeline_is_newest_first_in_cursor_pages,
);

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

fn sorted(values: &Value) -> Vec<String> {
    let mut list: Vec<String> = values
        .as_array()
        .unwrap_or_else(|| panic!("an array: {values}"))
        .iter()
        .map(|v| v.as_str().expect("strings").to_string())
        .collect();
    list.sort();
    list
}

async fn creating_a_post_answers_201_with_the_full_post(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("pst").await;
    let bo = api.user("pst").await;
    let content = format!("Hello #Rust and #café, @{}!", bo.username);

    let answer = api
        .create_post(&ana, &json!({ "content": content, "visibility": "public" }))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let post = &answer.body;
    for field in POST_FIELDS {
        assert!(post.get(field).is_some(), "{field} missing: {post}");
    }
    assert!(
        post["id"]
            .as_str()
            .is_some_and(|id| id.parse::<i64>().is_ok()),
        "a numeric string id: {post}"
    );
    let author = &post["author"];
    assert_eq!(author["id"], ana.id.as_str());
    assert_eq!(author["username"], ana.username.as_str());
    assert!(author["display_name"].is_string(), "{author}");
    assert_eq!(author["avatar_url"], Value::Null, "{author}");
    assert_eq!(post["content"], content.as_str());
    assert_eq!(post["visibility"], "public");
    assert_eq!(post["media"], json!([]));
    assert_eq!(post["hashtags"], json!(["rust", "café"]));
    assert_eq!(post["mentions"], json!([bo.username]));
    assert_eq!(post["repost_of"], Value::Null);
    assert_eq!(post["reaction_counts"], json!({}));
    assert_eq!(post["my_reactions"], json!([]));
    assert_eq!(post["comment_count"], 0);
    assert_eq!(post["repost_count"], 0);
    assert!(
        post["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "RFC 3339 UTC: {post}"
    );
    assert_eq!(post["edited_at"], Value::Null);

    let read = api.get_post(&id_of(post), Some(&ana)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(&read.body, post, "the author reads what was created");
    let anonymous = api.get_post(&id_of(post), None).await;
    assert_eq!(anonymous.status, StatusCode::OK, "{}", anonymous.body);
    assert_eq!(anonymous.body["content"], content.as_str());

    // Visibility defaults to public; no media is an empty list.
    let default = api
        .create_post(&ana, &json!({ "content": "plain", "media_ids": [] }))
        .await;
    assert_eq!(default.status, StatusCode::CREATED, "{}", default.body);
    assert_eq!(default.body["visibility"], "public");

    let unauthenticated = api
        .post("/api/v1/posts", None, &json!({ "content": "who am I" }))
        .await;
    assert_error(
        &unauthenticated,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "anonymous post",
    );
}

async fn hashtags_and_mentions_are_found_in_the_text(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("tag").await;
    let bo = api.user("tag").await;
    let cy = api.user("tag").await;
    let content = format!(
        "#café #Café #CAFÉ #123 #a_b x#glued ##double &#amp; \
         hi @{bo} and @{bo_upper} (@{cy}) @nobody_{missing} \
         mail me at ana@{cy} or ana.@{cy}x",
        bo = bo.username,
        bo_upper = bo.username.to_uppercase(),
        cy = cy.username,
        missing = "zz9_unknown",
    );
    let post = api.new_post(&ana, &content, "public").await;
    assert_eq!(
        post["hashtags"],
        json!(["café", "a_b"]),
        "lowercase, unique, in order; not all digits, not glued to a word"
    );
    let mut expected = vec![bo.username.clone(), cy.username.clone()];
    expected.sort();
    assert_eq!(
        sorted(&post["mentions"]),
        expected,
        "existing users only, once each; email@host is not a mention"
    );

    let email_only = api
        .new_post(&ana, &format!("write to someone@{}", cy.username), "public")
        .await;
    assert_eq!(email_only["mentions"], json!([]), "{email_only}");

    // Editing parses the text again.
    let edited = api
        .patch(
            &format!("/api/v1/posts/{}", id_of(&post)),
            ana.token(),
            &json!({ "content": "now only #Rust" }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["hashtags"], json!(["rust"]));
    assert_eq!(edited.body["mentions"], json!([]));
}

async fn only_the_author_edits_a_post(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("edt").await;
    let fan = api.user("edt").await;
    let stranger = api.user("edt").await;
    api.follows(&fan, &author, "following").await;
    let post = api.new_post(&author, "first words", "followers").await;
    let path = format!("/api/v1/posts/{}", id_of(&post));
    let change = json!({ "content": "taken over" });

    let by_fan = api.patch(&path, fan.token(), &change).await;
    assert_error(
        &by_fan,
        StatusCode::FORBIDDEN,
        "forbidden",
        "a follower edits",
    );
    let by_stranger = api.patch(&path, stranger.token(), &change).await;
    assert_error(
        &by_stranger,
        StatusCode::NOT_FOUND,
        "not_found",
        "someone who cannot see it edits",
    );
    let anonymous = api.patch(&path, None, &change).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );
    let bad_visibility = api
        .patch(&path, author.token(), &json!({ "visibility": "friends" }))
        .await;
    assert_invalid_field(&bad_visibility, "visibility", "unknown visibility");
    let empty = api
        .patch(&path, author.token(), &json!({ "content": "  " }))
        .await;
    assert_invalid_field(&empty, "content", "empty content");
    let unchanged = api.get_post(&id_of(&post), Some(&fan)).await.body;
    assert_eq!(unchanged["content"], "first words", "{unchanged}");
    assert_eq!(unchanged["edited_at"], Value::Null, "{unchanged}");

    let edited = api
        .patch(&path, author.token(), &json!({ "content": "better words" }))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["content"], "better words");
    assert_eq!(edited.body["visibility"], "followers");
    assert_eq!(edited.body["created_at"], post["created_at"]);
    assert!(
        edited.body["edited_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "edited_at is set: {}",
        edited.body
    );
    let seen = api.get_post(&id_of(&post), Some(&fan)).await;
    assert_eq!(seen.body["content"], "better words");

    // Narrowing the visibility hides it from the follower at once.
    let private = api
        .patch(&path, author.token(), &json!({ "visibility": "private" }))
        .await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.body);
    assert_eq!(private.body["visibility"], "private");
    let hidden = api.get_post(&id_of(&post), Some(&fan)).await;
    assert_error(&hidden, StatusCode::NOT_FOUND, "not_found", "now private");
}

async fn deleting_a_post_takes_its_comments_along(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("del").await;
    let other = api.user("del").await;
    let post = id_of(&api.new_post(&author, "short-lived", "public").await);
    let comment = id_of(&api.new_comment(&other, &post, "nice", None).await);
    assert_eq!(
        api.react(&other, &post, "like").await.status,
        StatusCode::OK
    );
    let path = format!("/api/v1/posts/{post}");

    let by_other = api.delete(&path, other.token()).await;
    assert_error(
        &by_other,
        StatusCode::FORBIDDEN,
        "forbidden",
        "not the author",
    );
    let anonymous = api.delete(&path, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let deleted = api.delete(&path, author.token()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let gone = api.get_post(&post, Some(&author)).await;
    assert_error(&gone, StatusCode::NOT_FOUND, "not_found", "deleted post");
    let again = api.delete(&path, author.token()).await;
    assert_error(&again, StatusCode::NOT_FOUND, "not_found", "deleted twice");
    let comments = api.get(&format!("{path}/comments"), author.token()).await;
    assert_error(
        &comments,
        StatusCode::NOT_FOUND,
        "not_found",
        "its comments",
    );
    let the_comment = api
        .delete(&format!("/api/v1/comments/{comment}"), other.token())
        .await;
    assert_error(
        &the_comment,
        StatusCode::NOT_FOUND,
        "not_found",
        "a comment of a deleted post",
    );
    let timeline = items(
        &api.get(&format!("/api/v1/users/{}/posts", author.id), None)
            .await,
    );
    assert!(timeline.is_empty(), "{timeline:?}");
}

async fn reposts_point_at_the_original_and_count_there(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("rp").await;
    let (ana, bo, cy) = (
        api.user("rp").await,
        api.user("rp").await,
        api.user("rp").await,
    );
    let original = id_of(&api.new_post(&author, "worth sharing", "public").await);

    let plain = api
        .create_post(&ana, &json!({ "content": "", "repost_of": original }))
        .await;
    assert_eq!(
        plain.status,
        StatusCode::CREATED,
        "an empty repost: {}",
        plain.body
    );
    assert_eq!(plain.body["repost_of"], original.as_str());
    let quoted = api
        .create_post(&bo, &json!({ "content": "so true", "repost_of": original }))
        .await;
    assert_eq!(quoted.status, StatusCode::CREATED, "{}", quoted.body);
    let of_repost = api
        .create_post(
            &cy,
            &json!({ "content": "", "repost_of": id_of(&plain.body) }),
        )
        .await;
    assert_eq!(of_repost.status, StatusCode::CREATED, "{}", of_repost.body);
    assert_eq!(
        of_repost.body["repost_of"],
        original.as_str(),
        "a repost of a repost points at the original"
    );
    assert_eq!(api.get_post(&original, None).await.body["repost_count"], 3);

    let deleted = api
        .delete(
            &format!("/api/v1/posts/{}", id_of(&plain.body)),
            ana.token(),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get_post(&original, None).await.body["repost_count"], 2);

    // Only public posts may be reposted, and only ones the reposter sees.
    api.follows(&ana, &author, "following").await;
    let for_followers = id_of(&api.new_post(&author, "between us", "followers").await);
    let refused = api
        .create_post(&ana, &json!({ "content": "", "repost_of": for_followers }))
        .await;
    assert_invalid_field(&refused, "repost_of", "reposting a followers-only post");
    let hidden = api
        .create_post(&bo, &json!({ "content": "", "repost_of": for_followers }))
        .await;
    assert_error(
        &hidden,
        StatusCode::NOT_FOUND,
        "not_found",
        "reposting an unseen post",
    );
    let gone = id_of(&api.new_post(&author, "soon gone", "public").await);
    api.delete(&format!("/api/v1/posts/{gone}"), author.token())
        .await;
    let deleted = api
        .create_post(&bo, &json!({ "content": "", "repost_of": gone }))
        .await;
    assert_error(
        &deleted,
        StatusCode::NOT_FOUND,
        "not_found",
        "reposting a deleted post",
    );
    let unknown = api
        .create_post(&bo, &json!({ "content": "", "repost_of": "4242" }))
        .await;
    assert_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "not_found",
        "reposting nothing",
    );
}

async fn a_user_timeline_is_newest_first_in_cursor_pages(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("tl").await;
    let reader = api.user("tl").await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(id_of(
            &api.new_post(&author, &format!("post {n}"), "public").await,
        ));
    }
    api.new_post(&reader, "not on the author's timeline", "public")
        .await;

    let path = format!("/api/v1/users/{}/posts", author.id);
    let pages = api.pages(&path, Some(&reader), 3, id_of).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let listed = pages.concat();
    created.reverse();
    assert_eq!(ids(&listed), created, "newest first, each once");
    for post in &listed {
        assert_eq!(post["author"]["id"], author.id.as_str());
        assert!(post.get("reaction_counts").is_some() && post.get("my_reactions").is_some());
    }

    let default_page = items(&api.get(&path, None).await);
    assert_eq!(default_page.len(), 7, "20 per page by default");
    let unknown = api.get("/api/v1/users/4242/posts", None).await;
    assert_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "not_found",
        "an unknown user",
    );
}
