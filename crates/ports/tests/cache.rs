//! The cache contract, written once and run on every adapter: in process
//! (moka), and Redis when one is reachable (always in CI).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chorus_ports::Cache;
use chorus_ports::cache::{MemoryCache, ReadThrough, RedisCache};
use chorus_testkit::unique_namespace;

/// The longest any one adapter's run may take before the test fails.
const SUITE_TIMEOUT: Duration = Duration::from_secs(30);
const MINUTE: Duration = Duration::from_secs(60);

/// Every check, in order. `neighbour` is a second cache on the same backend
/// under another namespace.
async fn cache_conformance(cache: Arc<dyn Cache>, neighbour: Arc<dyn Cache>) {
    let checks = async {
        ping_answers(&cache).await;
        a_missing_key_reads_as_none(&cache).await;
        a_value_set_reads_back_until_overwritten_or_deleted(&cache).await;
        values_are_bytes_kept_exactly(&cache).await;
        many_keys_read_back_in_one_call_in_their_order(&cache).await;
        a_value_expires_after_its_ttl(&cache).await;
        a_hundred_concurrent_increments_all_count(&cache).await;
        an_increment_keeps_the_expiry_of_an_existing_key(&cache).await;
        incrementing_a_value_that_is_no_number_fails(&cache).await;
        an_increment_past_the_largest_integer_fails(&cache).await;
        a_very_long_ttl_is_accepted(&cache).await;
        two_namespaces_do_not_see_each_others_keys(&cache, &neighbour).await;
        read_through_single_flight_works_over_this_cache(&cache).await;
        read_through_batches_work_over_this_cache(&cache).await;
    };
    tokio::time::timeout(SUITE_TIMEOUT, checks)
        .await
        .expect("the cache suite finishes in time");
}

async fn ping_answers(cache: &Arc<dyn Cache>) {
    cache.ping().await.expect("ping");
}

async fn a_missing_key_reads_as_none(cache: &Arc<dyn Cache>) {
    assert_eq!(cache.get("never-set").await.expect("get"), None);
}

async fn a_value_set_reads_back_until_overwritten_or_deleted(cache: &Arc<dyn Cache>) {
    cache
        .set("greeting", Bytes::from_static(b"hello"), MINUTE)
        .await
        .expect("set");
    assert_eq!(
        cache.get("greeting").await.expect("get"),
        Some(Bytes::from_static(b"hello"))
    );

    cache
        .set("greeting", Bytes::from_static(b"bonjour"), MINUTE)
        .await
        .expect("overwrite");
    assert_eq!(
        cache.get("greeting").await.expect("get"),
        Some(Bytes::from_static(b"bonjour"))
    );

    cache.delete("greeting").await.expect("delete");
    assert_eq!(cache.get("greeting").await.expect("get"), None);
    cache
        .delete("greeting")
        .await
        .expect("deleting a missing key is no error");
}

async fn values_are_bytes_kept_exactly(cache: &Arc<dyn Cache>) {
    let binary = Bytes::from_static(&[0, 159, 146, 150, 255, b':', b'\n']);
    cache
        .set("binary", binary.clone(), MINUTE)
        .await
        .expect("set");
    assert_eq!(cache.get("binary").await.expect("get"), Some(binary));

    cache.set("empty", Bytes::new(), MINUTE).await.expect("set");
    assert_eq!(
        cache.get("empty").await.expect("get"),
        Some(Bytes::new()),
        "an empty value is a value, not a miss"
    );
}

async fn many_keys_read_back_in_one_call_in_their_order(cache: &Arc<dyn Cache>) {
    let keys = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    cache
        .set("many-a", Bytes::from_static(b"a"), MINUTE)
        .await
        .expect("set");
    cache
        .set("many-c", Bytes::new(), MINUTE)
        .await
        .expect("set");

    assert_eq!(cache.get_many(&[]).await.expect("no keys"), vec![]);
    assert_eq!(
        cache.get_many(&keys(&["many-a"])).await.expect("one key"),
        vec![Some(Bytes::from_static(b"a"))]
    );
    assert_eq!(
        cache.get_many(&keys(&["many-b"])).await.expect("one key"),
        vec![None]
    );
    assert_eq!(
        cache
            .get_many(&keys(&["many-a", "many-b", "many-c", "many-a"]))
            .await
            .expect("several keys"),
        vec![
            Some(Bytes::from_static(b"a")),
            None,
            Some(Bytes::new()),
            Some(Bytes::from_static(b"a")),
        ]
    );
    let many: Vec<String> = (0..500).map(|i| format!("many-{i}")).collect();
    let values = cache.get_many(&many).await.expect("500 keys");
    assert_eq!(values.len(), 500);
    assert!(values.iter().all(Option::is_none));
}

async fn a_value_expires_after_its_ttl(cache: &Arc<dyn Cache>) {
    cache
        .set(
            "short-lived",
            Bytes::from_static(b"x"),
            Duration::from_millis(300),
        )
        .await
        .expect("set");
    assert!(cache.get("short-lived").await.expect("get").is_some());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(cache.get("short-lived").await.expect("get"), None);
}

