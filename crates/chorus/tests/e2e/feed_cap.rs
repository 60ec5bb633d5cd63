//! Timelines keep `feed.timeline_cap` posts (20 here, the least allowed);
//! the feed goes on past them from storage, page by page, with nothing
//! missing or repeated, also once unfollows and deletions have taken posts
//! out of a full timeline.

use reqwest::StatusCode;

use crate::client::Api;
use crate::feed::{feed_becomes, feed_contents, newest_first, post, walk_while_posting};
use crate::harness::{Chorus, run_to_end, temp_dir};
use crate::social::{User, id_of, items};

pub const CAPPED: &[(&str, &str)] = &[("CHORUS_FEED__TIMELINE_CAP", "20")];

crate::in_both_modes_with!(
    CAPPED;
    pages_past_the_cap_come_from_storage,
    a_full_timeline_that_loses_posts_still_reaches_the_older_ones,
);

/// The feed settings the tests of this file and `feed_graph` set through
/// the environment are the ones a deployment runs with.
#[tokio::test]
async fn feed_settings_come_from_the_environment() {
    let output = run_to_end(
        &temp_dir("feedenv"),
        &["config"],
        &[
            ("CHORUS_FEED__TIMELINE_CAP", "20"),
            ("CHORUS_FEED__CELEBRITY_THRESHOLD", "2"),
        ],
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains("timeline_cap = 20"), "{text}");
    assert!(text.contains("celebrity_threshold = 2"), "{text}");

    let refused = run_to_end(
        &temp_dir("feedenv"),
        &["config"],
        &[("CHORUS_FEED__TIMELINE_CAP", "5")],
    )
    .await;
    assert!(!refused.status.success(), "a cap under 20 is refused");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("feed.timeline_cap"), "{stderr}");
}

/// `count` posts, `"post 00"` on, by `authors` in turn: their contents in order.
async fn posts_in_turn(api: &Api, authors: &[&User], count: usize) -> Vec<String> {
    let mut created = Vec::new();
    for i in 0..count {
        let content = format!("post {i:02}");
        let visibility = if i % 5 == 0 { "followers" } else { "public" };
        post(api, authors[i % authors.len()], &content, visibility).await;
        created.push(content);
    }
    created
}

async fn pages_past_the_cap_come_from_storage(app: &Chorus) {
    let api = Api::new(&app.base);
    let early = api.user("cap").await;
    let late = api.user("cap").await;
    let ana = api.user("cap").await;
    let bo = api.user("cap").await;
    for reader in [&early, &late] {
        api.follows(reader, &ana, "following").await;
        api.follows(reader, &bo, "following").await;
    }
    // `early` has a timeline before the posts come (pushed, then trimmed);
    // `late` gets one only when reading after them (built from storage).
    feed_becomes(&api, &early, &[]).await;
    let created = posts_in_turn(&api, &[&ana, &bo], 34).await;
    let expected = newest_first(&created);
    feed_becomes(&api, &early, &expected).await;
    feed_becomes(&api, &late, &expected).await;

    for reader in [&early, &late] {
        for limit in [7, 19, 20, 21] {
            assert_eq!(
                feed_contents(&api, reader, "", limit).await,
                expected,
                "{} in pages of {limit}",
                reader.username
            );
        }
    }

    // New posts push older ones past the cap while a reader walks.
    let walk = walk_while_posting(&api, &early, "", 7, &[&ana, &bo]).await;
    assert_eq!(walk.contents(), expected);
    let mut now = newest_first(&walk.posted);
    now.extend(expected);
    for reader in [&early, &late] {
        feed_becomes(&api, reader, &now).await;
        assert_eq!(feed_contents(&api, reader, "", 7).await, now);
    }
}

async fn a_full_timeline_that_loses_posts_still_reaches_the_older_ones(app: &Chorus) {
    let api = Api::new(&app.base);
    let reader = api.user("cpl").await;
    let ana = api.user("cpl").await;
    let bo = api.user("cpl").await;
    api.follows(&reader, &ana, "following").await;
    api.follows(&reader, &bo, "following").await;
    feed_becomes(&api, &reader, &[]).await;
    let created = posts_in_turn(&api, &[&ana, &bo], 30).await;
    feed_becomes(&api, &reader, &newest_first(&created)).await;

    // Half of the 20 newest leave the timeline with bo.
    let unfollowed = api.unfollow(&reader, &bo.id).await;
    assert_eq!(
        unfollowed.status,
        StatusCode::NO_CONTENT,
        "{}",
        unfollowed.body
    );
    let anas: Vec<String> = created.iter().step_by(2).cloned().collect();
    feed_becomes(&api, &reader, &newest_first(&anas)).await;

    // And ana's newest goes.
    let newest = api
        .get(
            &format!("/api/v1/users/{}/posts?limit=1", ana.id),
            ana.token(),
        )
        .await;
    let newest_id = id_of(&items(&newest)[0]);
    let deleted = api
        .delete(&format!("/api/v1/posts/{newest_id}"), ana.token())
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let left = &anas[..anas.len() - 1];
    feed_becomes(&api, &reader, &newest_first(left)).await;
    assert_eq!(
        feed_contents(&api, &reader, "", 4).await,
        newest_first(left),
        "in pages of 4"
    );
}
