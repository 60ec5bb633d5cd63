//! Reactions: `like` and emoji kinds, idempotent PUT and DELETE answering
//! `{counts, mine}`, shown on the post and listed by who reacted.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{Answer, Api};
use crate::harness::Chorus;
use crate::social::{assert_error, id_of, items};

crate::in_both_modes!(
    reacting_is_idempotent_and_answers_counts_and_mine,
    every_kind_is_accepted_and_listed_with_who_reacted,
);

/// The count of `kind` in a `{counts, mine}` answer (absent is zero).
fn count(answer: &Answer, kind: &str) -> i64 {
    answer.body["counts"][kind].as_i64().unwrap_or(0)
}

fn mine(answer: &Answer) -> Vec<String> {
    let mut kinds: Vec<String> = answer.body["mine"]
        .as_array()
        .unwrap_or_else(|| panic!("mine is a list: {}", answer.body))
        .iter()
        .map(|k| k.as_str().expect("kind").to_string())
        .collect();
    kinds.sort();
    kinds
}

fn summary(answer: &Answer, likes: i64, fires: i64, my_kinds: &[&str]) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body["counts"].is_object(), "{}", answer.body);
    assert_eq!(count(answer, "like"), likes, "{}", answer.body);
    assert_eq!(count(answer, "fire"), fires, "{}", answer.body);
    assert_eq!(mine(answer), my_kinds, "{}", answer.body);
}

async fn reacting_is_idempotent_and_answers_counts_and_mine(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("re").await;
    let ana = api.user("re").await;
    let bo = api.user("re").await;
    let post = id_of(&api.new_post(&author, "react to me", "public").await);

    summary(&api.react(&ana, &post, "like").await, 1, 0, &["like"]);
    summary(&api.react(&ana, &post, "like").await, 1, 0, &["like"]);
    summary(
        &api.react(&ana, &post, "fire").await,
        1,
        1,
        &["fire", "like"],
    );
    summary(&api.react(&bo, &post, "like").await, 2, 1, &["like"]);

    let seen_by_ana = api.get_post(&post, Some(&ana)).await.body;
    assert_eq!(
        seen_by_ana["reaction_counts"],
        json!({ "like": 2, "fire": 1 })
    );
    let mut my_reactions: Vec<Value> = seen_by_ana["my_reactions"]
        .as_array()
        .expect("my_reactions")
        .clone();
    my_reactions.sort_by_key(|k| k.as_str().map(String::from));
    assert_eq!(my_reactions, [json!("fire"), json!("like")]);
    // A page of posts shows the same as one post.
    let timeline = items(
        &api.get(&format!("/api/v1/users/{}/posts", author.id), ana.token())
            .await,
    );
    assert_eq!(timeline.len(), 1);
    assert_eq!(
        timeline[0]["reaction_counts"],
        seen_by_ana["reaction_counts"]
    );
    let mut listed_mine = timeline[0]["my_reactions"]
        .as_array()
        .expect("my_reactions")
        .clone();
    listed_mine.sort_by_key(|k| k.as_str().map(String::from));
    assert_eq!(listed_mine, my_reactions);
    let anonymous = api.get_post(&post, None).await.body;
    assert_eq!(anonymous["my_reactions"], json!([]));
    assert_eq!(
        anonymous["reaction_counts"],
        json!({ "like": 2, "fire": 1 })
    );

    summary(&api.unreact(&ana, &post, "like").await, 1, 1, &["fire"]);
    summary(&api.unreact(&ana, &post, "like").await, 1, 1, &["fire"]);
    summary(&api.unreact(&ana, &post, "wow").await, 1, 1, &["fire"]);
    summary(&api.unreact(&bo, &post, "like").await, 0, 1, &[]);
    assert_eq!(
        api.get_post(&post, None).await.body["reaction_counts"],
        json!({ "fire": 1 }),
        "only kinds with reactions are shown"
    );

    let unauthenticated = api
        .put(&format!("/api/v1/posts/{post}/reactions/like"), None, None)
        .await;
    assert_error(
        &unauthenticated,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "an anonymous reaction",
    );
}

async fn every_kind_is_accepted_and_listed_with_who_reacted(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("rk").await;
    let ana = api.user("rk").await;
    let post = id_of(&api.new_post(&author, "all of them", "public").await);
    let kinds = [
        "like", "love", "haha", "wow", "sad", "angry", "fire", "clap",
    ];
    for kind in kinds {
        let answer = api.react(&ana, &post, kind).await;
        assert_eq!(answer.status, StatusCode::OK, "{kind}: {}", answer.body);
        assert_eq!(count(&answer, kind), 1, "{kind}: {}", answer.body);
    }
    let last = api.react(&author, &post, "clap").await;
    assert_eq!(mine(&last), ["clap"]);
    assert_eq!(count(&last, "clap"), 2);

    let listed = items(
        &api.get(&format!("/api/v1/posts/{post}/reactions"), None)
            .await,
    );
    assert_eq!(listed.len(), kinds.len() + 1, "{listed:?}");
    for reaction in &listed {
        assert!(reaction["user"]["username"].is_string(), "{reaction}");
        assert!(kinds.contains(&reaction["kind"].as_str().expect("kind")));
        assert!(reaction["created_at"].is_string(), "{reaction}");
    }
    let by_author: Vec<&Value> = listed
        .iter()
        .filter(|r| r["user"]["id"] == author.id.as_str())
        .collect();
    assert_eq!(by_author.len(), 1);
    assert_eq!(by_author[0]["kind"], "clap");
}
