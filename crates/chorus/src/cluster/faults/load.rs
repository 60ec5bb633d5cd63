//! The steady mix driven through the cluster while faults happen: signups,
//! posts, comments, likes, follows, chat messages and reads, at a fixed
//! rate. Every request is logged with its outcome, and every write the API
//! acknowledged goes in the [`Ledger`] the checks hold the cluster to.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// A user the mix acts as.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub token: String,
}

/// An acknowledged post: its unique word finds it in search.
#[derive(Debug, Clone)]
pub struct PostRecord {
    pub id: String,
    pub author: String,
    pub word: String,
    pub at: Instant,
}

/// What the API acknowledged, and which writes failed without a verdict (a
/// failed request may still have been applied, once).
#[derive(Default)]
pub struct Ledger {
    pub users: Vec<Actor>,
    pub posts: Vec<PostRecord>,
    /// post → comment ids acknowledged.
    pub comments: BTreeMap<String, Vec<String>>,
    /// post → comments whose request failed.
    pub uncertain_comments: BTreeMap<String, usize>,
    /// post → when it was last liked or commented on (acknowledged or not).
    pub touched: BTreeMap<String, Instant>,
    /// post → users whose like was acknowledged.
    pub likes: BTreeMap<String, BTreeSet<String>>,
    pub uncertain_likes: BTreeMap<String, BTreeSet<String>>,
    /// (follower, followee) → when acknowledged.
    pub follows: BTreeMap<(String, String), Instant>,
    pub uncertain_follows: BTreeSet<(String, String)>,
    /// conversation → (its members, message ids acknowledged).
    pub conversations: BTreeMap<String, (Vec<Actor>, Vec<String>)>,
    pub uncertain_messages: BTreeMap<String, usize>,
}

/// One request's outcome: when it started and ended, and whether it succeeded.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub started: Instant,
    pub ended: Instant,
    pub ok: bool,
}

pub struct Mix {
    pub client: reqwest::Client,
    pub base: String,
    pub ledger: Mutex<Ledger>,
    pub outcomes: Mutex<Vec<Outcome>>,
    pub errors: Mutex<BTreeMap<String, usize>>,
    /// Answers that said to try again later (`Retry-After`), and were.
    pub deferred: std::sync::atomic::AtomicUsize,
}

