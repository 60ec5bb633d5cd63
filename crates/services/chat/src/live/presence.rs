//! Who has a `/chat` socket open on any instance, through the cache.
//!
//! Each instance holds a numbered slot (claimed with an atomic increment, so
//! two instances never share one) and writes, per user with sockets on it,
//! `chat:presence:{user}:{slot}` = its socket count, with a time to live that
//! a background task keeps refreshing. A user is online while any live
//! slot's key exists: a crashed instance stops refreshing, and its users
//! fall offline when their keys and its slot expire.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chorus_core::Id;
use chorus_ports::Cache;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Keys per `get_many` round trip.
const KEYS_PER_READ: usize = 1_000;

/// Cheap to clone.
#[derive(Clone)]
pub struct Presence {
    inner: Arc<Inner>,
}

struct Inner {
    cache: Arc<dyn Cache>,
    ttl: Duration,
    slots: u32,
    /// Tells this instance's slot from one another instance took over.
    token: String,
    slot: Mutex<Option<u32>>,
    /// `/chat` sockets per user on this instance.
    local: Mutex<HashMap<Id, usize>>,
    /// Serializes cache writes, so that a user's key always ends up
    /// matching the latest local count whatever order connects and
    /// disconnects finish in.
    writes: tokio::sync::Mutex<()>,
}

fn claim_key(slot: u32) -> String {
    format!("chat:presence:slot:{slot}")
}

fn owner_key(slot: u32) -> String {
    format!("chat:presence:slot:{slot}:owner")
}

fn user_key(user: Id, slot: u32) -> String {
    format!("chat:presence:{user}:{slot}")
}

