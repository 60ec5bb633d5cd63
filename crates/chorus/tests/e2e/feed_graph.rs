//! Hybrid fan-out: with `feed.celebrity_threshold` at 2, an account with
//! three followers is a "celebrity" whose posts are not pushed to its
//! followers but merged into their feeds at read. Followers see them in
//! place among their other followees' posts, as far as visibility, follows
//! and blocks allow, whichever way a post reached them, past the timeline
//! cap (20 here) too.

use reqwest::StatusCode;

use crate::client::Api;
use crate::feed::{feed_becomes, feed_contents, newest_first, post, strings};
use crate::harness::Chorus;
use crate::social::User;

pub const HYBRID: &[(&str, &str)] = &[
    ("CHORUS_FEED__CELEBRITY_THRESHOLD", "2"),
    ("CHORUS_FEED__TIMELINE_CAP", "20"),
];

crate::in_both_modes_with!(
    HYBRID;
    a_celebritys_posts_are_merged_into_each_followers_feed_in_place,
    a_fan_who_blocks_a_celebrity_stops_seeing_its_posts,
    a_celebritys_posts_past_the_cap_page_in_with_the_rest,
);

/// `star` posts a first post and `fans` follow it; returns once each fan's
/// feed shows that post (back-filled by the follow), so that the feed knows
/// every follow before the test goes on.
async fn famous(api: &Api, star: &User, fans: &[User]) -> String {
    let first = "star 0".to_string();
    post(api, star, &first, "public").await;
    for fan in fans {
        api.follows(fan, star, "following").await;
    }
    for fan in fans {
        feed_becomes(api, fan, std::slice::from_ref(&first)).await;
    }
    first
}

async fn a_celebritys_posts_are_merged_into_each_followers_feed_in_place(app: &Chorus) {
    let api = Api::new(&app.base);
    let star = api.user("cel").await;
    let plain = api.user("cel").await;
    let fans = api.users("cel", 3).await;
    famous(&api, &star, &fans).await;
    // An ordinary account (two followers: fanned out on write).
    api.follows(&fans[0], &plain, "following").await;
    api.follows(&fans[1], &plain, "following").await;

    let writes: [(&User, &str, &str); 7] = [
        (&star, "star 1", "public"),
        (&plain, "plain 1", "public"),
        (&star, "star 2", "followers"),
        (&plain, "plain 2", "followers"),
        (&star, "star 3", "private"),
        (&star, "star 4", "public"),
        (&plain, "plain 3", "public"),
    ];
    for (author, content, visibility) in writes {
        post(&api, author, content, visibility).await;
    }

    let both = strings(&[
        "plain 3", "star 4", "plain 2", "star 2", "plain 1", "star 1", "star 0",
    ]);
    feed_becomes(&api, &fans[0], &both).await;
    feed_becomes(&api, &fans[1], &both).await;
    let star_only = strings(&["star 4", "star 2", "star 1", "star 0"]);
    feed_becomes(&api, &fans[2], &star_only).await;
    feed_becomes(
        &api,
        &star,
        &strings(&["star 4", "star 3", "star 2", "star 1", "star 0"]),
    )
    .await;
    // Page by page too, the two sources interleave by time.
    for limit in [1, 2, 3] {
        assert_eq!(
            feed_contents(&api, &fans[0], "", limit).await,
            both,
            "pages of {limit}"
        );
    }

    // One fan leaves: the star's posts leave that fan's feed, and only theirs.
    let unfollowed = api.unfollow(&fans[2], &star.id).await;
    assert_eq!(
        unfollowed.status,
        StatusCode::NO_CONTENT,
        "{}",
        unfollowed.body
    );
    feed_becomes(&api, &fans[2], &[]).await;
    // The star now has two followers, under the threshold again: what it
    // posted as a celebrity stays in its remaining followers' feeds.
    feed_becomes(&api, &fans[0], &both).await;
    feed_becomes(&api, &fans[1], &both).await;
    post(&api, &star, "star 5", "public").await;
    let mut now = strings(&["star 5"]);
    now.extend(both);
    feed_becomes(&api, &fans[0], &now).await;
    feed_becomes(&api, &fans[1], &now).await;
    feed_becomes(&api, &fans[2], &[]).await;
}

async fn a_fan_who_blocks_a_celebrity_stops_seeing_its_posts(app: &Chorus) {
    let api = Api::new(&app.base);
    let star = api.user("cbl").await;
    // Four fans: after one leaves, the star is still past the threshold.
    let fans = api.users("cbl", 4).await;
    famous(&api, &star, &fans).await;
    post(&api, &star, "star 1", "public").await;
    post(&api, &star, "star 2", "followers").await;
    let all = strings(&["star 2", "star 1", "star 0"]);
    for fan in &fans {
        feed_becomes(&api, fan, &all).await;
    }

    let blocked = api.block(&fans[0], &star.id).await;
    assert_eq!(blocked.status, StatusCode::NO_CONTENT, "{}", blocked.body);
    post(&api, &fans[0], "my own", "public").await;
    feed_becomes(&api, &fans[0], &strings(&["my own"])).await;
    for fan in &fans[1..] {
        feed_becomes(&api, fan, &all).await;
    }
    post(&api, &star, "star 3", "public").await;
    let mut now = strings(&["star 3"]);
    now.extend(all);
    for fan in &fans[1..] {
        feed_becomes(&api, fan, &now).await;
    }
    feed_becomes(&api, &fans[0], &strings(&["my own"])).await;
}

async fn a_celebritys_posts_past_the_cap_page_in_with_the_rest(app: &Chorus) {
    let api = Api::new(&app.base);
    let star = api.user("cpc").await;
    let plain = api.user("cpc").await;
    let fans = api.users("cpc", 3).await;
    let mut created = vec![famous(&api, &star, &fans).await];
    api.follows(&fans[0], &plain, "following").await;
    for i in 1..=36 {
        let (author, content) = if i % 3 == 0 {
            (&plain, format!("plain {i:02}"))
        } else {
            (&star, format!("star {i:02}"))
        };
        let visibility = if i % 4 == 0 { "followers" } else { "public" };
        post(&api, author, &content, visibility).await;
        created.push(content);
    }
    let expected = newest_first(&created);
    feed_becomes(&api, &fans[0], &expected).await;
    for limit in [1, 7, 20, 21] {
        assert_eq!(
            feed_contents(&api, &fans[0], "", limit).await,
            expected,
            "pages of {limit}"
        );
    }
    let stars: Vec<String> = expected
        .iter()
        .filter(|c| c.starts_with("star"))
        .cloned()
        .collect();
    feed_becomes(&api, &fans[1], &stars).await;
    assert_eq!(feed_contents(&api, &fans[1], "", 7).await, stars);
}