impl Mix {
    pub fn new(base: &str) -> anyhow::Result<Arc<Self>> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Arc::new(Self {
            client,
            base: base.trim_end_matches('/').to_string(),
            ledger: Mutex::default(),
            outcomes: Mutex::default(),
            errors: Mutex::default(),
            deferred: Default::default(),
        }))
    }

    /// Sends one request; `Ok(body)` only for a 2xx. Every call is an outcome.
    pub async fn call(
        &self,
        what: &str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        // As the API asks: an answer with `Retry-After` is tried again after
        // that long, for up to 10 s in all. Such answers are counted.
        let started = Instant::now();
        let deadline = started + Duration::from_secs(10);
        let result = loop {
            match self
                .send_once(method.clone(), path, token, body.clone())
                .await
            {
                Err(Failure::Later(after)) if Instant::now() + after < deadline => {
                    self.deferred
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(after).await;
                }
                other => break other.map_err(Failure::into_error),
            }
        };
        self.outcomes.lock().expect("outcomes").push(Outcome {
            started,
            ended: Instant::now(),
            ok: result.is_ok(),
        });
        if let Err(error) = &result {
            let key = format!("{what}: {}", short(error));
            *self.errors.lock().expect("errors").entry(key).or_default() += 1;
        }
        result
    }

    /// A request outside the measured mix (setup and checks).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        self.send_once(method, path, token, body)
            .await
            .map_err(Failure::into_error)
    }

    async fn send_once(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| Failure::Error(e.into()))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        let text = response
            .text()
            .await
            .map_err(|e| Failure::Error(e.into()))?;
        if !status.is_success() {
            return Err(match retry_after {
                Some(secs) => Failure::Later(Duration::from_secs(secs.clamp(1, 5))),
                None => Failure::Error(anyhow::anyhow!("{status} {}", truncate(&text))),
            });
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| Failure::Error(e.into()))
    }

    pub async fn signup(&self, measured: bool) -> anyhow::Result<Actor> {
        let name = format!("f{:x}", rand::random::<u64>() & 0xffff_ffff_ffff);
        let body = json!({"username": name, "email": format!("{name}@faults.invalid"), "password": "fault-suite-password"});
        let path = "/api/v1/auth/signup";
        let answer = if measured {
            self.call("signup", reqwest::Method::POST, path, None, Some(body))
                .await?
        } else {
            self.send(reqwest::Method::POST, path, None, Some(body))
                .await?
        };
        let actor = Actor {
            id: text(&answer["user"]["id"])?,
            token: text(&answer["access_token"])?,
        };
        self.ledger
            .lock()
            .expect("ledger")
            .users
            .push(actor.clone());
        Ok(actor)
    }

    /// Users, a follow graph among them and group conversations, made before
    /// any fault (outside the measured mix).
    pub async fn setup(self: &Arc<Self>, users: usize) -> anyhow::Result<()> {
        let mut actors = Vec::new();
        for _ in 0..users {
            actors.push(self.signup(false).await.context("setup signup")?);
        }
        for (i, actor) in actors.iter().enumerate() {
            for step in 1..=4 {
                let followee = &actors[(i + step * 3) % actors.len()];
                if followee.id == actor.id {
                    continue;
                }
                self.follow(actor, followee, false).await?;
            }
        }
        for group in actors.chunks(4).filter(|group| group.len() >= 2) {
            let members: Vec<&str> = group[1..].iter().map(|a| a.id.as_str()).collect();
            let answer = self
                .send(
                    reqwest::Method::POST,
                    "/api/v1/conversations",
                    Some(&group[0].token),
                    Some(json!({"member_ids": members, "title": "faults"})),
                )
                .await
                .context("setup conversation")?;
            self.ledger
                .lock()
                .expect("ledger")
                .conversations
                .insert(text(&answer["id"])?, (group.to_vec(), Vec::new()));
        }
        Ok(())
    }

    async fn follow(&self, who: &Actor, whom: &Actor, measured: bool) -> anyhow::Result<()> {
        let path = format!("/api/v1/users/{}/follow", whom.id);
        let pair = (who.id.clone(), whom.id.clone());
        let result = if measured {
            self.call(
                "follow",
                reqwest::Method::POST,
                &path,
                Some(&who.token),
                None,
            )
            .await
        } else {
            self.send(reqwest::Method::POST, &path, Some(&who.token), None)
                .await
        };
        let mut ledger = self.ledger.lock().expect("ledger");
        match result {
            Ok(_) => {
                ledger.follows.entry(pair).or_insert_with(Instant::now);
                Ok(())
            }
            Err(error) => {
                ledger.uncertain_follows.insert(pair);
                Err(error)
            }
        }
    }

    /// Drives the mix at `rate` operations a second until `stop`.
    pub async fn drive(self: Arc<Self>, rate: u32, stop: CancellationToken) {
        let in_flight = Arc::new(Semaphore::new(64));
        let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {}
            }
            let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
                break;
            };
            let mix = Arc::clone(&self);
            tasks.spawn(async move {
                let _ = mix.one_operation().await;
                drop(permit);
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    }

    async fn one_operation(&self) -> anyhow::Result<()> {
        let (actor, other, post, conversation) = {
            let ledger = self.ledger.lock().expect("ledger");
            let mut rng = rand::rng();
            let actor = ledger.users.choose(&mut rng).cloned().context("no users")?;
            let other = ledger.users.choose(&mut rng).cloned().context("no users")?;
            let post = ledger.posts.choose(&mut rng).map(|p| p.id.clone());
            let ids: Vec<&String> = ledger.conversations.keys().collect();
            let conversation = ids
                .choose(&mut rng)
                .map(|id| ((*id).clone(), ledger.conversations[*id].0.clone()));
            (actor, other, post, conversation)
        };
        let roll = rand::random_range(0..100);
        match (roll, post) {
            (0..25, _) => {
                self.call(
                    "feed",
                    reqwest::Method::GET,
                    "/api/v1/feed?limit=20",
                    Some(&actor.token),
                    None,
                )
                .await?;
            }
            (25..40, Some(post)) => {
                let path = format!("/api/v1/posts/{post}");
                self.call(
                    "read post",
                    reqwest::Method::GET,
                    &path,
                    Some(&actor.token),
                    None,
                )
                .await?;
            }
            (40..52, Some(post)) => self.comment(&actor, &post).await?,
            (52..67, Some(post)) => self.like(&actor, &post).await?,
            (67..72, _) if actor.id != other.id => self.follow(&actor, &other, true).await?,
            (72..82, _) => {
                if let Some((id, members)) = conversation {
                    let sender = members
                        .choose(&mut rand::rng())
                        .cloned()
                        .context("members")?;
                    self.message(&sender, &id).await?;
                }
            }
            (82..85, _) => {
                self.signup(true).await?;
            }
            _ => self.post(&actor).await?,
        }
        Ok(())
    }

    async fn post(&self, actor: &Actor) -> anyhow::Result<()> {
        let word = format!("fw{:x}", rand::random::<u64>());
        let body = json!({"content": format!("fault suite {word}"), "visibility": "public"});
        let answer = self
            .call(
                "post",
                reqwest::Method::POST,
                "/api/v1/posts",
                Some(&actor.token),
                Some(body),
            )
            .await?;
        self.ledger.lock().expect("ledger").posts.push(PostRecord {
            id: text(&answer["id"])?,
            author: actor.id.clone(),
            word,
            at: Instant::now(),
        });
        Ok(())
    }

    async fn comment(&self, actor: &Actor, post: &str) -> anyhow::Result<()> {
        let path = format!("/api/v1/posts/{post}/comments");
        let body = json!({"content": "a comment under fault"});
        let result = self
            .call(
                "comment",
                reqwest::Method::POST,
                &path,
                Some(&actor.token),
                Some(body),
            )
            .await;
        let mut ledger = self.ledger.lock().expect("ledger");
        ledger.touched.insert(post.to_string(), Instant::now());
        match result {
            Ok(answer) => {
                let id = text(&answer["id"])?;
                ledger
                    .comments
                    .entry(post.to_string())
                    .or_default()
                    .push(id);
                Ok(())
            }
            Err(error) => {
                *ledger
                    .uncertain_comments
                    .entry(post.to_string())
                    .or_default() += 1;
                Err(error)
            }
        }
    }

    async fn like(&self, actor: &Actor, post: &str) -> anyhow::Result<()> {
        let path = format!("/api/v1/posts/{post}/reactions/like");
        let result = self
            .call(
                "like",
                reqwest::Method::PUT,
                &path,
                Some(&actor.token),
                None,
            )
            .await;
        let mut ledger = self.ledger.lock().expect("ledger");
        ledger.touched.insert(post.to_string(), Instant::now());
        let map = match &result {
            Ok(_) => &mut ledger.likes,
            Err(_) => &mut ledger.uncertain_likes,
        };
        map.entry(post.to_string())
            .or_default()
            .insert(actor.id.clone());
        result.map(drop)
    }

    async fn message(&self, sender: &Actor, conversation: &str) -> anyhow::Result<()> {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        let body = json!({"content": "a message under fault"});
        let result = self
            .call(
                "message",
                reqwest::Method::POST,
                &path,
                Some(&sender.token),
                Some(body),
            )
            .await;
        let mut ledger = self.ledger.lock().expect("ledger");
        match result {
            Ok(answer) => {
                let id = text(&answer["id"])?;
                if let Some((_, ids)) = ledger.conversations.get_mut(conversation) {
                    ids.push(id);
                }
                Ok(())
            }
            Err(error) => {
                *ledger
                    .uncertain_messages
                    .entry(conversation.to_string())
                    .or_default() += 1;
                Err(error)
            }
        }
    }
}

/// Why a request gave no answer to use.
enum Failure {
    /// The API said to try again after this long (`Retry-After`).
    Later(Duration),
    Error(anyhow::Error),
}

impl Failure {
    fn into_error(self) -> anyhow::Error {
        match self {
            Failure::Later(after) => anyhow::anyhow!("503 retry after {after:?}"),
            Failure::Error(error) => error,
        }
    }
}

pub fn text(value: &Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("expected a string, got {value}"))
}

fn truncate(text: &str) -> String {
    text.chars().take(160).collect()
}

/// An error's gist, so that like errors count together.
fn short(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    match text.split_once(' ') {
        Some((status, _)) if status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()) => {
            status.to_string()
        }
        _ => truncate(&text),
    }
}
