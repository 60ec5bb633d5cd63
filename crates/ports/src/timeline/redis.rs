//! Redis timelines: one sorted set per user at `{namespace}:timeline:{user}`.
//!
//! Scores cannot order 64-bit ids (an f64 holds 53 bits exactly), so every
//! member has score 0 and is the id zero-padded to 20 digits: lexicographic
//! order (`BYLEX`) is then numeric order. The empty string, which sorts before
//! every id, marks a timeline as materialized; trims keep it at rank 0.
//! Writes that must not resurrect an absent timeline check the marker inside
//! a Lua script, so check and write are one atomic step.

use anyhow::Context;
use async_trait::async_trait;
use chorus_core::Id;
use fred::prelude::*;
use futures::{StreamExt, TryStreamExt};

use super::{Timelines, newest};
use crate::cache::redis::{builder, init};

/// Connections: scripts are pipelined on each, so a few are plenty.
const POOL_SIZE: usize = 4;

/// Timelines per script call: one round trip per chunk, and a chunk's script
/// blocks Redis for only a millisecond or so.
const CHUNK: usize = 1_000;

/// KEYS: timelines; ARGV[1]: cap; ARGV[2..]: members. Adds the members to
/// each materialized timeline and trims it to the marker plus the newest cap.
const ADD: &str = "\
local stop = -(tonumber(ARGV[1]) + 1)
for _, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, '') then
    for i = 2, #ARGV do
      redis.call('ZADD', key, 0, ARGV[i])
    end
    redis.call('ZREMRANGEBYRANK', key, 1, stop)
  end
end
return 0";

/// KEYS[1]: a timeline; ARGV: its members (already the newest cap). Rebuilds
/// it atomically, so no reader sees it half written.
const REPLACE: &str = "\
redis.call('DEL', KEYS[1])
redis.call('ZADD', KEYS[1], 0, '')
for i = 1, #ARGV do
  redis.call('ZADD', KEYS[1], 0, ARGV[i])
end
return 0";

/// KEYS: timelines; ARGV: members to remove. The marker is never among them.
const REMOVE: &str = "\
for _, key in ipairs(KEYS) do
  for i = 1, #ARGV do
    redis.call('ZREM', key, ARGV[i])
  end
end
return 0";

/// KEYS[1]: a timeline; ARGV[1]: the exclusive upper bound (`+` or `(id`);
/// ARGV[2]: the limit. Nil when not materialized; `(` as the lower bound
/// excludes the marker.
const RANGE: &str = "\
if not redis.call('ZSCORE', KEYS[1], '') then
  return false
end
return redis.call('ZRANGE', KEYS[1], ARGV[1], '(', 'BYLEX', 'REV', 'LIMIT', 0, ARGV[2])";

/// KEYS[1]: a timeline. Its entries without the marker, nil when absent.
const LEN: &str = "\
if not redis.call('ZSCORE', KEYS[1], '') then
  return false
end
return redis.call('ZCARD', KEYS[1]) - 1";

/// A Lua script run by its SHA-1 (EVALSHA), so the body crosses the wire only
/// when Redis has not got it.
struct Script {
    lua: &'static str,
    sha: String,
}

struct Scripts {
    add: Script,
    replace: Script,
    remove: Script,
    range: Script,
    len: Script,
}

pub struct RedisTimelines {
    namespace: String,
    cap: usize,
    pool: Pool,
    scripts: Scripts,
}

impl RedisTimelines {
    /// Connects to the Redis at `url` and loads the scripts. Fails if it cannot
    /// connect now; afterwards lost connections are re-established in the
    /// background, like the cache's.
    pub async fn connect(url: &str, namespace: &str, cap: usize) -> anyhow::Result<Self> {
        let pool = builder(url)?
            .build_pool(POOL_SIZE)
            .context("configuring the Redis timelines pool")?;
        init(&pool, url).await?;
        let scripts = Scripts {
            add: load(&pool, ADD).await?,
            replace: load(&pool, REPLACE).await?,
            remove: load(&pool, REMOVE).await?,
            range: load(&pool, RANGE).await?,
            len: load(&pool, LEN).await?,
        };
        Ok(Self {
            namespace: namespace.to_string(),
            cap,
            pool,
            scripts,
        })
    }

    fn key(&self, user: Id) -> String {
        format!("{}:timeline:{user}", self.namespace)
    }

