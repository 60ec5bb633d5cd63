//! Read-through caching with single-flight.
//!
//! [`ReadThrough::get_or_load`] answers from the cache, or runs the loader
//! (usually a database query) and caches what it found. Concurrent misses on
//! one key in this process share a single run of the loader, so a popular key
//! that expires does not send a stampede to the database.
//!
//! The cache only speeds reads up: if it fails (Redis down, a value that no
//! longer decodes), reads go to the loader and a warning is logged, never an
//! error. Only found values are cached: a `None` is answered but not kept, so
//! a row created a moment later is seen at once; the single-flight still
//! bounds how hard a popular missing key hits the database.
//!
//! [`ReadThrough::get_many_or_load`] does the same for a batch: one cache
//! round trip, then one loader call for the keys nobody else is loading.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::Shared;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::Cache;

/// What one load produced, as every waiter receives it. Errors travel as
/// their message: `anyhow::Error` cannot be cloned.
type Outcome<V> = Result<Option<V>, String>;

/// One loader run in progress for a key.
struct Flight<V> {
    id: u64,
    outcome: Shared<oneshot::Receiver<Outcome<V>>>,
    /// Set by `invalidate` or `put` while the loader runs: what it loaded may
    /// predate that change, so it is answered but not cached.
    stale: Arc<AtomicBool>,
}

type Flights<V> = Mutex<HashMap<String, Flight<V>>>;

/// A typed read-through cache over a [`Cache`], values stored as JSON under
/// `{key_prefix}:{key}`.
pub struct ReadThrough<V> {
    cache: Arc<dyn Cache>,
    prefix: String,
    ttl: Duration,
    flights: Flights<V>,
    next_id: AtomicU64,
}

enum Role<'a, V> {
    /// Another caller is loading this key: wait for its outcome.
    Follow(Shared<oneshot::Receiver<Outcome<V>>>),
    /// This caller loads the key for everyone.
    Lead(Landing<'a, V>, Arc<AtomicBool>),
}

/// The leader's side of a flight: hands the outcome to the waiters and takes
/// the flight off the board, also when the leader is cancelled midway.
struct Landing<'a, V> {
    flights: &'a Flights<V>,
    key: String,
    id: u64,
    sender: Option<oneshot::Sender<Outcome<V>>>,
}

impl<V> Landing<'_, V> {
    fn land(mut self, outcome: Outcome<V>) {
        if let Some(sender) = self.sender.take() {
            // Nobody waiting is fine.
            let _ = sender.send(outcome);
        }
    }
}

impl<V> Drop for Landing<'_, V> {
    fn drop(&mut self) {
        // Off the board first, then the sender: waiters of a cancelled leader
        // wake to an empty board and elect a new leader instead of rejoining
        // this dead flight.
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if flights.get(&self.key).is_some_and(|f| f.id == self.id) {
            flights.remove(&self.key);
        }
        drop(flights);
        drop(self.sender.take());
    }
}

/// A batch's part in the flights of its missing keys.
enum Batch<'a, V> {
    /// Others are loading these keys: wait for them, leading none meanwhile.
    Follow(Vec<(String, Shared<oneshot::Receiver<Outcome<V>>>)>),
    /// This caller loads all the keys.
    Lead(Vec<(String, Landing<'a, V>, Arc<AtomicBool>)>),
}

/// A cached value, or `None` if it no longer decodes.
fn decode<V: DeserializeOwned>(cache_key: &str, bytes: Bytes) -> Option<V> {
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(error) => {
            // An older shape of the value, say: reload and overwrite it.
            tracing::warn!(key = cache_key, %error, "undecodable cached value; reloading");
            None
        }
    }
}

