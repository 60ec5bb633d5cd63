//! GraphQL at `POST /graphql`: reads with nested authors and counts,
//! connections paged with `after`, mutations, the same authorization as
//! REST, and limits that refuse abusive queries with a 400 (never a 500).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{Answer, Api};
use crate::harness::Chorus;
use crate::social::{User, id_of, ids, items};

crate::in_both_modes!(
    a_query_reads_viewer_user_and_post_with_nested_authors_and_counts,
    user_posts_pages_with_after_cursors,
    reposts_user_posts_and_comments_resolve_as_nested_fields,
    mutations_post_comment_react_and_follow,
    graphql_refuses_what_rest_refuses,
    a_fifty_levels_deep_query_is_a_400,
    too_complex_queries_and_bad_page_sizes_are_refused,
);

/// The `data` of an answer that must have no errors.
pub fn data(answer: &Answer) -> &Value {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body.get("errors").is_none(),
        "errors: {}",
        answer.body
    );
    &answer.body["data"]
}

/// The `extensions.code` of the first error of an answer.
pub fn error_code(answer: &Answer) -> &str {
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "errors in fields keep 200: {}",
        answer.body
    );
    answer.body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error with extensions.code: {}", answer.body))
}

const READ: &str = r#"
query Read($author: ID!, $post: ID!) {
  viewer { id username followingCount }
  user(id: $author) {
    id username displayName bio avatarUrl isPrivate
    followersCount followingCount postsCount createdAt
    relationship { following followedBy followRequested friends blocking }
  }
  post(id: $post) {
    id content visibility hashtags mentions commentCount repostCount
    createdAt editedAt myReactions
    reactionCounts { kind count }
    repostOf { id }
    author { id username followersCount }
    comments(first: 10) {
      nodes { id content parentId author { username } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"#;

async fn a_query_reads_viewer_user_and_post_with_nested_authors_and_counts(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("gq").await;
    let reader = api.user("gq").await;
    api.follows(&reader, &author, "following").await;
    let post = id_of(&api.new_post(&author, "graph #QL", "followers").await);
    api.new_comment(&reader, &post, "nice", None).await;
    api.react(&reader, &post, "like").await;
    api.wait_for_profile(&author.id, |p| p["posts_count"] == 1)
        .await;

    let variables = json!({ "author": author.id, "post": post });
    let answer = api.graphql(Some(&reader), READ, variables.clone()).await;
    let read = data(&answer);
    assert_eq!(read["viewer"]["id"], reader.id.as_str());
    assert_eq!(read["viewer"]["followingCount"], 1);
    let user = &read["user"];
    assert_eq!(user["username"], author.username.as_str());
    assert_eq!(user["followersCount"], 1);
    assert_eq!(user["postsCount"], 1);
    assert_eq!(user["isPrivate"], false);
    assert_eq!(user["relationship"]["following"], true);
    let seen = &read["post"];
    assert_eq!(seen["id"], post.as_str());
    assert_eq!(seen["visibility"], "followers");
    assert_eq!(seen["hashtags"], json!(["ql"]));
    assert_eq!(seen["commentCount"], 1);
    assert_eq!(seen["repostCount"], 0);
    assert_eq!(
        seen["reactionCounts"],
        json!([{ "kind": "like", "count": 1 }])
    );
    assert_eq!(seen["myReactions"], json!(["like"]));
    assert_eq!(seen["repostOf"], Value::Null);
    assert_eq!(seen["editedAt"], Value::Null);
    assert_eq!(seen["author"]["id"], author.id.as_str());
    assert_eq!(seen["author"]["followersCount"], 1);
    let comments = &seen["comments"];
    assert_eq!(comments["nodes"][0]["content"], "nice");
    assert_eq!(
        comments["nodes"][0]["author"]["username"],
        reader.username.as_str()
    );
    assert_eq!(comments["pageInfo"]["hasNextPage"], false);

    // Anonymously: no viewer, and the followers-only post is hidden: a
    // lookup answers null, just as for a post that does not exist.
    let anonymous = api.graphql(None, READ, variables).await;
    let read = data(&anonymous);
    assert_eq!(read["viewer"], Value::Null, "{}", anonymous.body);
    assert_eq!(read["post"], Value::Null, "{}", anonymous.body);
    assert_eq!(read["user"]["id"], author.id.as_str());
    assert_eq!(read["user"]["relationship"], Value::Null);
    let missing = api
        .graphql(None, READ, json!({ "author": author.id, "post": "4242" }))
        .await;
    assert_eq!(missing.body, anonymous.body, "hidden looks like missing");

    let by_name = api
        .graphql(
            None,
            "query($name: String) { user(username: $name) { id } }",
            json!({ "name": author.username }),
        )
        .await;
    assert_eq!(data(&by_name)["user"]["id"], author.id.as_str());
}

async fn user_posts_page(api: &Api, viewer: &User, author: &User, after: Option<&str>) -> Value {
    let query = r#"
      query($id: ID!, $after: String) {
        userPosts(userId: $id, first: 2, after: $after) {
          edges { cursor node { id author { username } } }
          nodes { id }
          pageInfo { hasNextPage endCursor }
        }
      }"#;
    let answer = api
        .graphql(
            Some(viewer),
            query,
            json!({ "id": author.id, "after": after }),
        )
        .await;
    data(&answer)["userPosts"].clone()
}

async fn user_posts_pages_with_after_cursors(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("gp").await;
    let reader = api.user("gp").await;
    for n in 0..5 {
        api.new_post(&author, &format!("post {n}"), "public").await;
    }
    api.new_post(&author, "hidden from the reader", "private")
        .await;
    let rest = ids(&items(
        &api.get(
            &format!("/api/v1/users/{}/posts", author.id),
            reader.token(),
        )
        .await,
    ));
    assert_eq!(rest.len(), 5);

    let mut listed = Vec::new();
    let mut after: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = user_posts_page(&api, &reader, &author, after.as_deref()).await;
        let edges = page["edges"].as_array().expect("edges").clone();
        sizes.push(edges.len());
        for edge in &edges {
            assert!(edge["cursor"].is_string(), "{edge}");
            assert_eq!(edge["node"]["author"]["username"], author.username.as_str());
            listed.push(id_of(&edge["node"]));
        }
        let nodes: Vec<Value> = page["nodes"].as_array().expect("nodes").clone();
        assert_eq!(ids(&nodes), listed[listed.len() - edges.len()..]);
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = Some(
            page["pageInfo"]["endCursor"]
                .as_str()
                .expect("endCursor")
                .to_string(),
        );
        assert!(sizes.len() < 10, "endless pages");
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(listed, rest, "the same posts in the same order as REST");
}

async fn mutations_post_comment_react_and_follow(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("gm").await;
    let reader = api.user("gm").await;

    let created = api
        .graphql(
            Some(&author),
            r#"mutation($content: String!) {
                 createPost(content: $content, visibility: "followers") {
                   id content visibility hashtags author { id }
                 }
               }"#,
            json!({ "content": "via #GraphQL" }),
        )
        .await;
    let post = data(&created)["createPost"].clone();
    assert_eq!(post["visibility"], "followers");
    assert_eq!(post["hashtags"], json!(["graphql"]));
    assert_eq!(post["author"]["id"], author.id.as_str());
    let post_id = id_of(&post);
    assert_eq!(
        api.get_post(&post_id, Some(&author)).await.body["content"],
        "via #GraphQL"
    );

    let followed = api
        .graphql(
            Some(&reader),
            "mutation($id: ID!) { follow(userId: $id) }",
            json!({ "id": author.id }),
        )
        .await;
    assert_eq!(data(&followed)["follow"], "following");
    let commented = api
        .graphql(
            Some(&reader),
            r#"mutation($post: ID!) {
                 addComment(postId: $post, content: "from graphql") { id content parentId author { id } }
               }"#,
            json!({ "post": post_id }),
        )
        .await;
    let comment = data(&commented)["addComment"].clone();
    assert_eq!(comment["content"], "from graphql");
    assert_eq!(comment["author"]["id"], reader.id.as_str());
    let reacted = api
        .graphql(
            Some(&reader),
            r#"mutation($post: ID!) { react(postId: $post, kind: "like") { mine } }"#,
            json!({ "post": post_id }),
        )
        .await;
    assert_eq!(data(&reacted)["react"]["mine"], json!(["like"]));

    let rest = api.get_post(&post_id, Some(&reader)).await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    assert_eq!(rest.body["comment_count"], 1);
    assert_eq!(rest.body["reaction_counts"], json!({ "like": 1 }));
    assert_eq!(api.profile_of(&author.id, None).await["followers_count"], 1);

    let edited = api
        .graphql(
            Some(&author),
            r#"mutation($id: ID!) { editPost(id: $id, content: "edited #again") { content hashtags editedAt } }"#,
            json!({ "id": post_id }),
        )
        .await;
    let edited = &data(&edited)["editPost"];
    assert_eq!(edited["content"], "edited #again");
    assert_eq!(edited["hashtags"], json!(["again"]));
    assert!(edited["editedAt"].is_string(), "{edited}");
    let unreacted = api
        .graphql(
            Some(&reader),
            r#"mutation($post: ID!) { unreact(postId: $post, kind: "like") { mine } }"#,
            json!({ "post": post_id }),
        )
        .await;
    assert_eq!(data(&unreacted)["unreact"]["mine"], json!([]));
    let comment_deleted = api
        .graphql(
            Some(&reader),
            "mutation($id: ID!) { deleteComment(id: $id) }",
            json!({ "id": comment["id"] }),
        )
        .await;
    assert_eq!(data(&comment_deleted)["deleteComment"], true);
    let after = api.get_post(&post_id, Some(&reader)).await.body;
    assert_eq!(after["comment_count"], 0, "{after}");
    assert_eq!(after["reaction_counts"], json!({}), "{after}");
    let unfollowed = api
        .graphql(
            Some(&reader),
            "mutation($id: ID!) { unfollow(userId: $id) }",
            json!({ "id": author.id }),
        )
        .await;
    assert_eq!(data(&unfollowed)["unfollow"], true);
    assert_eq!(api.profile_of(&author.id, None).await["followers_count"], 0);

    let deleted = api
        .graphql(
            Some(&author),
            "mutation($id: ID!) { deletePost(id: $id) }",
            json!({ "id": post_id }),
        )
        .await;
    assert_eq!(data(&deleted)["deletePost"], true);
    assert_eq!(
        api.get_post(&post_id, Some(&author)).await.status,
        StatusCode::NOT_FOUND
    );

    let anonymous = api
        .graphql(
            None,
            r#"mutation { createPost(content: "who am I") { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&anonymous), "unauthorized");
}

async fn graphql_refuses_what_rest_refuses(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("ga").await;
    let stranger = api.user("ga").await;
    let public = id_of(&api.new_post(&author, "open", "public").await);
    let hidden = id_of(&api.new_post(&author, "closed", "followers").await);

    let edit = api
        .graphql(
            Some(&stranger),
            r#"mutation($id: ID!) { editPost(id: $id, content: "mine") { id } }"#,
            json!({ "id": public }),
        )
        .await;
    assert_eq!(error_code(&edit), "forbidden");
    let edit_hidden = api
        .graphql(
            Some(&stranger),
            r#"mutation($id: ID!) { editPost(id: $id, content: "mine") { id } }"#,
            json!({ "id": hidden }),
        )
        .await;
    assert_eq!(error_code(&edit_hidden), "not_found");
    let comment = api
        .graphql(
            Some(&stranger),
            r#"mutation($id: ID!) { addComment(postId: $id, content: "hi") { id } }"#,
            json!({ "id": hidden }),
        )
        .await;
    assert_eq!(error_code(&comment), "not_found");
    let react = api
        .graphql(
            Some(&stranger),
            r#"mutation($id: ID!) { react(postId: $id, kind: "thumbs") { mine } }"#,
            json!({ "id": public }),
        )
        .await;
    assert_eq!(error_code(&react), "validation_failed");
    assert_eq!(
        react.body["errors"][0]["extensions"]["status"], 400,
        "{}",
        react.body
    );
    let myself = api
        .graphql(
            Some(&author),
            "mutation($id: ID!) { follow(userId: $id) }",
            json!({ "id": author.id }),
        )
        .await;
    assert_eq!(error_code(&myself), "validation_failed");

    let timeline = api
        .graphql(
            Some(&stranger),
            "query($id: ID!) { userPosts(userId: $id) { nodes { id } } }",
            json!({ "id": author.id }),
        )
        .await;
    assert_eq!(
        data(&timeline)["userPosts"]["nodes"],
        json!([{ "id": public }])
    );
    assert_eq!(
        api.get_post(&public, None).await.body["content"],
        "open",
        "nothing was changed"
    );
}

async fn a_fifty_levels_deep_query_is_a_400(app: &Chorus) {
    let api = Api::new(&app.base);
    let reader = api.user("gd").await;
    let post = id_of(&api.new_post(&reader, "deep", "public").await);
    let deep = format!(
        "query($id: ID!) {{ post(id: $id) {{ {} id {} }} }}",
        "repostOf { ".repeat(49),
        "}".repeat(49)
    );
    let answer = api
        .graphql(Some(&reader), &deep, json!({ "id": post }))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let message = answer.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("a GraphQL error: {}", answer.body))
        .to_lowercase();
    assert!(
        message.contains("depth"),
        "says the depth limit was hit: {message}"
    );

    let unparseable = api.graphql(Some(&reader), "{ post(id: ", json!({})).await;
    assert_eq!(
        unparseable.status,
        StatusCode::BAD_REQUEST,
        "{}",
        unparseable.body
    );
    let huge = format!("{{ viewer {{ id }} }} #{}", "x".repeat(25 * 1024));
    let oversize = api.graphql(Some(&reader), &huge, json!({})).await;
    assert!(
        oversize.status == StatusCode::BAD_REQUEST
            || oversize.status == StatusCode::PAYLOAD_TOO_LARGE,
        "a 25 KB query: {} {}",
        oversize.status,
        oversize.body
    );

    // A reasonable query still works.
    let fine = api
        .graphql(Some(&reader), "{ viewer { id } }", json!({}))
        .await;
    assert_eq!(data(&fine)["viewer"]["id"], reader.id.as_str());
}

async fn reposts_user_posts_and_comments_resolve_as_nested_fields(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("gn").await;
    let reader = api.user("gn").await;
    let original = id_of(&api.new_post(&author, "the original", "public").await);
    let first_comment = id_of(&api.new_comment(&reader, &original, "one", None).await);
    let second_comment = id_of(&api.new_comment(&author, &original, "two", None).await);
    let repost = api
        .create_post(
            &reader,
            &json!({ "content": "look", "repost_of": original }),
        )
        .await;
    assert_eq!(repost.status, StatusCode::CREATED, "{}", repost.body);

    let query = r#"
      query($repost: ID!, $author: ID!, $after: String) {
        post(id: $repost) {
          author { username }
          repostOf { id content repostCount author { username } }
        }
        user(id: $author) {
          posts(first: 1) { nodes { id } pageInfo { hasNextPage } }
        }
        original: post(id: $repost) {
          repostOf {
            comments(first: 1, after: $after) {
              edges { cursor node { id content author { id } } }
              pageInfo { hasNextPage endCursor }
            }
          }
        }
      }"#;
    let mut variables =
        json!({ "repost": id_of(&repost.body), "author": author.id, "after": null });
    let answer = api.graphql(Some(&reader), query, variables.clone()).await;
    let read = data(&answer);
    assert_eq!(read["post"]["author"]["username"], reader.username.as_str());
    let original_post = &read["post"]["repostOf"];
    assert_eq!(original_post["id"], original.as_str());
    assert_eq!(original_post["content"], "the original");
    assert_eq!(original_post["repostCount"], 1);
    assert_eq!(
        original_post["author"]["username"],
        author.username.as_str()
    );
    assert_eq!(read["user"]["posts"]["nodes"], json!([{ "id": original }]));
    assert_eq!(read["user"]["posts"]["pageInfo"]["hasNextPage"], false);

    let comments = &read["original"]["repostOf"]["comments"];
    assert_eq!(comments["edges"][0]["node"]["id"], first_comment.as_str());
    assert_eq!(
        comments["edges"][0]["node"]["author"]["id"],
        reader.id.as_str()
    );
    assert_eq!(comments["pageInfo"]["hasNextPage"], true);
    variables["after"] = comments["pageInfo"]["endCursor"].clone();
    let next = api.graphql(Some(&reader), query, variables).await;
    let comments = &data(&next)["original"]["repostOf"]["comments"];
    assert_eq!(comments["edges"][0]["node"]["id"], second_comment.as_str());
    assert_eq!(comments["pageInfo"]["hasNextPage"], false);
}

async fn too_complex_queries_and_bad_page_sizes_are_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    let reader = api.user("gc").await;

    let introspection = api
        .graphql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        data(&introspection)["__schema"]["queryType"]["name"].is_string(),
        "introspection is allowed"
    );

    // 600 aliases of a 2-field selection: a complexity of 1,200, in 13 KB.
    let fields: String = (0..600)
        .map(|n| format!("v{n}: viewer {{ id }} "))
        .collect();
    let complex = api
        .graphql(Some(&reader), &format!("{{ {fields} }}"), json!({}))
        .await;
    assert_eq!(complex.status, StatusCode::BAD_REQUEST, "{}", complex.body);
    assert!(
        complex.body["errors"][0]["message"].is_string(),
        "a GraphQL error: {}",
        complex.body
    );

    for first in [0, 101, -1] {
        let answer = api
            .graphql(
                Some(&reader),
                "query($id: ID!, $first: Int) { userPosts(userId: $id, first: $first) { nodes { id } } }",
                json!({ "id": reader.id, "first": first }),
            )
            .await;
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::BAD_REQUEST,
            "first: {first}: {} {}",
            answer.status,
            answer.body
        );
        assert!(
            answer.body["errors"][0]["message"].is_string(),
            "first: {first} is refused: {}",
            answer.body
        );
    }
    let tampered = api
        .graphql(
            Some(&reader),
            "query($id: ID!) { userPosts(userId: $id, after: \"garbage\") { nodes { id } } }",
            json!({ "id": reader.id }),
        )
        .await;
    assert_eq!(error_code(&tampered), "validation_failed");
}