    /// Runs `script`, loading it again if Redis lost it (a restart, SCRIPT FLUSH).
    async fn eval(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> FredResult<Value> {
        // While Redis is down, fail at once: readers fall back to storage.
        if !self.pool.next().is_connected() {
            return Err(Error::new(ErrorKind::IO, "Redis is not connected"));
        }
        match self
            .pool
            .evalsha(script.sha.clone(), keys.clone(), args.clone())
            .await
        {
            Err(error) if error.details().starts_with("NOSCRIPT") => {
                let _sha: String = self.pool.script_load(script.lua).await?;
                self.pool.evalsha(script.sha.clone(), keys, args).await
            }
            result => result,
        }
    }

    /// Runs `script` over `users` in chunks of [`CHUNK`], a few chunks at a time.
    async fn eval_chunked(
        &self,
        script: &Script,
        users: &[Id],
        args: Vec<String>,
    ) -> FredResult<()> {
        let chunks: Vec<Vec<String>> = users
            .chunks(CHUNK)
            .map(|chunk| chunk.iter().map(|&user| self.key(user)).collect())
            .collect();
        futures::stream::iter(chunks)
            .map(|keys| self.eval(script, keys, args.clone()))
            .buffer_unordered(POOL_SIZE)
            .try_for_each(|_| async { Ok(()) })
            .await
    }
}

async fn load(pool: &Pool, lua: &'static str) -> anyhow::Result<Script> {
    let sha: String = pool
        .script_load(lua)
        .await
        .context("loading a timeline script into Redis")?;
    Ok(Script { lua, sha })
}

/// The member for `post`: its id zero-padded to 20 digits (`u64::MAX` has 20).
fn member(post: Id) -> anyhow::Result<String> {
    let id = u64::try_from(post.0).map_err(|_| anyhow::anyhow!("{post:?} is not a post id"))?;
    Ok(format!("{id:020}"))
}

fn members(posts: &[Id]) -> anyhow::Result<Vec<String>> {
    posts.iter().map(|&post| member(post)).collect()
}

#[async_trait]
impl Timelines for RedisTimelines {
    async fn replace(&self, user: Id, posts: &[Id]) -> anyhow::Result<()> {
        let posts = members(&newest(posts, self.cap))?;
        self.eval(&self.scripts.replace, vec![self.key(user)], posts)
            .await
            .context("replacing a Redis timeline")?;
        Ok(())
    }

    async fn push(&self, users: &[Id], post: Id) -> anyhow::Result<()> {
        let args = vec![self.cap.to_string(), member(post)?];
        self.eval_chunked(&self.scripts.add, users, args)
            .await
            .context("pushing to Redis timelines")
    }

    async fn add(&self, user: Id, posts: &[Id]) -> anyhow::Result<()> {
        let posts = newest(posts, self.cap);
        if posts.is_empty() {
            return Ok(());
        }
        let mut args = vec![self.cap.to_string()];
        args.extend(members(&posts)?);
        self.eval(&self.scripts.add, vec![self.key(user)], args)
            .await
            .context("adding to a Redis timeline")?;
        Ok(())
    }

    async fn remove(&self, users: &[Id], posts: &[Id]) -> anyhow::Result<()> {
        // A negative id is in no timeline: nothing to remove for it.
        let posts: Vec<String> = posts.iter().filter_map(|&p| member(p).ok()).collect();
        if posts.is_empty() {
            return Ok(());
        }
        self.eval_chunked(&self.scripts.remove, users, posts)
            .await
            .context("removing from Redis timelines")
    }

    async fn range(
        &self,
        user: Id,
        before: Option<Id>,
        limit: usize,
    ) -> anyhow::Result<Option<Vec<Id>>> {
        let max = match before {
            None => "+".to_string(),
            Some(before) => match member(before) {
                Ok(before) => format!("({before}"),
                // Nothing is older than a negative id: the range is empty.
                Err(_) => "(".to_string(),
            },
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX).to_string();
        let value = self
            .eval(&self.scripts.range, vec![self.key(user)], vec![max, limit])
            .await
            .context("reading a Redis timeline")?;
        if value.is_null() {
            return Ok(None);
        }
        let members: Vec<String> = value.convert().context("reading a Redis timeline")?;
        let posts = members
            .iter()
            .map(|m| m.parse::<i64>().map(Id))
            .collect::<Result<_, _>>()
            .context("a Redis timeline holds something that is no post id")?;
        Ok(Some(posts))
    }

    async fn len(&self, user: Id) -> anyhow::Result<Option<usize>> {
        let value = self
            .eval(&self.scripts.len, vec![self.key(user)], vec![])
            .await
            .context("measuring a Redis timeline")?;
        if value.is_null() {
            return Ok(None);
        }
        let len: i64 = value.convert().context("measuring a Redis timeline")?;
        Ok(Some(usize::try_from(len)?))
    }

    async fn drop_timeline(&self, user: Id) -> anyhow::Result<()> {
        let _deleted: i64 = self
            .pool
            .del(self.key(user))
            .await
            .context("dropping a Redis timeline")?;
        Ok(())
    }

    fn cap(&self) -> usize {
        self.cap
    }

    async fn ping(&self) -> anyhow::Result<()> {
        let _pong: String = self.pool.ping(None).await.context("pinging Redis")?;
        Ok(())
    }
}

impl Drop for RedisTimelines {
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
    fn members_sort_as_their_ids_do() {
        let ids = [0, 1, 9, 10, (1 << 53) + 1, (1 << 53) + 2, i64::MAX];
        let members: Vec<String> = ids.iter().map(|&i| member(Id(i)).expect("id")).collect();
        let mut sorted = members.clone();
        sorted.sort();
        assert_eq!(members, sorted);
        assert!(members.iter().all(|m| m.len() == 20));
        assert!("" < members[0].as_str(), "the marker sorts first");
        member(Id(-1)).expect_err("negative ids are refused");
    }
}
