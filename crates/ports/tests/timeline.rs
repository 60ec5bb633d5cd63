//! The timelines contract, written once and run on every adapter: in process,
//! and Redis when one is reachable (always in CI).

use std::sync::Arc;
use std::time::Duration;

use chorus_core::Id;
use chorus_ports::Timelines;
use chorus_ports::timeline::{MemoryTimelines, RedisTimelines};
use chorus_testkit::unique_namespace;
use futures::{StreamExt, TryStreamExt};

/// The longest any one adapter's run may take before the test fails.
const SUITE_TIMEOUT: Duration = Duration::from_secs(60);
/// The cap every adapter under test is built with.
const CAP: usize = 25;
/// Above 2^53, where an f64 score could no longer tell neighbours apart.
const BIG: i64 = (1 << 60) + 7;

fn ids(values: impl IntoIterator<Item = i64>) -> Vec<Id> {
    values.into_iter().map(Id).collect()
}

/// `ids` newest first, as `range` answers.
fn newest_first(values: impl IntoIterator<Item = i64>) -> Vec<Id> {
    let mut ids = ids(values);
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

async fn all(timelines: &Arc<dyn Timelines>, user: Id) -> Option<Vec<Id>> {
    timelines
        .range(user, None, usize::MAX)
        .await
        .expect("range")
}

/// Every check, in order, each on users of its own. `neighbour` is a second
/// store on the same backend under another namespace.
async fn timelines_conformance(timelines: Arc<dyn Timelines>, neighbour: Arc<dyn Timelines>) {
    let checks = async {
        ping_answers_and_cap_is_kept(&timelines).await;
        an_absent_timeline_differs_from_an_empty_one(&timelines).await;
        replace_keeps_the_newest_cap_without_duplicates(&timelines).await;
        push_skips_absent_timelines(&timelines).await;
        push_is_idempotent(&timelines).await;
        push_and_add_trim_to_the_cap(&timelines).await;
        range_pages_exactly_at_its_boundaries(&timelines).await;
        remove_takes_posts_out_and_leaves_absent_timelines_absent(&timelines).await;
        a_dropped_timeline_is_absent(&timelines).await;
        concurrent_pushes_from_twenty_tasks_all_land(&timelines).await;
        a_fan_out_to_thousands_reaches_every_materialized_timeline(&timelines).await;
        two_namespaces_do_not_see_each_others_timelines(&timelines, &neighbour).await;
    };
    tokio::time::timeout(SUITE_TIMEOUT, checks)
        .await
        .expect("the timelines suite finishes in time");
}

async fn ping_answers_and_cap_is_kept(timelines: &Arc<dyn Timelines>) {
    timelines.ping().await.expect("ping");
    assert_eq!(timelines.cap(), CAP);
}

async fn an_absent_timeline_differs_from_an_empty_one(timelines: &Arc<dyn Timelines>) {
    let user = Id(100);
    assert_eq!(all(timelines, user).await, None);
    assert_eq!(timelines.len(user).await.expect("len"), None);

    timelines.replace(user, &[]).await.expect("replace");
    assert_eq!(all(timelines, user).await, Some(vec![]));
    assert_eq!(timelines.len(user).await.expect("len"), Some(0));
    assert_eq!(
        timelines.range(user, Some(Id(5)), 10).await.expect("range"),
        Some(vec![])
    );
    timelines.drop_timeline(user).await.expect("drop");
}

async fn replace_keeps_the_newest_cap_without_duplicates(timelines: &Arc<dyn Timelines>) {
    let user = Id(200);
    // 40 ids out of order, each twice.
    let mut posts: Vec<Id> = ids((1..=40).rev().chain(1..=40));
    posts.rotate_left(13);
    timelines.replace(user, &posts).await.expect("replace");
    assert_eq!(all(timelines, user).await, Some(newest_first(16..=40)));
    assert_eq!(timelines.len(user).await.expect("len"), Some(CAP));

    // A second replace forgets the first entirely.
    timelines
        .replace(user, &ids([3, 1, 2]))
        .await
        .expect("replace");
    assert_eq!(all(timelines, user).await, Some(newest_first([1, 2, 3])));
    timelines.drop_timeline(user).await.expect("drop");
}

async fn push_skips_absent_timelines(timelines: &Arc<dyn Timelines>) {
    let (built, absent) = (Id(300), Id(301));
    timelines.replace(built, &ids([10])).await.expect("replace");
    timelines
        .push(&[absent, built], Id(11))
        .await
        .expect("push");
    assert_eq!(all(timelines, built).await, Some(newest_first([10, 11])));
    assert_eq!(
        all(timelines, absent).await,
        None,
        "not materialized by a push"
    );
    timelines
        .add(absent, &ids([12]))
        .await
        .expect("add to an absent timeline");
    assert_eq!(
        all(timelines, absent).await,
        None,
        "not materialized by an add"
    );
    timelines.push(&[], Id(13)).await.expect("push to nobody");
    timelines.drop_timeline(built).await.expect("drop");
}

async fn push_is_idempotent(timelines: &Arc<dyn Timelines>) {
    let user = Id(400);
    timelines
        .replace(user, &ids([1, 2]))
        .await
        .expect("replace");
    for _ in 0..3 {
        timelines.push(&[user, user], Id(5)).await.expect("push");
    }
    timelines.push(&[user], Id(2)).await.expect("push");
    timelines.add(user, &ids([5, 5, 1])).await.expect("add");
    assert_eq!(all(timelines, user).await, Some(newest_first([1, 2, 5])));
    assert_eq!(timelines.len(user).await.expect("len"), Some(3));
    timelines.drop_timeline(user).await.expect("drop");
}

async fn push_and_add_trim_to_the_cap(timelines: &Arc<dyn Timelines>) {
    let user = Id(500);
    let full = 100..100 + CAP as i64;
    timelines
        .replace(user, &ids(full.clone()))
        .await
        .expect("replace");

    timelines.push(&[user], Id(1000)).await.expect("push newer");
    assert_eq!(timelines.len(user).await.expect("len"), Some(CAP));
    assert_eq!(
        all(timelines, user).await,
        Some(newest_first((101..100 + CAP as i64).chain([1000]))),
        "the oldest made room"
    );

    timelines.push(&[user], Id(50)).await.expect("push older");
    assert_eq!(
        all(timelines, user).await.expect("built").last(),
        Some(&Id(101)),
        "a post older than every kept one is trimmed at once"
    );

    // An add of more than the cap keeps the newest of old and new together.
    let batch: Vec<Id> = ids((2000..2000 + CAP as i64 + 10).rev());
    timelines.add(user, &batch).await.expect("add");
    assert_eq!(
        all(timelines, user).await,
        Some(newest_first(2010..2010 + CAP as i64))
    );

    // An add that interleaves with what is kept.
    timelines
        .replace(user, &ids([10, 20, 30]))
        .await
        .expect("replace");
    timelines.add(user, &ids([25, 5, 15])).await.expect("add");
    assert_eq!(
        all(timelines, user).await,
        Some(newest_first([5, 10, 15, 20, 25, 30]))
    );
    timelines.drop_timeline(user).await.expect("drop");
}

async fn range_pages_exactly_at_its_boundaries(timelines: &Arc<dyn Timelines>) {
    let user = Id(600);
    // Neighbours above 2^53 that differ only in their lowest bits, and the
    // largest id there is.
    let posts = ids([BIG, BIG + 1, BIG + 2, BIG + 3, BIG + 4, i64::MAX, 1, 2]);
    timelines.replace(user, &posts).await.expect("replace");
    let range = |before: Option<i64>, limit: usize| {
        let timelines = timelines.clone();
        async move {
            timelines
                .range(user, before.map(Id), limit)
                .await
                .expect("range")
                .expect("materialized")
        }
    };

    assert_eq!(range(None, 3).await, ids([i64::MAX, BIG + 4, BIG + 3]));
    assert_eq!(
        range(Some(BIG + 3), 2).await,
        ids([BIG + 2, BIG + 1]),
        "strictly older than the cursor"
    );
    assert_eq!(range(Some(BIG + 1), 10).await, ids([BIG, 2, 1]));
    assert_eq!(range(Some(BIG), 1).await, ids([2]));
    assert_eq!(range(Some(i64::MAX), 1).await, ids([BIG + 4]));
    assert_eq!(range(Some(1), 10).await, ids([]));
    assert_eq!(range(Some(0), 10).await, ids([]));
    assert_eq!(range(None, 0).await, ids([]));
    assert_eq!(
        range(Some(BIG + 2), usize::MAX).await,
        ids([BIG + 1, BIG, 2, 1])
    );

    // Paging with the last id as the next cursor visits every post once.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = range(cursor, 3).await;
        let Some(last) = page.last() else { break };
        cursor = Some(last.0);
        seen.extend(page);
    }
    assert_eq!(
        seen,
        newest_first(posts.iter().map(|p| p.0)),
        "pages cover the timeline"
    );
    timelines.drop_timeline(user).await.expect("drop");
}

