//! Comments: threaded by `parent_id`, listed oldest first page by page,
//! deleted by their author or the post's author, counted on the post.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{assert_error, assert_invalid_field, id_of, ids, items};

crate::in_both_modes!(
    comments_are_threaded_and_listed_oldest_first,
    a_comment_is_deleted_by_its_author_or_the_posts_author,
    only_its_author_edits_a_comment,
);

async fn comment_count(api: &Api, post: &str) -> i64 {
    api.get_post(post, None).await.body["comment_count"]
        .as_i64()
        .expect("comment_count")
}

async fn comments_are_threaded_and_listed_oldest_first(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("cm").await;
    let ana = api.user("cm").await;
    let bo = api.user("cm").await;
    let post = id_of(&api.new_post(&author, "discuss", "public").await);

    let first = api
        .comment(&ana, &post, &json!({ "content": "first!" }))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let comment = &first.body;
    for field in [
        "id",
        "post_id",
        "author",
        "content",
        "parent_id",
        "created_at",
        "edited_at",
    ] {
        assert!(comment.get(field).is_some(), "{field} missing: {comment}");
    }
    assert_eq!(comment["post_id"], post.as_str());
    assert_eq!(comment["author"]["id"], ana.id.as_str());
    assert_eq!(comment["author"]["username"], ana.username.as_str());
    assert_eq!(comment["content"], "first!");
    assert_eq!(comment["parent_id"], Value::Null);
    assert_eq!(comment["edited_at"], Value::Null);

    let second = api.new_comment(&bo, &post, "second", None).await;
    let reply = api
        .new_comment(&bo, &post, "a reply to the first", Some(&id_of(comment)))
        .await;
    assert_eq!(reply["parent_id"], comment["id"]);
    let reply_to_reply = api
        .new_comment(&author, &post, "deeper", Some(&id_of(&reply)))
        .await;
    assert_eq!(reply_to_reply["parent_id"], reply["id"]);
    assert_eq!(comment_count(&api, &post).await, 4);
    let timeline = items(
        &api.get(&format!("/api/v1/users/{}/posts", author.id), None)
            .await,
    );
    assert_eq!(timeline[0]["comment_count"], 4, "counted in a page too");

    let pages = api
        .pages(&format!("/api/v1/posts/{post}/comments"), None, 3, id_of)
        .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 1]);
    let listed = pages.concat();
    assert_eq!(
        ids(&listed),
        [
            id_of(comment),
            id_of(&second),
            id_of(&reply),
            id_of(&reply_to_reply)
        ],
        "oldest first"
    );
    assert_eq!(listed[2]["parent_id"], comment["id"]);

    // A parent must be a comment of the same post.
    let other_post = id_of(&api.new_post(&author, "elsewhere", "public").await);
    for parent in [id_of(comment), "4242".to_string()] {
        let answer = api
            .comment(
                &ana,
                &other_post,
                &json!({ "content": "x", "parent_id": parent }),
            )
            .await;
        assert_invalid_field(&answer, "parent_id", &format!("parent {parent}"));
    }
    assert_eq!(comment_count(&api, &other_post).await, 0);
}

async fn a_comment_is_deleted_by_its_author_or_the_posts_author(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("cd").await;
    let ana = api.user("cd").await;
    let bo = api.user("cd").await;
    let post = id_of(&api.new_post(&author, "discuss", "public").await);
    let ana_comment = id_of(&api.new_comment(&ana, &post, "mine", None).await);
    let bo_comment = id_of(&api.new_comment(&bo, &post, "bo's", None).await);
    let reply = id_of(
        &api.new_comment(&bo, &post, "reply", Some(&ana_comment))
            .await,
    );
    let deeper = id_of(
        &api.new_comment(&author, &post, "deeper", Some(&reply))
            .await,
    );
    assert_eq!(comment_count(&api, &post).await, 4);
    let path = |id: &str| format!("/api/v1/comments/{id}");

    let by_other = api.delete(&path(&ana_comment), bo.token()).await;
    assert_error(
        &by_other,
        StatusCode::FORBIDDEN,
        "forbidden",
        "someone else's comment",
    );
    let anonymous = api.delete(&path(&ana_comment), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Its author deletes it, and the replies go with it.
    let by_author = api.delete(&path(&ana_comment), ana.token()).await;
    assert_eq!(
        by_author.status,
        StatusCode::NO_CONTENT,
        "{}",
        by_author.body
    );
    let left = items(
        &api.get(&format!("/api/v1/posts/{post}/comments"), None)
            .await,
    );
    assert_eq!(ids(&left), [bo_comment.as_str()]);
    assert_eq!(
        comment_count(&api, &post).await,
        1,
        "replies of replies too"
    );
    let deeper_gone = api.delete(&path(&deeper), author.token()).await;
    assert_error(
        &deeper_gone,
        StatusCode::NOT_FOUND,
        "not_found",
        "a deleted reply's reply",
    );
    let reply_gone = api.delete(&path(&reply), bo.token()).await;
    assert_error(
        &reply_gone,
        StatusCode::NOT_FOUND,
        "not_found",
        "a deleted reply",
    );

    // The post's author may delete any comment on it.
    let by_post_author = api.delete(&path(&bo_comment), author.token()).await;
    assert_eq!(
        by_post_author.status,
        StatusCode::NO_CONTENT,
        "{}",
        by_post_author.body
    );
    assert!(
        items(
            &api.get(&format!("/api/v1/posts/{post}/comments"), None)
                .await
        )
        .is_empty()
    );
    assert_eq!(comment_count(&api, &post).await, 0);
    let unknown = api.delete(&path("4242"), author.token()).await;
    assert_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "not_found",
        "an unknown comment",
    );
}

async fn only_its_author_edits_a_comment(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("ce").await;
    let ana = api.user("ce").await;
    let post = id_of(&api.new_post(&author, "discuss", "public").await);
    let comment = api.new_comment(&ana, &post, "tpyo", None).await;
    let path = format!("/api/v1/comments/{}", id_of(&comment));

    let by_post_author = api
        .patch(&path, author.token(), &json!({ "content": "mine now" }))
        .await;
    assert_error(
        &by_post_author,
        StatusCode::FORBIDDEN,
        "forbidden",
        "not its author",
    );
    let edited = api
        .patch(&path, ana.token(), &json!({ "content": "typo" }))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["content"], "typo");
    assert!(edited.body["edited_at"].is_string(), "{}", edited.body);
    assert_eq!(edited.body["created_at"], comment["created_at"]);
    let empty = api
        .patch(&path, ana.token(), &json!({ "content": " " }))
        .await;
    assert_invalid_field(&empty, "content", "an empty comment");
}
