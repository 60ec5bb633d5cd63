//! Fan-out lag: how long after a post is accepted (its 201) it shows on the
//! first page of its followers' home timelines. A few pollers read the
//! sampled followers' feeds in turn, each follower at most once per poll
//! interval, until every one has seen the post; a sighting is timed at the
//! end of the read that saw it (an upper bound, by one read's latency).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use http::Method;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde_json::json;

use super::api::Api;
use super::setup::Account;

#[derive(Debug, Clone)]
pub struct LagSettings {
    /// Ordinary users who post once each.
    pub posts: usize,
    /// Followers watched per ordinary post, at most.
    pub followers: usize,
    /// Followers of the celebrity watched.
    pub celebrity_followers: usize,
    pub poll: Duration,
    pub pollers: usize,
    /// A follower who has not seen a post by then is counted as never seeing it.
    pub timeout: Duration,
    pub seed: u64,
}

/// What watching one post's followers found.
#[derive(Debug, Clone, Default)]
pub struct Sightings {
    /// Per watched follower, how long after the 201 the post showed up.
    pub seen: Vec<Option<Duration>>,
    /// Followers who saw it on their very first read.
    pub first_read: usize,
    /// Failed reads (5xx, connection trouble), retried.
    pub errors: u64,
}

impl Sightings {
    pub fn unseen(&self) -> usize {
        self.seen.iter().filter(|s| s.is_none()).count()
    }

    /// When the last watched follower saw it; `None` if some never did.
    pub fn all_seen_after(&self) -> Option<Duration> {
        self.seen
            .iter()
            .try_fold(Duration::ZERO, |most, s| Some(most.max((*s)?)))
    }
}

/// The ordinary-post measurement: one `Sightings` per post.
pub async fn ordinary(
    api: &Api,
    accounts: &[Account],
    followers: &[Vec<u32>],
    celebrity: Option<u32>,
    settings: &LagSettings,
) -> anyhow::Result<Vec<Sightings>> {
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut authors: Vec<usize> = (0..accounts.len())
        .filter(|&u| !followers[u].is_empty() && Some(u as u32) != celebrity)
        .collect();
    authors.shuffle(&mut rng);
    authors.truncate(settings.posts);
    let mut all = Vec::with_capacity(authors.len());
    for (n, &author) in authors.iter().enumerate() {
        let watched: Vec<&Account> = followers[author]
            .choose_multiple(&mut rng, settings.followers)
            .map(|&f| &accounts[f as usize])
            .collect();
        eprintln!(
            "fan-out lag: post {}/{} by a user with {} followers, watching {}",
            n + 1,
            authors.len(),
            followers[author].len(),
            watched.len()
        );
        all.push(watch(api, &accounts[author], &watched, settings).await?);
    }
    Ok(all)
}

/// The celebrity posts once, watched by a sample of its followers.
pub async fn celebrity(
    api: &Api,
    accounts: &[Account],
    followers: &[u32],
    celebrity: u32,
    settings: &LagSettings,
) -> anyhow::Result<Sightings> {
    let mut rng = StdRng::seed_from_u64(settings.seed.wrapping_add(1));
    let watched: Vec<&Account> = followers
        .choose_multiple(&mut rng, settings.celebrity_followers)
        .map(|&f| &accounts[f as usize])
        .collect();
    eprintln!(
        "fan-out lag: the celebrity ({} followers) posts, watching {}",
        followers.len(),
        watched.len()
    );
    watch(api, &accounts[celebrity as usize], &watched, settings).await
}

struct Probe {
    follower: usize,
    last_read: Option<Instant>,
}