async fn a_hundred_concurrent_increments_all_count(cache: &Arc<dyn Cache>) {
    let increments = (0..100).map(|_| {
        let cache = cache.clone();
        tokio::spawn(async move { cache.increment("hits", 1, MINUTE).await })
    });
    let mut seen = BTreeSet::new();
    for result in futures::future::join_all(increments).await {
        seen.insert(result.expect("task ran").expect("increment"));
    }
    assert_eq!(
        seen,
        (1..=100).collect::<BTreeSet<i64>>(),
        "each increment saw a distinct count"
    );
    assert_eq!(
        cache.increment("hits", -40, MINUTE).await.expect("add -40"),
        60
    );
    assert_eq!(
        cache.get("hits").await.expect("get"),
        Some(Bytes::from_static(b"60")),
        "a counter reads back as its decimal text"
    );
}

async fn an_increment_keeps_the_expiry_of_an_existing_key(cache: &Arc<dyn Cache>) {
    let ttl = Duration::from_millis(400);
    assert_eq!(cache.increment("window", 5, ttl).await.expect("create"), 5);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(cache.increment("window", 1, MINUTE).await.expect("add"), 6);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        cache.get("window").await.expect("get"),
        None,
        "the counter expired on its first TTL"
    );
    assert_eq!(
        cache.increment("window", 1, MINUTE).await.expect("restart"),
        1,
        "an expired counter starts again from zero"
    );

    // A value written by `set` keeps its TTL through increments too.
    cache
        .set("preset", Bytes::from_static(b"10"), ttl)
        .await
        .expect("set");
    assert_eq!(cache.increment("preset", 1, MINUTE).await.expect("add"), 11);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(cache.get("preset").await.expect("get"), None);
}

async fn incrementing_a_value_that_is_no_number_fails(cache: &Arc<dyn Cache>) {
    cache
        .set("word", Bytes::from_static(b"seven"), MINUTE)
        .await
        .expect("set");
    cache
        .increment("word", 1, MINUTE)
        .await
        .expect_err("not a number");
    assert_eq!(
        cache.get("word").await.expect("get"),
        Some(Bytes::from_static(b"seven")),
        "a failed increment changes nothing"
    );
}

async fn an_increment_past_the_largest_integer_fails(cache: &Arc<dyn Cache>) {
    let largest = Bytes::from(i64::MAX.to_string());
    cache
        .set("big", largest.clone(), MINUTE)
        .await
        .expect("set");
    cache
        .increment("big", 1, MINUTE)
        .await
        .expect_err("an overflow is refused");
    assert_eq!(cache.get("big").await.expect("get"), Some(largest));
}

async fn a_very_long_ttl_is_accepted(cache: &Arc<dyn Cache>) {
    cache
        .set("forever", Bytes::from_static(b"1"), Duration::MAX)
        .await
        .expect("set with Duration::MAX");
    assert_eq!(
        cache
            .increment("forever-counter", 1, Duration::MAX)
            .await
            .expect("inc"),
        1
    );
    assert!(cache.get("forever").await.expect("get").is_some());
    // Clean up: a key that never expires must not outlive the test.
    cache.delete("forever").await.expect("delete");
    cache.delete("forever-counter").await.expect("delete");
}

async fn two_namespaces_do_not_see_each_others_keys(
    cache: &Arc<dyn Cache>,
    neighbour: &Arc<dyn Cache>,
) {
    cache
        .set("shared-name", Bytes::from_static(b"mine"), MINUTE)
        .await
        .expect("set");
    assert_eq!(neighbour.get("shared-name").await.expect("get"), None);

    neighbour
        .set("shared-name", Bytes::from_static(b"theirs"), MINUTE)
        .await
        .expect("set");
    assert_eq!(
        cache.get("shared-name").await.expect("get"),
        Some(Bytes::from_static(b"mine"))
    );
    assert_eq!(
        neighbour
            .get_many(&["shared-name".to_string(), "never-set".to_string()])
            .await
            .expect("get_many"),
        vec![Some(Bytes::from_static(b"theirs")), None]
    );
    neighbour.delete("shared-name").await.expect("delete");
    assert_eq!(
        cache.get("shared-name").await.expect("get"),
        Some(Bytes::from_static(b"mine")),
        "a neighbour's delete leaves our key alone"
    );
    assert_eq!(
        neighbour
            .increment("counter", 3, MINUTE)
            .await
            .expect("inc"),
        3
    );
    assert_eq!(cache.increment("counter", 1, MINUTE).await.expect("inc"), 1);
}

