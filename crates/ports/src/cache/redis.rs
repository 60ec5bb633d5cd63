//! Redis cache adapter on fred: a small pool of clients that reconnect by
//! themselves, every key prefixed with `{namespace}:`.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use fred::prelude::*;
use fred::types::Builder;

use super::Cache;

/// Connections per cache: commands are pipelined, so a few are plenty.
const POOL_SIZE: usize = 4;

/// Adds to a counter and gives a new key (or one with no expiry) its TTL, in
/// one atomic step: two separate commands could leave a counter that never
/// expires if the connection dropped between them. `PTTL` is -1 for a key
/// without expiry, so a key that already has a TTL keeps it.
const INCREMENT: &str = "\
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value";

pub struct RedisCache {
    namespace: String,
    pool: Pool,
}

impl RedisCache {
    /// Connects to the Redis at `url` (`redis://[user:password@]host:port[/db]`).
    /// Fails if it cannot connect now; afterwards lost connections are
    /// re-established in the background, and commands fail after a timeout
    /// meanwhile rather than wait forever.
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Self> {
        let pool = builder(url)?
            .build_pool(POOL_SIZE)
            .context("configuring the Redis cache pool")?;
        init(&pool, url).await?;
        Ok(Self {
            namespace: namespace.to_string(),
            pool,
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }

    /// A connected client of the pool, or an error at once: while Redis is
    /// down, a cache read fails fast and the caller goes to the database,
    /// rather than each command waiting out its timeout.
    fn connected(&self) -> anyhow::Result<&Client> {
        let client = self.pool.next();
        anyhow::ensure!(client.is_connected(), "Redis is not connected");
        Ok(client)
    }
}

/// How long to wait for the first connection before giving up on start.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The client settings shared by the cache and pub/sub adapters.
pub(crate) fn builder(url: &str) -> anyhow::Result<Builder> {
    let config = Config::from_url(url)
        .with_context(|| format!("reading Redis URL {}", crate::store::redact(url)))?;
    let mut builder = Builder::from_config(config);
    builder
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(5);
            c.internal_command_timeout = Duration::from_secs(5);
        })
        .with_performance_config(|p| {
            // While Redis is down commands wait for the reconnect; bound that
            // so a cache read fails fast and callers fall back to the database.
            p.default_command_timeout = Duration::from_secs(2);
        })
        // Retry forever, from 100 ms up to 5 s apart.
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2));
    Ok(builder)
}

/// Waits for `client`'s first connection, bounded by [`CONNECT_TIMEOUT`].
pub(crate) async fn init<C: ClientLike>(client: &C, url: &str) -> anyhow::Result<()> {
    let result = match tokio::time::timeout(CONNECT_TIMEOUT, client.init()).await {
        Ok(Ok(_task)) => return Ok(()),
        Ok(Err(error)) => Err(anyhow::Error::from(error)),
        Err(_) => Err(anyhow::anyhow!("no answer within {CONNECT_TIMEOUT:?}")),
    };
    // Stop the reconnect loop a failed start may have left behind.
    let _ = tokio::time::timeout(Duration::from_secs(1), client.quit()).await;
    result.with_context(|| format!("connecting to Redis at {}", crate::store::redact(url)))
}

/// Redis wants a whole, positive number of milliseconds, and refuses one that
/// overflows when added to the current time: half of `i64::MAX` is still
/// about 146 million years.
fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis())
        .unwrap_or(i64::MAX)
        .clamp(1, i64::MAX / 2)
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Bytes>> {
        let value: Option<Bytes> = self
            .connected()?
            .get(self.key(key))
            .await
            .context("reading from the Redis cache")?;
        Ok(value)
    }

    async fn get_many(&self, keys: &[String]) -> anyhow::Result<Vec<Option<Bytes>>> {
        if keys.is_empty() {
            // MGET wants at least one key.
            return Ok(Vec::new());
        }
        let keys: Vec<String> = keys.iter().map(|key| self.key(key)).collect();
        let values: Vec<Option<Bytes>> = self
            .connected()?
            .mget(keys)
            .await
            .context("reading many keys from the Redis cache")?;
        Ok(values)
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> anyhow::Result<()> {
        let () = self
            .connected()?
            .set(
                self.key(key),
                value,
                Some(Expiration::PX(millis(ttl))),
                None,
                false,
            )
            .await
            .context("writing to the Redis cache")?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        let _deleted: i64 = self
            .connected()?
            .del(self.key(key))
            .await
            .context("deleting from the Redis cache")?;
        Ok(())
    }

    async fn increment(&self, key: &str, by: i64, ttl: Duration) -> anyhow::Result<i64> {
        let value: i64 = self
            .connected()?
            .eval(INCREMENT, vec![self.key(key)], vec![by, millis(ttl)])
            .await
            .context("incrementing a Redis counter")?;
        Ok(value)
    }

    async fn ping(&self) -> anyhow::Result<()> {
        let _pong: String = self.pool.ping(None).await.context("pinging Redis")?;
        Ok(())
    }
}

impl Drop for RedisCache {
    fn drop(&mut self) {
        // Close the connections (and their reconnect loops) rather than leak them.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let pool = self.pool.clone();
            runtime.spawn(async move {
                let _ = pool.quit().await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_become_positive_milliseconds() {
        assert_eq!(millis(Duration::from_millis(300)), 300);
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_micros(10)), 1);
        assert_eq!(millis(Duration::MAX), i64::MAX / 2);
    }
}
