//! Timelines: Chorus's cursor pages gathered up to `stop`, sliced from
//! `start`, and each post in DeathStarBench's shape.

use std::future::Future;

use chorus_core::Id;
use serde::{Deserialize, Serialize};

use super::answer::Failure;
use super::directory::Labels;

/// The most a Chorus list gives per page.
const MAX_LIMIT: usize = 100;

/// A page of a Chorus list of posts (only what the answer needs).
#[derive(Debug, Deserialize)]
pub(crate) struct Page {
    pub(crate) items: Vec<Post>,
    pub(crate) next_cursor: Option<String>,
}

/// A Chorus post (`post` in the API contract), the fields used here.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Post {
    pub(crate) id: Id,
    pub(crate) author: Author,
    pub(crate) content: String,
    #[serde(default)]
    pub(crate) media: Vec<Media>,
    #[serde(default)]
    pub(crate) mentions: Vec<String>,
    #[serde(default)]
    pub(crate) repost_of: Option<Id>,
    pub(crate) created_at: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Author {
    pub(crate) id: Id,
    pub(crate) username: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Media {
    pub(crate) id: Id,
}

/// One timeline entry as DeathStarBench's front end writes it (its ids are
/// strings, `post_type` a number).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) post_id: String,
    pub(crate) creator: Person,
    pub(crate) req_id: String,
    pub(crate) text: String,
    pub(crate) user_mentions: Vec<Person>,
    pub(crate) media: Vec<MediaEntry>,
    pub(crate) urls: Vec<Url>,
    pub(crate) timestamp: String,
    pub(crate) post_type: i64,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Person {
    pub(crate) user_id: String,
    pub(crate) username: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct MediaEntry {
    pub(crate) media_id: String,
    pub(crate) media_type: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) shortened_url: String,
    pub(crate) expanded_url: String,
}

/// The first `stop` posts of a list, asking `fetch(limit, cursor)` for as
/// many pages as that takes (each at most 100), fewer if the list ends.
pub(crate) async fn first<F, Fut>(stop: usize, mut fetch: F) -> Result<Vec<Post>, Failure>
where
    F: FnMut(usize, Option<String>) -> Fut,
    Fut: Future<Output = Result<Page, Failure>>,
{
    let mut posts = Vec::new();
    let mut cursor = None;
    while posts.len() < stop {
        let limit = (stop - posts.len()).min(MAX_LIMIT);
        let page = fetch(limit, cursor.take()).await?;
        let fetched = page.items.len();
        posts.extend(page.items);
        match page.next_cursor {
            Some(next) if fetched > 0 => cursor = Some(next),
            _ => break,
        }
    }
    posts.truncate(stop);
    Ok(posts)
}

/// Who the entries name: authors by Chorus id, mentions by username.
pub(crate) fn people(posts: &[Post]) -> (Vec<Id>, Vec<String>) {
    let mut authors: Vec<Id> = posts.iter().map(|post| post.author.id).collect();
    authors.sort_unstable();
    authors.dedup();
    let mut names: Vec<String> = posts
        .iter()
        .flat_map(|post| post.mentions.iter().cloned())
        .collect();
    names.sort_unstable();
    names.dedup();
    (authors, names)
}

/// A Chorus post as a DeathStarBench timeline entry.
///
/// - `creator.user_id` and a mention's `user_id` are the DeathStarBench ids
///   registered for them; for a user registered otherwise, the `<i>` of a
///   `username_<i>` name (DeathStarBench's naming), else the Chorus id (for
///   a creator) or `""` (for a mention the id map does not know).
/// - `req_id` is `"0"`: Chorus keeps no request id with a post.
/// - `media` lists the post's Chorus media with an empty `media_type`
///   (posts composed here have none).
/// - `urls` are the `http://` and `https://` words of the text, each its
///   own shortened and expanded form: Chorus does not shorten links.
/// - `timestamp` is `created_at` in Unix milliseconds; `post_type` is 1
///   (repost) for a repost, else 0 (post).
pub(crate) fn entry(post: Post, labels: &Labels) -> Entry {
    let creator_id = labels
        .authors
        .get(&post.author.id)
        .map(|known| known.user_id.to_string())
        .or_else(|| conventional_id(&post.author.username))
        .unwrap_or_else(|| post.author.id.to_string());
    let user_mentions = post
        .mentions
        .iter()
        .map(|name| {
            let known = labels.names.get(name);
            let user_id = known
                .and_then(|known| known.user_id)
                .map(|id| id.to_string())
                .or_else(|| conventional_id(name))
                .or_else(|| known.map(|known| known.id.to_string()))
                .unwrap_or_default();
            Person {
                user_id,
                username: name.clone(),
            }
        })
        .collect();
    let timestamp = chrono::DateTime::parse_from_rfc3339(&post.created_at)
        .map(|at| at.timestamp_millis())
        .unwrap_or_else(|_| post.id.timestamp_ms());
    Entry {
        post_id: post.id.to_string(),
        creator: Person {
            user_id: creator_id,
            username: post.author.username,
        },
        req_id: "0".to_string(),
        urls: urls(&post.content),
        text: post.content,
        user_mentions,
        media: post
            .media
            .iter()
            .map(|media| MediaEntry {
                media_id: media.id.to_string(),
                media_type: String::new(),
            })
            .collect(),
        timestamp: timestamp.to_string(),
        post_type: i64::from(post.repost_of.is_some()),
    }
}

/// DeathStarBench names user `i` `username_i`.
fn conventional_id(username: &str) -> Option<String> {
    username
        .strip_prefix("username_")
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()))
        .and_then(|digits| digits.parse::<i64>().ok())
        .map(|id| id.to_string())
}