async fn read_through_single_flight_works_over_this_cache(cache: &Arc<dyn Cache>) {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let profiles = Arc::new(ReadThrough::<Vec<String>>::new(
        cache.clone(),
        "profile",
        MINUTE,
    ));
    let loads = Arc::new(AtomicUsize::new(0));
    let readers = (0..50).map(|_| {
        let (profiles, loads) = (profiles.clone(), loads.clone());
        tokio::spawn(async move {
            profiles
                .get_or_load("ada", || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Ok(Some(vec!["Ada".to_string(), "Lovelace".to_string()]))
                })
                .await
        })
    });
    for result in futures::future::join_all(readers).await {
        let profile = result.expect("task ran").expect("read");
        assert_eq!(
            profile.as_deref(),
            Some(&["Ada".to_string(), "Lovelace".to_string()][..])
        );
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    assert!(
        cache.get("profile:ada").await.expect("get").is_some(),
        "the loaded value is in the cache"
    );
}

async fn read_through_batches_work_over_this_cache(cache: &Arc<dyn Cache>) {
    use std::collections::HashMap;
    use std::sync::Mutex;

    let names = Arc::new(ReadThrough::<String>::new(cache.clone(), "name", MINUTE));
    names.put("1", &"Ada".to_string()).await.expect("put");
    let asked = Mutex::new(Vec::new());
    let load = |keys: Vec<String>| {
        asked.lock().expect("asked").push(keys.clone());
        async move {
            Ok(keys
                .into_iter()
                .filter(|k| k != "3")
                .map(|k| {
                    let name = format!("user {k}");
                    (k, name)
                })
                .collect::<HashMap<_, _>>())
        }
    };
    let keys: Vec<String> = ["1", "2", "3"].iter().map(|k| k.to_string()).collect();
    let found = names.get_many_or_load(&keys, load).await.expect("read");
    assert_eq!(found.len(), 2);
    assert_eq!(found["1"], "Ada");
    assert_eq!(found["2"], "user 2");
    let found = names.get_many_or_load(&keys, load).await.expect("read");
    assert_eq!(found.len(), 2);
    let asked = asked.into_inner().expect("asked");
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].len(), 2, "only the misses are loaded: {asked:?}");
    assert_eq!(asked[1], vec!["3".to_string()], "found values are cached");
    assert!(cache.get("name:2").await.expect("get").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_contract_holds_in_process() {
    chorus_testkit::init_test_logs();
    cache_conformance(
        Arc::new(MemoryCache::new(&unique_namespace("cache"))),
        Arc::new(MemoryCache::new(&unique_namespace("cache"))),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_contract_holds_on_redis() {
    chorus_testkit::init_test_logs();
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let cache = RedisCache::connect(&url, &unique_namespace("cache"))
        .await
        .expect("connect to Redis");
    let neighbour = RedisCache::connect(&url, &unique_namespace("cache"))
        .await
        .expect("connect to Redis");
    cache_conformance(Arc::new(cache), Arc::new(neighbour)).await;
}

#[tokio::test]
async fn connecting_to_a_redis_that_is_not_there_fails_promptly() {
    // Port 1 on localhost: nothing listens there, the connection is refused.
    let started = std::time::Instant::now();
    let error = RedisCache::connect("redis://127.0.0.1:1", "nowhere")
        .await
        .err()
        .expect("no Redis there");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "took {:?}",
        started.elapsed()
    );
    assert!(format!("{error:#}").contains("127.0.0.1:1"), "{error:#}");
}

/// `url` with its `host:port` replaced by `addr`, to go through a proxy.
fn through(url: &str, addr: std::net::SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let userinfo = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!("{scheme}://{}{addr}{path}", userinfo.unwrap_or_default())
}

/// The socket address of a `scheme://[user@]host:port/…` URL.
fn socket_addr(url: &str) -> std::net::SocketAddr {
    use std::net::ToSocketAddrs;
    let rest = url.split_once("://").expect("a URL").1;
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    host_port
        .to_socket_addrs()
        .expect("a resolvable address")
        .next()
        .expect("one address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_cache_fails_fast_while_redis_is_down_and_recovers_by_itself() {
    chorus_testkit::init_test_logs();
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let proxy = chorus_testkit::TcpProxy::start(socket_addr(&url));
    let cache = RedisCache::connect(&through(&url, proxy.addr()), &unique_namespace("cache"))
        .await
        .expect("connect through the proxy");
    cache
        .set("survivor", Bytes::from_static(b"still here"), MINUTE)
        .await
        .expect("set");

    proxy.stop().await;
    let started = std::time::Instant::now();
    cache
        .get("survivor")
        .await
        .expect_err("Redis is unreachable");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a read while Redis is down failed only after {:?}",
        started.elapsed()
    );
    cache.ping().await.expect_err("ping tells the truth");

    proxy.resume().await;
    let recovered = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Ok(value) = cache.get("survivor").await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the cache reconnects by itself");
    assert_eq!(recovered, Some(Bytes::from_static(b"still here")));
    cache.ping().await.expect("ping after recovery");
}

#[test]
fn proxy_urls_keep_credentials_and_path() {
    let addr: std::net::SocketAddr = "127.0.0.1:4000".parse().expect("addr");
    assert_eq!(
        through("redis://127.0.0.1:6379", addr),
        "redis://127.0.0.1:4000"
    );
    assert_eq!(
        through("redis://u:p@h:6379/2", addr),
        "redis://u:p@127.0.0.1:4000/2"
    );
}
