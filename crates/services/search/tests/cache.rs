//! Cached results are retired by their terms, on the in-process cache and
//! on Redis (when reachable; mandatory under `CHORUS_REQUIRE_SERVERS=1`).

use std::sync::Arc;
use std::time::Duration;

use chorus_ports::Cache;
use chorus_ports::cache::{MemoryCache, RedisCache};
use chorus_search::app::ResultCache;
use chorus_testkit::unique_namespace;

async fn retires_by_term(cache: Arc<dyn Cache>) {
    let results = ResultCache::new(cache, Duration::from_secs(60));
    let terms = |list: &[&str]| list.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    let query = terms(&["kayak", "trip"]);

    let first = results.get::<Vec<i64>>("q:kayak trip", &query).await;
    assert_eq!(first.value, None);
    results
        .put("q:kayak trip", first.versions, &vec![1, 2])
        .await;
    let hit = results.get::<Vec<i64>>("q:kayak trip", &query).await;
    assert_eq!(hit.value, Some(vec![1, 2]));

    // A post about something else leaves it alone.
    results.bump(&terms(&["canoe"])).await.expect("bumped");
    let still = results.get::<Vec<i64>>("q:kayak trip", &query).await;
    assert_eq!(still.value, Some(vec![1, 2]));

    // A post with one of its terms retires it...
    results
        .bump(&terms(&["trip", "paris"]))
        .await
        .expect("bumped");
    let retired = results.get::<Vec<i64>>("q:kayak trip", &query).await;
    assert_eq!(retired.value, None);
    // ...unless the caller accepts a value that recent.
    let recent = results
        .get_recent::<Vec<i64>>("q:kayak trip", &query, Duration::from_secs(30))
        .await;
    assert_eq!(recent.value, Some(vec![1, 2]));

    // Stored again with the new versions, it counts again.
    results
        .put("q:kayak trip", retired.versions, &vec![3])
        .await;
    let fresh = results.get::<Vec<i64>>("q:kayak trip", &query).await;
    assert_eq!(fresh.value, Some(vec![3]));
}

#[tokio::test]
async fn memory_cache_retires_results_by_term() {
    retires_by_term(Arc::new(MemoryCache::new(&unique_namespace("search")))).await;
}

#[tokio::test]
async fn redis_cache_retires_results_by_term() {
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let cache = RedisCache::connect(&url, &unique_namespace("search"))
        .await
        .expect("Redis connects");
    retires_by_term(Arc::new(cache)).await;
}