impl Presence {
    /// `token` must be unique to this instance (a fresh id does).
    pub fn new(cache: Arc<dyn Cache>, ttl: Duration, slots: u32, token: String) -> Self {
        Self {
            inner: Arc::new(Inner {
                cache,
                ttl,
                slots: slots.max(1),
                token,
                slot: Mutex::new(None),
                local: Mutex::new(HashMap::new()),
                writes: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn slot(&self) -> Option<u32> {
        *self.inner.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_slot(&self, slot: Option<u32>) {
        *self.inner.slot.lock().unwrap_or_else(|e| e.into_inner()) = slot;
    }

    fn local_count(&self, user: Id) -> usize {
        let local = self.inner.local.lock().unwrap_or_else(|e| e.into_inner());
        local.get(&user).copied().unwrap_or(0)
    }

    /// Counts a new socket of `user` here; true when it is the user's first
    /// on this instance. Call [`Presence::publish`] next.
    pub fn socket_opened(&self, user: Id) -> bool {
        let mut local = self.inner.local.lock().unwrap_or_else(|e| e.into_inner());
        let count = local.entry(user).or_insert(0);
        *count += 1;
        *count == 1
    }

    /// Counts a socket of `user` gone; true when it was the user's last on
    /// this instance. Call [`Presence::publish`] next.
    pub fn socket_closed(&self, user: Id) -> bool {
        let mut local = self.inner.local.lock().unwrap_or_else(|e| e.into_inner());
        match local.get_mut(&user) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            Some(_) => {
                local.remove(&user);
                true
            }
            None => false,
        }
    }

    /// Writes `user`'s local socket count to the cache (deletes it at zero).
    pub async fn publish(&self, user: Id) -> anyhow::Result<()> {
        let _serial = self.inner.writes.lock().await;
        let Some(slot) = self.slot() else {
            anyhow::bail!("this instance holds no presence slot yet");
        };
        self.write(user, slot, self.local_count(user)).await
    }

    async fn write(&self, user: Id, slot: u32, count: usize) -> anyhow::Result<()> {
        let key = user_key(user, slot);
        if count == 0 {
            self.inner.cache.delete(&key).await
        } else {
            let value = Bytes::from(count.to_string());
            self.inner.cache.set(&key, value, self.inner.ttl).await
        }
    }

    /// Which of `users` have a `/chat` socket open on any live instance.
    pub async fn online(&self, users: &[Id]) -> anyhow::Result<HashSet<Id>> {
        let mut online = HashSet::new();
        if users.is_empty() {
            return Ok(online);
        }
        let slots = self.live_slots().await?;
        let keys: Vec<(Id, String)> = users
            .iter()
            .flat_map(|&user| slots.iter().map(move |&slot| (user, user_key(user, slot))))
            .collect();
        for chunk in keys.chunks(KEYS_PER_READ) {
            let names: Vec<String> = chunk.iter().map(|(_, key)| key.clone()).collect();
            let values = self.inner.cache.get_many(&names).await?;
            for ((user, _), value) in chunk.iter().zip(values) {
                if value.is_some() {
                    online.insert(*user);
                }
            }
        }
        Ok(online)
    }

    pub async fn is_online(&self, user: Id) -> anyhow::Result<bool> {
        Ok(self.online(&[user]).await?.contains(&user))
    }

    /// The slots some instance holds now.
    async fn live_slots(&self) -> anyhow::Result<Vec<u32>> {
        let keys: Vec<String> = (0..self.inner.slots).map(claim_key).collect();
        let values = self.inner.cache.get_many(&keys).await?;
        Ok((0..self.inner.slots)
            .zip(values)
            .filter_map(|(slot, value)| value.map(|_| slot))
            .collect())
    }

    /// Keeps this instance's slot (claiming one if it has none or lost it)
    /// and rewrites every local user's key, renewing their time to live.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let _serial = self.inner.writes.lock().await;
        let slot = match self.slot() {
            Some(slot) if self.still_own(slot).await? => slot,
            previous => {
                if previous.is_some() {
                    tracing::warn!(
                        ?previous,
                        "presence slot lost (expired while unreachable?); claiming another"
                    );
                }
                self.set_slot(None);
                let Some(slot) = self.claim().await? else {
                    anyhow::bail!(
                        "every one of the {} presence slots is held: raise chat.presence_slots",
                        self.inner.slots
                    );
                };
                self.set_slot(Some(slot));
                slot
            }
        };
        let users: Vec<(Id, usize)> = {
            let local = self.inner.local.lock().unwrap_or_else(|e| e.into_inner());
            local.iter().map(|(user, count)| (*user, *count)).collect()
        };
        for (user, count) in users {
            self.write(user, slot, count).await?;
        }
        Ok(())
    }

    async fn still_own(&self, slot: u32) -> anyhow::Result<bool> {
        let owner = self.inner.cache.get(&owner_key(slot)).await?;
        if owner.as_deref() != Some(self.inner.token.as_bytes()) {
            return Ok(false);
        }
        self.hold(slot).await?;
        Ok(true)
    }

    async fn hold(&self, slot: u32) -> anyhow::Result<()> {
        let ttl = self.inner.ttl;
        let cache = &self.inner.cache;
        cache
            .set(&claim_key(slot), Bytes::from_static(b"1"), ttl)
            .await?;
        let token = Bytes::from(self.inner.token.clone());
        cache.set(&owner_key(slot), token, ttl).await
    }

    /// The first free slot, taken atomically: only the claimer whose
    /// increment created the key gets it.
    async fn claim(&self) -> anyhow::Result<Option<u32>> {
        for slot in 0..self.inner.slots {
            let claims = self
                .inner
                .cache
                .increment(&claim_key(slot), 1, self.inner.ttl)
                .await?;
            if claims == 1 {
                self.hold(slot).await?;
                return Ok(Some(slot));
            }
        }
        Ok(None)
    }

    /// Forgets this instance's keys and frees its slot, so its users fall
    /// offline at once rather than when the keys expire.
    pub async fn release(&self) {
        let _serial = self.inner.writes.lock().await;
        let Some(slot) = self.slot() else {
            return;
        };
        let users: Vec<Id> = {
            let mut local = self.inner.local.lock().unwrap_or_else(|e| e.into_inner());
            local.drain().map(|(user, _)| user).collect()
        };
        let cache = &self.inner.cache;
        for user in users {
            let _ = cache.delete(&user_key(user, slot)).await;
        }
        let _ = cache.delete(&owner_key(slot)).await;
        let _ = cache.delete(&claim_key(slot)).await;
        self.set_slot(None);
    }

    /// Claims a slot now, then refreshes every third of the time to live
    /// until `shutdown`, when it releases the slot.
    pub async fn start(&self, tasks: &TaskTracker, shutdown: CancellationToken) {
        if let Err(error) = self.refresh().await {
            tracing::warn!(error = %format!("{error:#}"), "presence not available yet; retrying");
        }
        let presence = self.clone();
        let every = self.inner.ttl / 3;
        tasks.spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(every) => {}
                }
                if let Err(error) = presence.refresh().await {
                    tracing::warn!(error = %format!("{error:#}"), "cannot refresh presence");
                }
            }
            presence.release().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use chorus_ports::cache::MemoryCache;

    use super::*;

    fn presence(cache: &Arc<dyn Cache>, token: &str, slots: u32) -> Presence {
        Presence::new(cache.clone(), Duration::from_secs(30), slots, token.into())
    }

    #[tokio::test]
    async fn a_user_is_online_while_any_instance_has_a_socket_of_theirs() {
        let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new("presence_test"));
        let (one, two) = (presence(&cache, "a", 4), presence(&cache, "b", 4));
        one.refresh().await.expect("slot");
        two.refresh().await.expect("slot");
        let (ana, bo) = (Id(1), Id(2));

        assert!(one.socket_opened(ana));
        one.publish(ana).await.expect("publish");
        assert!(two.socket_opened(ana));
        two.publish(ana).await.expect("publish");
        assert_eq!(
            one.online(&[ana, bo]).await.expect("online"),
            HashSet::from([ana])
        );

        assert!(one.socket_closed(ana));
        one.publish(ana).await.expect("publish");
        assert!(two.is_online(ana).await.expect("online"), "still on two");
        assert!(two.socket_closed(ana));
        two.publish(ana).await.expect("publish");
        assert!(!one.is_online(ana).await.expect("online"));
    }

    #[tokio::test]
    async fn sockets_are_counted_per_user() {
        let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new("presence_count"));
        let one = presence(&cache, "a", 1);
        one.refresh().await.expect("slot");
        assert!(one.socket_opened(Id(1)));
        assert!(!one.socket_opened(Id(1)));
        assert!(!one.socket_closed(Id(1)));
        assert!(one.socket_closed(Id(1)));
        assert!(!one.socket_closed(Id(1)), "a stray close changes nothing");
    }