/// `author` posts; the answer's 201 starts the clock for every follower.
async fn watch(
    api: &Api,
    author: &Account,
    followers: &[&Account],
    settings: &LagSettings,
) -> anyhow::Result<Sightings> {
    let body = json!({
        "content": format!("fan-out lag probe {:016x}", rand::random::<u64>()),
        "visibility": "public",
    });
    let post = api
        .expect(
            Method::POST,
            "/api/v1/posts",
            Some(&author.access_token),
            Some(&body),
            201,
        )
        .await?;
    let created = Instant::now();
    let id = post["id"]
        .as_str()
        .context("the post has no id")?
        .to_string();

    let queue = Mutex::new(
        (0..followers.len())
            .map(|follower| Probe {
                follower,
                last_read: None,
            })
            .collect::<VecDeque<_>>(),
    );
    let found = Mutex::new(Sightings {
        seen: vec![None; followers.len()],
        ..Sightings::default()
    });
    let (queue, found, id) = (&queue, &found, id.as_str());
    let poller = move || async move {
        loop {
            let Some(probe) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                return Ok::<_, anyhow::Error>(());
            };
            if created.elapsed() > settings.timeout {
                continue; // stays unseen
            }
            if let Some(last) = probe.last_read {
                tokio::time::sleep_until((last + settings.poll).into()).await;
            }
            let token = &followers[probe.follower].access_token;
            let answer = api
                .call(Method::GET, "/api/v1/feed?limit=20", Some(token), None)
                .await;
            let read_at = Instant::now();
            let shows = match answer {
                Ok((status, bytes)) if status.is_success() => contains(&bytes, id)?,
                Ok((status, bytes)) if status.is_client_error() => anyhow::bail!(
                    "GET /api/v1/feed answered {status}: {}",
                    String::from_utf8_lossy(&bytes)
                ),
                _ => {
                    if let Ok(mut found) = found.lock() {
                        found.errors += 1;
                    }
                    false
                }
            };
            if shows {
                if let Ok(mut found) = found.lock() {
                    found.seen[probe.follower] = Some(read_at - created);
                    if probe.last_read.is_none() {
                        found.first_read += 1;
                    }
                }
            } else if let Ok(mut queue) = queue.lock() {
                queue.push_back(Probe {
                    last_read: Some(read_at),
                    ..probe
                });
            }
        }
    };
    let pollers = settings.pollers.clamp(1, followers.len().max(1));
    futures::future::try_join_all((0..pollers).map(|_| poller())).await?;
    found
        .lock()
        .map(|found| found.clone())
        .map_err(|_| anyhow::anyhow!("a poller panicked"))
}

/// Whether a feed page (`{items: [post…]}`) holds the post `id`.
fn contains(page: &[u8], id: &str) -> anyhow::Result<bool> {
    let page: serde_json::Value =
        serde_json::from_slice(page).context("GET /api/v1/feed answered something not JSON")?;
    let items = page["items"]
        .as_array()
        .context("GET /api/v1/feed answered no items")?;
    Ok(items.iter().any(|post| post["id"] == id))
}

/// Milliseconds at quantile `q` of `values` (nearest rank); 0 when empty.
pub fn quantile_ms(values: &[Duration], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_millis(m))
                .collect::<Vec<_>>()
        };
        let values = ms(&[5, 1, 4, 2, 3]);
        assert_eq!(quantile_ms(&values, 0.5), 3.0);
        assert_eq!(quantile_ms(&values, 0.99), 5.0);
        assert_eq!(quantile_ms(&values, 0.0), 1.0);
        assert_eq!(quantile_ms(&[], 0.5), 0.0);
    }

    #[test]
    fn all_seen_needs_every_follower() {
        let mut sightings = Sightings {
            seen: vec![
                Some(Duration::from_millis(3)),
                Some(Duration::from_millis(7)),
            ],
            ..Sightings::default()
        };
        assert_eq!(sightings.all_seen_after(), Some(Duration::from_millis(7)));
        sightings.seen.push(None);
        assert_eq!(sightings.all_seen_after(), None);
        assert_eq!(sightings.unseen(), 1);
    }

    #[test]
    fn a_page_contains_a_post_by_its_string_id() -> anyhow::Result<()> {
        let page = br#"{"items":[{"id":"12"},{"id":"345"}],"next_cursor":null}"#;
        assert!(contains(page, "345")?);
        assert!(!contains(page, "34")?);
        assert!(contains(b"{}", "1").is_err());
        Ok(())
    }
}