async fn remove_takes_posts_out_and_leaves_absent_timelines_absent(timelines: &Arc<dyn Timelines>) {
    let (one, two, absent) = (Id(700), Id(701), Id(702));
    timelines
        .replace(one, &ids([1, 2, 3]))
        .await
        .expect("replace");
    timelines.replace(two, &ids([2, 3])).await.expect("replace");
    timelines
        .remove(&[one, two, absent], &ids([2, 3, 99]))
        .await
        .expect("remove");
    assert_eq!(all(timelines, one).await, Some(ids([1])));
    assert_eq!(
        all(timelines, two).await,
        Some(vec![]),
        "emptied, still materialized"
    );
    assert_eq!(all(timelines, absent).await, None);
    timelines.remove(&[one], &[]).await.expect("remove nothing");
    assert_eq!(all(timelines, one).await, Some(ids([1])));
    for user in [one, two] {
        timelines.drop_timeline(user).await.expect("drop");
    }
}

async fn a_dropped_timeline_is_absent(timelines: &Arc<dyn Timelines>) {
    let user = Id(800);
    timelines
        .replace(user, &ids([1, 2]))
        .await
        .expect("replace");
    timelines.drop_timeline(user).await.expect("drop");
    assert_eq!(all(timelines, user).await, None);
    assert_eq!(timelines.len(user).await.expect("len"), None);
    timelines.push(&[user], Id(3)).await.expect("push");
    assert_eq!(
        all(timelines, user).await,
        None,
        "a push does not revive it"
    );
    timelines
        .drop_timeline(user)
        .await
        .expect("dropping an absent timeline is no error");
}

