//! DeathStarBench's user ids and usernames against Chorus ids, kept in the
//! gateway's cache port (Redis in distributed mode, so every gateway sees
//! what another registered).
//!
//! A registration writes three entries, for a year:
//!
//! - `wrk2:user:<user_id>` → `{"id": chorus id, "username": …}`,
//! - `wrk2:name:<username>` → `{"id": chorus id, "user_id": …}`,
//! - `wrk2:chorus:<chorus id>` → `{"user_id": …, "username": …}`.
//!
//! A name found through Chorus rather than a registration (see
//! `resolve_name` in the module) gets a `name` entry without `user_id`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chorus_core::Id;
use chorus_ports::Cache;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Long enough to outlast any benchmark campaign.
const TTL: Duration = Duration::from_secs(365 * 24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ByUserId {
    pub(crate) id: Id,
    pub(crate) username: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ByName {
    pub(crate) id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ByChorusId {
    pub(crate) user_id: i64,
    pub(crate) username: String,
}

/// What a timeline answer needs to name people DeathStarBench's way.
#[derive(Debug, Default)]
pub(crate) struct Labels {
    /// Authors' Chorus ids to their DeathStarBench entries.
    pub(crate) authors: HashMap<Id, ByChorusId>,
    /// Mentioned usernames to their entries.
    pub(crate) names: HashMap<String, ByName>,
}

pub(crate) struct Directory {
    cache: Arc<dyn Cache>,
}

fn user_key(user_id: i64) -> String {
    format!("wrk2:user:{user_id}")
}

fn name_key(username: &str) -> String {
    format!("wrk2:name:{username}")
}

fn chorus_key(id: Id) -> String {
    format!("wrk2:chorus:{id}")
}

impl Directory {
    pub(crate) fn new(cache: Arc<dyn Cache>) -> Self {
        Self { cache }
    }

    /// Records a registration: DeathStarBench's `user_id` is Chorus's `id`.
    pub(crate) async fn remember(
        &self,
        user_id: i64,
        id: Id,
        username: &str,
    ) -> anyhow::Result<()> {
        self.put(
            &user_key(user_id),
            &ByUserId {
                id,
                username: username.to_string(),
            },
        )
        .await?;
        self.put(
            &name_key(username),
            &ByName {
                id,
                user_id: Some(user_id),
            },
        )
        .await?;
        self.put(
            &chorus_key(id),
            &ByChorusId {
                user_id,
                username: username.to_string(),
            },
        )
        .await
    }

    /// Records a username found in Chorus, whose DeathStarBench id is unknown.
    pub(crate) async fn remember_name(&self, username: &str, id: Id) -> anyhow::Result<()> {
        self.put(&name_key(username), &ByName { id, user_id: None })
            .await
    }

    pub(crate) async fn by_user_id(&self, user_id: i64) -> anyhow::Result<Option<ByUserId>> {
        self.get(&user_key(user_id)).await
    }

    pub(crate) async fn by_name(&self, username: &str) -> anyhow::Result<Option<ByName>> {
        self.get(&name_key(username)).await
    }

    /// The entries of `authors` and of the `names` mentioned, in one round trip.
    pub(crate) async fn labels(&self, authors: &[Id], names: &[String]) -> anyhow::Result<Labels> {
        let keys: Vec<String> = authors
            .iter()
            .map(|&id| chorus_key(id))
            .chain(names.iter().map(|name| name_key(name)))
            .collect();
        if keys.is_empty() {
            return Ok(Labels::default());
        }
        let values = self.cache.get_many(&keys).await?;
        let (author_values, name_values) = values.split_at(authors.len().min(values.len()));
        Ok(Labels {
            authors: authors
                .iter()
                .zip(author_values)
                .filter_map(|(&id, value)| Some((id, decode(value.as_ref()?)?)))
                .collect(),
            names: names
                .iter()
                .zip(name_values)
                .filter_map(|(name, value)| Some((name.clone(), decode(value.as_ref()?)?)))
                .collect(),
        })
    }

    async fn put<T: Serialize>(&self, key: &str, value: &T) -> anyhow::Result<()> {
        let bytes = Bytes::from(serde_json::to_vec(value)?);
        self.cache.set(key, bytes, TTL).await
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> anyhow::Result<Option<T>> {
        Ok(self.cache.get(key).await?.as_ref().and_then(decode))
    }
}

/// An entry, or none if it is not one this module wrote (it is then
/// written again at the next registration).
fn decode<T: DeserializeOwned>(bytes: &Bytes) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

#[cfg(test)]
mod tests {
    use chorus_ports::cache::MemoryCache;

    use super::*;

    #[tokio::test]
    async fn a_registration_is_found_by_id_name_and_chorus_id() {
        let directory = Directory::new(Arc::new(MemoryCache::new("wrk2-test")));
        directory
            .remember(4, Id(9001), "username_4")
            .await
            .expect("stored");
        assert_eq!(
            directory.by_user_id(4).await.expect("read"),
            Some(ByUserId {
                id: Id(9001),
                username: "username_4".to_string()
            })
        );
        assert_eq!(
            directory.by_name("username_4").await.expect("read"),
            Some(ByName {
                id: Id(9001),
                user_id: Some(4)
            })
        );
        assert_eq!(directory.by_user_id(5).await.expect("read"), None);

        directory
            .remember_name("someone", Id(9002))
            .await
            .expect("stored");
        let labels = directory
            .labels(
                &[Id(9001), Id(9002)],
                &[
                    "username_4".to_string(),
                    "someone".to_string(),
                    "nobody".to_string(),
                ],
            )
            .await
            .expect("read");
        assert_eq!(labels.authors.len(), 1);
        assert_eq!(labels.authors[&Id(9001)].user_id, 4);
        assert_eq!(labels.names["username_4"].user_id, Some(4));
        assert_eq!(labels.names["someone"].user_id, None);
        assert!(!labels.names.contains_key("nobody"));
    }
}
