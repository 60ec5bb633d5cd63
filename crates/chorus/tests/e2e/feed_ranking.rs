//! `GET /api/v1/feed?ranking=top`: engagement (reactions, comments) lifts
//! a post above newer quiet ones; its cursor pages keep the window of the
//! first page.

use reqwest::StatusCode;
use serde_json::json;

use crate::client::Api;
use crate::feed::{
    feed_becomes, feed_contents, feed_posts, newest_first, post, strings, top_becomes,
    walk_while_posting,
};
use crate::harness::Chorus;

crate::in_both_modes!(
    engagement_ranks_an_older_post_above_a_newer_quiet_one,
    top_pages_keep_their_window_while_new_posts_arrive,
);

async fn engagement_ranks_an_older_post_above_a_newer_quiet_one(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("top").await;
    let fan = api.user("top").await;
    let passer_by = api.user("top").await;
    api.follows(&fan, &author, "following").await;
    let older = post(&api, &author, "older, engaged", "public").await;
    post(&api, &author, "newer, quiet", "public").await;
    for user in [&fan, &passer_by] {
        assert_eq!(api.react(user, &older, "like").await.status, StatusCode::OK);
    }
    api.new_comment(&fan, &older, "worth it", None).await;

    let by_time = strings(&["newer, quiet", "older, engaged"]);
    feed_becomes(&api, &fan, &by_time).await;
    let ranked = strings(&["older, engaged", "newer, quiet"]);
    top_becomes(&api, &fan, &ranked).await;
    top_becomes(&api, &author, &ranked).await;
    assert_eq!(
        feed_contents(&api, &fan, "ranking=latest", 100).await,
        by_time,
        "latest is the default"
    );

    let top = feed_posts(&api, &fan, "ranking=top", 100).await;
    assert_eq!(
        top[0]["reaction_counts"],
        json!({ "like": 2 }),
        "{}",
        top[0]
    );
    assert_eq!(top[0]["comment_count"], 1, "{}", top[0]);
    assert_eq!(top[0]["my_reactions"], json!(["like"]), "{}", top[0]);
}

async fn top_pages_keep_their_window_while_new_posts_arrive(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("tpg").await;
    let fan = api.user("tpg").await;
    api.follows(&fan, &author, "following").await;
    let mut ids = Vec::new();
    for i in 0..9 {
        ids.push(post(&api, &author, &format!("p{i}"), "public").await);
    }
    assert_eq!(
        api.react(&fan, &ids[2], "like").await.status,
        StatusCode::OK
    );
    api.new_comment(&fan, &ids[5], "the best", None).await;
    // A comment weighs two reactions; quiet posts rank newest first.
    let expected = strings(&["p5", "p2", "p8", "p7", "p6", "p4", "p3", "p1", "p0"]);
    top_becomes(&api, &fan, &expected).await;

    let walk = walk_while_posting(&api, &fan, "ranking=top", 2, &[&author]).await;
    assert_eq!(
        walk.contents(),
        expected,
        "the pages rank the first page's window, each post once"
    );
    let sizes: Vec<usize> = walk.pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 2, 2, 1]);

    // A new first page takes the new posts in.
    let mut now = strings(&["p5", "p2"]);
    now.extend(newest_first(&walk.posted));
    now.extend(strings(&["p8", "p7", "p6", "p4", "p3", "p1", "p0"]));
    top_becomes(&api, &fan, &now).await;
}