async fn concurrent_pushes_from_twenty_tasks_all_land(timelines: &Arc<dyn Timelines>) {
    let users: Vec<Id> = ids(900..950);
    for &user in &users {
        timelines.replace(user, &[]).await.expect("replace");
    }
    let pushes = (0..20).map(|task| {
        let (timelines, users) = (timelines.clone(), users.clone());
        tokio::spawn(async move { timelines.push(&users, Id(BIG + task)).await })
    });
    for result in futures::future::join_all(pushes).await {
        result.expect("task ran").expect("push");
    }
    for &user in &users {
        assert_eq!(
            all(timelines, user).await,
            Some(newest_first(BIG..BIG + 20)),
            "every push reached {user}"
        );
    }
    for &user in &users {
        timelines.drop_timeline(user).await.expect("drop");
    }
}

async fn a_fan_out_to_thousands_reaches_every_materialized_timeline(
    timelines: &Arc<dyn Timelines>,
) {
    // More users than one pipelined round trip takes; every other one built.
    let users: Vec<Id> = ids(10_000..12_500);
    let built: Vec<Id> = users.iter().copied().step_by(2).collect();
    futures::stream::iter(built.clone())
        .map(|user| async move { timelines.replace(user, &ids([1])).await })
        .buffer_unordered(16)
        .try_collect::<()>()
        .await
        .expect("replace");
    timelines.push(&users, Id(BIG)).await.expect("fan-out");
    for (i, &user) in users.iter().enumerate() {
        let expected = (i % 2 == 0).then(|| ids([BIG, 1]));
        assert_eq!(all(timelines, user).await, expected, "{user}");
    }
    timelines
        .remove(&users, &ids([BIG]))
        .await
        .expect("fan-out removal");
    assert_eq!(all(timelines, built[0]).await, Some(ids([1])));
    assert_eq!(all(timelines, users[1]).await, None);
    futures::stream::iter(built)
        .map(|user| async move { timelines.drop_timeline(user).await })
        .buffer_unordered(16)
        .try_collect::<()>()
        .await
        .expect("drop");
}

async fn two_namespaces_do_not_see_each_others_timelines(
    timelines: &Arc<dyn Timelines>,
    neighbour: &Arc<dyn Timelines>,
) {
    let user = Id(1_100);
    timelines.replace(user, &ids([1])).await.expect("replace");
    assert_eq!(all(neighbour, user).await, None);

    neighbour.replace(user, &ids([7])).await.expect("replace");
    neighbour.push(&[user], Id(8)).await.expect("push");
    assert_eq!(all(timelines, user).await, Some(ids([1])));

    timelines.push(&[user], Id(2)).await.expect("push");
    neighbour.drop_timeline(user).await.expect("drop");
    assert_eq!(all(timelines, user).await, Some(ids([2, 1])));
    timelines.drop_timeline(user).await.expect("drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timelines_contract_holds_in_process() {
    chorus_testkit::init_test_logs();
    timelines_conformance(
        Arc::new(MemoryTimelines::new(CAP)),
        Arc::new(MemoryTimelines::new(CAP)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timelines_contract_holds_on_redis() {
    chorus_testkit::init_test_logs();
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let timelines = RedisTimelines::connect(&url, &unique_namespace("timeline"), CAP)
        .await
        .expect("connect to Redis");
    let neighbour = RedisTimelines::connect(&url, &unique_namespace("timeline"), CAP)
        .await
        .expect("connect to Redis");
    timelines_conformance(Arc::new(timelines), Arc::new(neighbour)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_timelines_reload_their_scripts_after_a_script_flush() {
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let timelines = RedisTimelines::connect(&url, &unique_namespace("timeline"), CAP)
        .await
        .expect("connect to Redis");
    let user = Id(1);
    timelines.replace(user, &ids([1])).await.expect("replace");
    flush_scripts(&url).await;
    timelines.push(&[user], Id(2)).await.expect("push reloads");
    assert_eq!(
        timelines.range(user, None, 10).await.expect("range"),
        Some(ids([2, 1]))
    );
    timelines.drop_timeline(user).await.expect("drop");
}

/// SCRIPT FLUSH, as a Redis restart would.
async fn flush_scripts(url: &str) {
    use fred::prelude::*;
    let client = Builder::from_config(Config::from_url(url).expect("a Redis URL"))
        .build()
        .expect("a client");
    client.init().await.expect("connect");
    client.script_flush(false).await.expect("SCRIPT FLUSH");
    client.quit().await.expect("quit");
}
