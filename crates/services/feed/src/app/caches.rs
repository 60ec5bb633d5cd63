//! What a read needs, cached read-through with single-flight (the cache
//! port: Redis in distributed mode, shared by every feed instance; in
//! process when embedded). Events invalidate entries; a TTL bounds what a
//! lost event could leave stale.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chorus_core::{ApiResult, Id};
use chorus_ports::Cache;
use chorus_ports::cache::ReadThrough;
use chorus_rpc::posts::PostBody;
use chorus_rpc::users::UserCard;
use chorus_rpc::{PostsApi, UsersApi};

use super::graph::GraphView;
use super::load_error;

pub struct Caches {
    /// Post bodies by id: the same for every viewer.
    pub bodies: ReadThrough<PostBody>,
    /// Authors' cards by id.
    pub cards: ReadThrough<UserCard>,
    /// Whom a viewer follows and who is hidden from them.
    pub graphs: ReadThrough<GraphView>,
    /// The accounts not fanned out to (one entry, key [`ALL`]).
    pub celebrities: ReadThrough<Vec<Id>>,
    /// A celebrity's newest posts, merged into timelines at read.
    pub recent: ReadThrough<Vec<Id>>,
}

/// The key of single-entry caches.
pub const ALL: &str = "all";

impl Caches {
    pub fn new(cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self {
            bodies: ReadThrough::new(cache.clone(), "feed:post", ttl),
            cards: ReadThrough::new(cache.clone(), "feed:card", ttl),
            graphs: ReadThrough::new(cache.clone(), "feed:graph", ttl),
            celebrities: ReadThrough::new(cache.clone(), "feed:celebrities", ttl),
            recent: ReadThrough::new(cache, "feed:recent", ttl),
        }
    }

    /// The bodies of the posts among `ids` that exist, by id.
    pub async fn bodies(
        &self,
        posts: &Arc<dyn PostsApi>,
        ids: &[Id],
    ) -> ApiResult<HashMap<Id, PostBody>> {
        let keys: Vec<String> = ids.iter().map(Id::to_string).collect();
        let found = self
            .bodies
            .get_many_or_load(&keys, |missing| async move {
                let missing = parse_keys(&missing);
                let bodies = posts.bodies(&missing).await?;
                Ok(bodies
                    .into_iter()
                    .map(|body| (body.id.to_string(), body))
                    .collect())
            })
            .await
            .map_err(|error| load_error(error, "posts"))?;
        Ok(found.into_values().map(|body| (body.id, body)).collect())
    }

    /// The cards of the accounts among `ids` that exist, by id.
    pub async fn cards(
        &self,
        users: &Arc<dyn UsersApi>,
        ids: &[Id],
    ) -> ApiResult<HashMap<Id, UserCard>> {
        let keys: Vec<String> = ids.iter().map(Id::to_string).collect();
        let found = self
            .cards
            .get_many_or_load(&keys, |missing| async move {
                let missing = parse_keys(&missing);
                let cards = users.cards(&missing).await?;
                Ok(cards
                    .into_iter()
                    .map(|card| (card.id.to_string(), card))
                    .collect())
            })
            .await
            .map_err(|error| load_error(error, "authors"))?;
        Ok(found.into_values().map(|card| (card.id, card)).collect())
    }
}

/// Keys are ids this module wrote: one that does not parse cannot occur, and
/// would only be left out.
fn parse_keys(keys: &[String]) -> Vec<Id> {
    keys.iter().filter_map(|key| key.parse().ok()).collect()
}