    #[tokio::test]
    async fn instances_never_share_a_slot_and_a_released_one_is_free_again() {
        let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new("presence_slots"));
        let (one, two, three) = (
            presence(&cache, "a", 2),
            presence(&cache, "b", 2),
            presence(&cache, "c", 2),
        );
        one.refresh().await.expect("first slot");
        two.refresh().await.expect("second slot");
        assert_ne!(one.slot(), two.slot());
        assert!(three.refresh().await.is_err(), "no slot left");

        one.socket_opened(Id(5));
        one.publish(Id(5)).await.expect("publish");
        one.release().await;
        assert!(!two.is_online(Id(5)).await.expect("online"));
        three.refresh().await.expect("the freed slot");
        assert!(three.slot().is_some());
    }

    #[tokio::test]
    async fn a_slot_taken_over_by_another_instance_is_given_up() {
        let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new("presence_takeover"));
        let one = presence(&cache, "a", 2);
        one.refresh().await.expect("slot");
        let mine = one.slot().expect("slot");
        // As if the slot had expired and another instance had claimed it.
        cache
            .set(
                &owner_key(mine),
                Bytes::from_static(b"z"),
                Duration::from_secs(30),
            )
            .await
            .expect("set");
        one.socket_opened(Id(9));
        one.refresh().await.expect("another slot");
        assert_ne!(one.slot(), Some(mine));
        assert!(one.is_online(Id(9)).await.expect("online"));
    }
}