fn urls(text: &str) -> Vec<Url> {
    text.split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(|url| Url {
            shortened_url: url.to_string(),
            expanded_url: url.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::super::directory::{ByChorusId, ByName};
    use super::*;

    fn post(id: i64) -> Post {
        Post {
            id: Id(id),
            author: Author {
                id: Id(500),
                username: "ana".to_string(),
            },
            content: format!("post {id}"),
            media: Vec::new(),
            mentions: Vec::new(),
            repost_of: None,
            created_at: "2025-03-01T12:00:00.250Z".to_string(),
        }
    }

    /// A list of `len` posts, newest (highest id) first, served in pages;
    /// the cursor is the index of the next post.
    async fn gather(len: usize, stop: usize, asked: &Mutex<Vec<usize>>) -> Vec<i64> {
        let all: Vec<i64> = (0..len as i64).rev().collect();
        let posts = first(stop, |limit, cursor| {
            asked.lock().expect("lock").push(limit);
            let from: usize = cursor.map_or(0, |cursor| cursor.parse().expect("index"));
            let to = (from + limit).min(all.len());
            let page = Page {
                items: all[from..to].iter().map(|&id| post(id)).collect(),
                next_cursor: (to < all.len()).then(|| to.to_string()),
            };
            async move { Ok(page) }
        })
        .await
        .expect("pages");
        posts.iter().map(|post| post.id.0).collect()
    }

    #[tokio::test]
    async fn pages_are_fetched_until_stop_is_covered() {
        let asked = Mutex::new(Vec::new());
        let ids = gather(300, 110, &asked).await;
        assert_eq!(ids.len(), 110);
        assert_eq!(ids[0], 299);
        assert_eq!(ids[109], 190);
        assert_eq!(*asked.lock().expect("lock"), [100, 10]);
    }

    #[tokio::test]
    async fn a_short_list_ends_the_fetching() {
        let asked = Mutex::new(Vec::new());
        let ids = gather(15, 110, &asked).await;
        assert_eq!(ids.len(), 15);
        assert_eq!(*asked.lock().expect("lock"), [100]);

        let asked = Mutex::new(Vec::new());
        assert_eq!(gather(15, 10, &asked).await.len(), 10);
        assert_eq!(*asked.lock().expect("lock"), [10]);
    }

    #[test]
    fn a_post_becomes_an_entry_with_deathstarbench_ids() {
        let mut post = post(7);
        post.author = Author {
            id: Id(500),
            username: "ana".to_string(),
        };
        post.content = "hi @username_3 @bo @cy http://a.example/x https://b.example".to_string();
        post.mentions = vec!["username_3".to_string(), "bo".to_string(), "cy".to_string()];
        post.media = vec![Media { id: Id(42) }];
        let labels = Labels {
            authors: HashMap::from([(
                Id(500),
                ByChorusId {
                    user_id: 11,
                    username: "ana".to_string(),
                },
            )]),
            names: HashMap::from([(
                "bo".to_string(),
                ByName {
                    id: Id(600),
                    user_id: Some(12),
                },
            )]),
        };
        let entry = entry(post, &labels);
        assert_eq!(entry.post_id, "7");
        assert_eq!(
            entry.creator,
            Person {
                user_id: "11".to_string(),
                username: "ana".to_string()
            }
        );
        let mentions: Vec<(&str, &str)> = entry
            .user_mentions
            .iter()
            .map(|person| (person.user_id.as_str(), person.username.as_str()))
            .collect();
        assert_eq!(mentions, [("3", "username_3"), ("12", "bo"), ("", "cy")]);
        assert_eq!(
            entry.urls,
            [
                Url {
                    shortened_url: "http://a.example/x".to_string(),
                    expanded_url: "http://a.example/x".to_string()
                },
                Url {
                    shortened_url: "https://b.example".to_string(),
                    expanded_url: "https://b.example".to_string()
                }
            ]
        );
        assert_eq!(entry.media[0].media_id, "42");
        assert_eq!(entry.timestamp, "1740830400250");
        assert_eq!(entry.post_type, 0);
        assert_eq!(entry.req_id, "0");
    }

    #[test]
    fn an_unknown_creator_is_named_by_convention_else_by_chorus_id() {
        let mut conventional = post(1);
        conventional.author.username = "username_961".to_string();
        assert_eq!(
            entry(conventional, &Labels::default()).creator.user_id,
            "961"
        );
        let mut repost = post(2);
        repost.repost_of = Some(Id(1));
        let entry = entry(repost, &Labels::default());
        assert_eq!(entry.creator.user_id, "500");
        assert_eq!(entry.post_type, 1);
    }

    #[test]
    fn the_entry_has_deathstarbench_field_names() {
        let value = serde_json::to_value(entry(post(3), &Labels::default())).expect("json");
        let keys: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "post_id",
            "creator",
            "req_id",
            "text",
            "user_mentions",
            "media",
            "urls",
            "timestamp",
            "post_type",
        ] {
            assert!(keys.contains(&key), "{key}");
        }
        assert!(value["creator"]["user_id"].is_string());
        assert!(value["post_type"].is_number());
    }
}