impl<V> ReadThrough<V>
where
    V: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    pub fn new(cache: Arc<dyn Cache>, key_prefix: &str, ttl: Duration) -> Self {
        Self {
            cache,
            prefix: key_prefix.to_string(),
            ttl,
            flights: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        }
    }

    /// The value under `key`: from the cache, or else from `load` (run once
    /// for all concurrent callers of this key in this process), then cached.
    /// Fails only if the loader fails.
    pub async fn get_or_load<F, Fut>(&self, key: &str, load: F) -> anyhow::Result<Option<V>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = anyhow::Result<Option<V>>>,
    {
        let cache_key = self.cache_key(key);
        if let Some(value) = self.read_cache(&cache_key).await {
            return Ok(Some(value));
        }
        let (landing, stale) = loop {
            match self.join_or_lead(&cache_key) {
                Role::Follow(outcome) => match outcome.await {
                    Ok(outcome) => return outcome.map_err(anyhow::Error::msg),
                    // The leader was cancelled before it finished: try again,
                    // perhaps as the leader this time.
                    Err(_) => continue,
                },
                Role::Lead(landing, stale) => break (landing, stale),
            }
        };

        // A flight that ended between our miss and now has filled the cache.
        if let Some(value) = self.read_cache(&cache_key).await {
            landing.land(Ok(Some(value.clone())));
            return Ok(Some(value));
        }
        let loaded = load().await;
        if let Ok(Some(value)) = &loaded
            && !stale.load(Ordering::Acquire)
        {
            self.write_cache(&cache_key, value).await;
        }
        match loaded {
            Ok(value) => {
                landing.land(Ok(value.clone()));
                Ok(value)
            }
            Err(error) => {
                landing.land(Err(format!("{error:#}")));
                Err(error)
            }
        }
    }

    /// Values under `keys`, each from the cache or else loaded: the keys missing
    /// from the cache and not already being loaded in this process go to ONE call
    /// of `load` (which answers the ones it found); keys another caller is loading
    /// are awaited (single-flight per key). Found values are cached; missing ones
    /// are answered as absent. Fails only if a load this call depends on fails.
    pub async fn get_many_or_load<F, Fut>(
        &self,
        keys: &[String],
        load: F,
    ) -> anyhow::Result<HashMap<String, V>>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = anyhow::Result<HashMap<String, V>>>,
    {
        let mut unique = HashSet::new();
        let keys: Vec<String> = keys
            .iter()
            .filter(|key| unique.insert(key.as_str()))
            .cloned()
            .collect();
        let mut found = HashMap::new();
        let mut pending = self.read_cache_many(keys, &mut found).await;

        // Wait for the keys others are loading before leading any: a caller
        // that held flights while waiting on someone else's could deadlock
        // with a batch overlapping it the other way round. Each round settles
        // the keys it waited on, except those whose leader was cancelled.
        let flights = loop {
            if pending.is_empty() {
                return Ok(found);
            }
            let followed = match self.join_or_lead_all(&pending) {
                Batch::Lead(flights) => break flights,
                Batch::Follow(followed) => followed,
            };
            let mut settled = HashSet::new();
            for (key, outcome) in followed {
                match outcome.await {
                    Ok(Ok(value)) => {
                        if let Some(value) = value {
                            found.insert(key.clone(), value);
                        }
                        settled.insert(key);
                    }
                    Ok(Err(error)) => return Err(anyhow::Error::msg(error)),
                    // Cancelled before it finished: still pending, perhaps ours.
                    Err(_) => {}
                }
            }
            pending.retain(|key| !settled.contains(key));
        };

        // Flights that ended between our miss and now have filled the cache.
        let keys = flights.iter().map(|(key, _, _)| key.clone()).collect();
        let mut hits = HashMap::new();
        let missing = self.read_cache_many(keys, &mut hits).await;
        let mut loading = Vec::with_capacity(missing.len());
        for (key, landing, stale) in flights {
            match hits.remove(&key) {
                Some(value) => {
                    landing.land(Ok(Some(value.clone())));
                    found.insert(key, value);
                }
                None => loading.push((key, landing, stale)),
            }
        }
        if loading.is_empty() {
            return Ok(found);
        }

        let mut loaded = match load(missing).await {
            Ok(loaded) => loaded,
            Err(error) => {
                let message = format!("{error:#}");
                for (_, landing, _) in loading {
                    landing.land(Err(message.clone()));
                }
                return Err(error);
            }
        };
        let answers: Vec<_> = loading
            .into_iter()
            .map(|(key, landing, stale)| (loaded.remove(&key), key, landing, stale))
            .collect();
        // Cache first, then land: a reader arriving after the flight is gone
        // finds the value instead of loading it again.
        let writes = answers.iter().filter_map(|(value, key, _, stale)| {
            let value = value.as_ref().filter(|_| !stale.load(Ordering::Acquire))?;
            Some(async move { self.write_cache(&self.cache_key(key), value).await })
        });
        futures::future::join_all(writes).await;
        for (value, key, landing, _) in answers {
            landing.land(Ok(value.clone()));
            if let Some(value) = value {
                found.insert(key, value);
            }
        }
        Ok(found)
    }

    /// Forgets `key`, so the next read loads it afresh. Call it when the
    /// underlying row changes (typically from an event handler).
    pub async fn invalidate(&self, key: &str) -> anyhow::Result<()> {
        let cache_key = self.cache_key(key);
        self.mark_stale(&cache_key);
        self.cache.delete(&cache_key).await
    }

    /// Caches `value` under `key`, for a writer that has it at hand.
    pub async fn put(&self, key: &str, value: &V) -> anyhow::Result<()> {
        let cache_key = self.cache_key(key);
        self.mark_stale(&cache_key);
        let bytes = serde_json::to_vec(value)?;
        self.cache
            .set(&cache_key, Bytes::from(bytes), self.ttl)
            .await
    }

    fn cache_key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
    }

    fn flights(&self) -> std::sync::MutexGuard<'_, HashMap<String, Flight<V>>> {
        self.flights.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn join_or_lead(&self, cache_key: &str) -> Role<'_, V> {
        let mut flights = self.flights();
        if let Some(flight) = flights.get(cache_key) {
            return Role::Follow(flight.outcome.clone());
        }
        let (landing, stale) = self.lead(&mut flights, cache_key.to_string());
        Role::Lead(landing, stale)
    }

    /// Puts a flight for `cache_key` on the board (locked by the caller).
    fn lead(
        &self,
        flights: &mut HashMap<String, Flight<V>>,
        cache_key: String,
    ) -> (Landing<'_, V>, Arc<AtomicBool>) {
        let (sender, receiver) = oneshot::channel();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let stale = Arc::new(AtomicBool::new(false));
        flights.insert(
            cache_key.clone(),
            Flight {
                id,
                outcome: receiver.shared(),
                stale: stale.clone(),
            },
        );
        let landing = Landing {
            flights: &self.flights,
            key: cache_key,
            id,
            sender: Some(sender),
        };
        (landing, stale)
    }

    /// For a batch: follows every key among `keys` that is being loaded, or
    /// if none is, leads them all. Never both: see `get_many_or_load`.
    fn join_or_lead_all(&self, keys: &[String]) -> Batch<'_, V> {
        let mut flights = self.flights();
        let followed: Vec<_> = keys
            .iter()
            .filter_map(|key| {
                let flight = flights.get(&self.cache_key(key))?;
                Some((key.clone(), flight.outcome.clone()))
            })
            .collect();
        if !followed.is_empty() {
            return Batch::Follow(followed);
        }
        let led = keys
            .iter()
            .map(|key| {
                let (landing, stale) = self.lead(&mut flights, self.cache_key(key));
                (key.clone(), landing, stale)
            })
            .collect();
        Batch::Lead(led)
    }

    fn mark_stale(&self, cache_key: &str) {
        if let Some(flight) = self.flights().get(cache_key) {
            flight.stale.store(true, Ordering::Release);
        }
    }

    async fn read_cache(&self, cache_key: &str) -> Option<V> {
        match self.cache.get(cache_key).await {
            Ok(bytes) => decode(cache_key, bytes?),
            Err(error) => {
                tracing::warn!(key = cache_key, error = %format!("{error:#}"), "cache read failed; loading instead");
                None
            }
        }
    }

    /// Reads `keys` in one go, moving the cached ones into `found`; answers
    /// the others.
    async fn read_cache_many(
        &self,
        keys: Vec<String>,
        found: &mut HashMap<String, V>,
    ) -> Vec<String> {
        if keys.is_empty() {
            return keys;
        }
        let cache_keys: Vec<String> = keys.iter().map(|key| self.cache_key(key)).collect();
        let values = match self.cache.get_many(&cache_keys).await {
            Ok(values) => values,
            Err(error) => {
                tracing::warn!(keys = cache_keys.len(), error = %format!("{error:#}"), "cache read failed; loading instead");
                Vec::new()
            }
        };
        let mut values = values.into_iter();
        let mut missing = Vec::new();
        for (key, cache_key) in keys.into_iter().zip(&cache_keys) {
            match values.next().flatten().and_then(|b| decode(cache_key, b)) {
                Some(value) => {
                    found.insert(key, value);
                }
                None => missing.push(key),
            }
        }
        missing
    }

    async fn write_cache(&self, cache_key: &str, value: &V) {
        let bytes = match serde_json::to_vec(value) {
            Ok(bytes) => Bytes::from(bytes),
            Err(error) => {
                tracing::warn!(key = cache_key, %error, "value cannot be cached");
                return;
            }
        };
        if let Err(error) = self.cache.set(cache_key, bytes, self.ttl).await {
            tracing::warn!(key = cache_key, error = %format!("{error:#}"), "cache write failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use async_trait::async_trait;

    use super::*;
    use crate::cache::MemoryCache;

    fn users(cache: Arc<dyn Cache>) -> Arc<ReadThrough<String>> {
        Arc::new(ReadThrough::new(cache, "user", Duration::from_secs(60)))
    }

    fn memory() -> Arc<dyn Cache> {
        Arc::new(MemoryCache::new("test"))
    }

    /// A cache whose every call fails, like Redis while it is down.
    struct BrokenCache;

    #[async_trait]
    impl Cache for BrokenCache {
        async fn get(&self, _key: &str) -> anyhow::Result<Option<Bytes>> {
            anyhow::bail!("cache down")
        }
        async fn set(&self, _key: &str, _value: Bytes, _ttl: Duration) -> anyhow::Result<()> {
            anyhow::bail!("cache down")
        }
        async fn delete(&self, _key: &str) -> anyhow::Result<()> {
            anyhow::bail!("cache down")
        }
        async fn increment(&self, _key: &str, _by: i64, _ttl: Duration) -> anyhow::Result<i64> {
            anyhow::bail!("cache down")
        }
        async fn ping(&self) -> anyhow::Result<()> {
            anyhow::bail!("cache down")
        }
    }

    #[test]
    fn a_read_can_be_spawned_on_any_worker() {
        fn assert_send<T: Send>(_: &T) {}
        let cache = users(memory());
        let read = cache.get_or_load("1", || async { Ok(None) });
        assert_send(&read);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn fifty_concurrent_misses_on_one_key_run_the_loader_once() {
        let cache = users(memory());
        let loads = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, loads, start) = (cache.clone(), loads.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    cache
                        .get_or_load("42", || async {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            Ok(Some("ada".to_string()))
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            let value = task.await.expect("task ran").expect("loaded");
            assert_eq!(value.as_deref(), Some("ada"));
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert!(cache.flights().is_empty(), "finished flights are removed");
    }

    #[tokio::test]
    async fn a_cached_value_is_answered_without_loading() {
        let cache = users(memory());
        cache.put("1", &"grace".to_string()).await.expect("put");
        let value = cache
            .get_or_load("1", || async { anyhow::bail!("must not load") })
            .await
            .expect("read");
        assert_eq!(value.as_deref(), Some("grace"));
    }

    #[tokio::test]
    async fn a_loaded_value_is_cached_until_invalidated() {
        let cache = users(memory());
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok(Some("linus".to_string()))
        };
        cache.get_or_load("7", load).await.expect("first");
        cache.get_or_load("7", load).await.expect("second");
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        cache.invalidate("7").await.expect("invalidate");
        cache.get_or_load("7", load).await.expect("third");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn nothing_found_is_answered_but_not_cached() {
        let cache = users(memory());
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok(None)
        };
        assert_eq!(cache.get_or_load("9", load).await.expect("first"), None);
        assert_eq!(cache.get_or_load("9", load).await.expect("second"), None);
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_broken_cache_falls_back_to_the_loader() {
        let cache = users(Arc::new(BrokenCache));
        let value = cache
            .get_or_load("3", || async { Ok(Some("barbara".to_string())) })
            .await
            .expect("a cache failure is not a read failure");
        assert_eq!(value.as_deref(), Some("barbara"));
    }

    #[tokio::test]
    async fn an_undecodable_cached_value_is_reloaded_and_replaced() {
        let inner = memory();
        inner
            .set(
                "user:5",
                Bytes::from_static(b"{not json"),
                Duration::from_secs(60),
            )
            .await
            .expect("set");
        let cache = users(inner.clone());
        let value = cache
            .get_or_load("5", || async { Ok(Some("ken".to_string())) })
            .await
            .expect("read");
        assert_eq!(value.as_deref(), Some("ken"));
        let stored = inner.get("user:5").await.expect("get").expect("replaced");
        assert_eq!(&stored[..], b"\"ken\"");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_loader_error_reaches_every_waiter_and_is_not_cached() {
        let cache = users(memory());
        let waiters: Vec<_> = (0..5)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    cache
                        .get_or_load("8", || async {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            anyhow::bail!("database down")
                        })
                        .await
                })
            })
            .collect();
        for waiter in waiters {
            let error = waiter.await.expect("task ran").expect_err("fails");
            assert!(error.to_string().contains("database down"), "{error}");
        }
        let value = cache
            .get_or_load("8", || async { Ok(Some("back".to_string())) })
            .await
            .expect("retried");
        assert_eq!(value.as_deref(), Some("back"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_leader_does_not_strand_its_followers() {
        let cache = users(memory());
        let leader = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get_or_load("6", futures::future::pending).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let follower = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load("6", || async { Ok(Some("follower".to_string())) })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        leader.abort();
        let value = tokio::time::timeout(Duration::from_secs(5), follower)
            .await
            .expect("the follower finishes")
            .expect("task ran")
            .expect("loaded");
        assert_eq!(value.as_deref(), Some("follower"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_value_loaded_before_an_invalidation_is_not_cached() {
        let cache = users(memory());
        let (release, released) = oneshot::channel::<()>();
        let reader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load("4", || async {
                        let _ = released.await;
                        Ok(Some("old".to_string()))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        cache.invalidate("4").await.expect("invalidate");
        let _ = release.send(());
        let old = reader.await.expect("task ran").expect("loaded");
        assert_eq!(
            old.as_deref(),
            Some("old"),
            "the reader still gets its answer"
        );
        let fresh = cache
            .get_or_load("4", || async { Ok(Some("new".to_string())) })
            .await
            .expect("reloaded");
        assert_eq!(fresh.as_deref(), Some("new"));
    }

    fn strings(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    fn answer(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Every key's value is `v{key}`.
    fn values_of(keys: &[String]) -> HashMap<String, String> {
        keys.iter().map(|k| (k.clone(), format!("v{k}"))).collect()
    }

    #[test]
    fn a_batch_read_can_be_spawned_on_any_worker() {
        fn assert_send<T: Send>(_: &T) {}
        let cache = users(memory());
        let keys = strings(&["1"]);
        let read = cache.get_many_or_load(&keys, |_| async { Ok(HashMap::new()) });
        assert_send(&read);
    }

    #[tokio::test]
    async fn a_batch_loads_only_its_misses_in_one_call_and_caches_what_it_found() {
        let cache = users(memory());
        cache.put("1", &"one".to_string()).await.expect("put");
        let calls = Mutex::new(Vec::new());
        let load = |mut keys: Vec<String>| {
            keys.sort();
            calls.lock().expect("calls").push(keys);
            async { Ok(answer(&[("2", "two"), ("9", "not asked for")])) }
        };
        let found = cache
            .get_many_or_load(&strings(&["1", "2", "3", "2"]), load)
            .await
            .expect("read");
        assert_eq!(found, answer(&[("1", "one"), ("2", "two")]));
        assert_eq!(*calls.lock().expect("calls"), vec![strings(&["2", "3"])]);

        // "2" is cached now; "3" was absent, so it is asked for again.
        let found = cache
            .get_many_or_load(&strings(&["2", "3"]), load)
            .await
            .expect("read");
        assert_eq!(found, answer(&[("2", "two")]));
        assert_eq!(calls.lock().expect("calls")[1], strings(&["3"]));
        assert!(cache.flights().is_empty(), "finished flights are removed");
    }

    #[tokio::test]
    async fn an_empty_or_fully_cached_batch_does_not_load() {
        let cache = users(memory());
        let must_not_load = |_| async { anyhow::bail!("must not load") };
        let found = cache
            .get_many_or_load(&[], must_not_load)
            .await
            .expect("read");
        assert!(found.is_empty());
        cache.put("1", &"one".to_string()).await.expect("put");
        let found = cache
            .get_many_or_load(&strings(&["1", "1"]), must_not_load)
            .await
            .expect("read");
        assert_eq!(found, answer(&[("1", "one")]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn overlapping_batches_share_the_loads_of_their_common_keys() {
        let cache = users(memory());
        let (release, released) = oneshot::channel::<()>();
        let first = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let keys = strings(&["1", "2", "3"]);
                cache
                    .get_many_or_load(&keys, |keys| async move {
                        let _ = released.await;
                        Ok(values_of(&keys))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second_loaded = Arc::new(Mutex::new(Vec::new()));
        let second = {
            let (cache, second_loaded) = (cache.clone(), second_loaded.clone());
            tokio::spawn(async move {
                let keys = strings(&["2", "3", "4"]);
                cache
                    .get_many_or_load(&keys, |keys| {
                        second_loaded.lock().expect("loaded").extend(keys.clone());
                        async move { Ok(values_of(&keys)) }
                    })
                    .await
            })
        };
        let single = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load("3", || async { anyhow::bail!("must not load") })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = release.send(());

        let first = first.await.expect("task ran").expect("read");
        assert_eq!(first, values_of(&strings(&["1", "2", "3"])));
        let second = second.await.expect("task ran").expect("read");
        assert_eq!(second, values_of(&strings(&["2", "3", "4"])));
        let single = single.await.expect("task ran").expect("read");
        assert_eq!(single.as_deref(), Some("v3"));
        assert_eq!(*second_loaded.lock().expect("loaded"), strings(&["4"]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_waits_for_a_single_read_loading_one_of_its_keys() {
        let cache = users(memory());
        let (release, released) = oneshot::channel::<()>();
        let single = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load("5", || async {
                        let _ = released.await;
                        Ok(Some("single".to_string()))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let batch = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let keys = strings(&["5", "6"]);
                cache
                    .get_many_or_load(&keys, |keys| async move {
                        assert_eq!(keys, strings(&["6"]));
                        Ok(values_of(&keys))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = release.send(());
        single.await.expect("task ran").expect("read");
        let found = batch.await.expect("task ran").expect("read");
        assert_eq!(found, answer(&[("5", "single"), ("6", "v6")]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_overlapping_batches_finish_and_load_every_key_once() {
        let cache = users(memory());
        let loads: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let start = Arc::new(tokio::sync::Barrier::new(30));
        let tasks: Vec<_> = (0..30)
            .map(|task| {
                let (cache, loads, start) = (cache.clone(), loads.clone(), start.clone());
                // Windows of 10 keys out of 40, every other one in reverse, so
                // batches overlap both ways round.
                let mut keys: Vec<String> =
                    (task..task + 10).map(|k| (k % 40).to_string()).collect();
                if task % 2 == 1 {
                    keys.reverse();
                }
                tokio::spawn(async move {
                    start.wait().await;
                    let found = cache
                        .get_many_or_load(&keys, |asked| {
                            let mut loads = loads.lock().expect("loads");
                            for key in &asked {
                                *loads.entry(key.clone()).or_default() += 1;
                            }
                            async move {
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                Ok(values_of(&asked))
                            }
                        })
                        .await
                        .expect("read");
                    assert_eq!(found, values_of(&keys));
                })
            })
            .collect();
        tokio::time::timeout(
            Duration::from_secs(10),
            futures::future::try_join_all(tasks),
        )
        .await
        .expect("no batch waits forever")
        .expect("tasks ran");
        let loads = loads.lock().expect("loads");
        assert_eq!(loads.len(), 39, "keys 0..=38 were asked for");
        assert!(loads.values().all(|&n| n == 1), "{loads:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_value_loaded_before_an_invalidation_is_answered_but_not_cached() {
        let inner = memory();
        let cache = users(inner.clone());
        let (release, released) = oneshot::channel::<()>();
        let reader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let keys = strings(&["a", "b"]);
                cache
                    .get_many_or_load(&keys, |keys| async move {
                        let _ = released.await;
                        Ok(values_of(&keys))
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        cache.invalidate("a").await.expect("invalidate");
        let _ = release.send(());
        let found = reader.await.expect("task ran").expect("read");
        assert_eq!(found, answer(&[("a", "va"), ("b", "vb")]));
        assert_eq!(inner.get("user:a").await.expect("get"), None);
        assert!(inner.get("user:b").await.expect("get").is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_loader_error_reaches_every_waiter_and_is_not_cached() {
        let cache = users(memory());
        let leader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let keys = strings(&["1", "2"]);
                cache
                    .get_many_or_load(&keys, |_| async {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        anyhow::bail!("database down")
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(30)).await;
        let batch = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let keys = strings(&["2", "3"]);
                cache
                    .get_many_or_load(&keys, |_| async { anyhow::bail!("must not load") })
                    .await
            })
        };
        let single = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load("1", || async { anyhow::bail!("must not load") })
                    .await
            })
        };
        let error = leader.await.expect("task ran").expect_err("fails");
        assert!(error.to_string().contains("database down"), "{error}");
        let error = batch.await.expect("task ran").expect_err("fails");
        assert!(error.to_string().contains("database down"), "{error}");
        let error = single.await.expect("task ran").expect_err("fails");
        assert!(error.to_string().contains("database down"), "{error}");

        let found = cache
            .get_many_or_load(&strings(&["1", "2", "3"]), |keys| async move {
                Ok(values_of(&keys))
            })
            .await
            .expect("retried");
        assert_eq!(found, values_of(&strings(&["1", "2", "3"])));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_batch_leader_does_not_strand_its_followers() {
        let cache = users(memory());
        let leader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let keys = strings(&["6", "7"]);
                cache
                    .get_many_or_load(&keys, |_| futures::future::pending())
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let batch = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let keys = strings(&["6", "8"]);
                cache
                    .get_many_or_load(&keys, |keys| async move { Ok(values_of(&keys)) })
                    .await
            })
        };
        let single = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load("7", || async { Ok(Some("v7".to_string())) })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        leader.abort();
        let found = tokio::time::timeout(Duration::from_secs(5), batch)
            .await
            .expect("the batch finishes")
            .expect("task ran")
            .expect("loaded");
        assert_eq!(found, values_of(&strings(&["6", "8"])));
        let value = tokio::time::timeout(Duration::from_secs(5), single)
            .await
            .expect("the single read finishes")
            .expect("task ran")
            .expect("loaded");
        assert_eq!(value.as_deref(), Some("v7"));
    }

    #[tokio::test]
    async fn a_broken_cache_falls_back_to_one_batch_load() {
        let cache = users(Arc::new(BrokenCache));
        let calls = AtomicUsize::new(0);
        let found = cache
            .get_many_or_load(&strings(&["1", "2"]), |keys| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { Ok(values_of(&keys)) }
            })
            .await
            .expect("a cache failure is not a read failure");
        assert_eq!(found, values_of(&strings(&["1", "2"])));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
