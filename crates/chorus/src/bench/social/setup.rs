//! Builds the social network through the public API, many requests at a
//! time: every user signs up, every follow is made by its follower, and
//! every user posts, so timelines have something in them.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use http::Method;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::json;

use super::api::Api;
use super::graph::Graph;
use super::mix::compose_body;

const PASSWORD: &str = "correct horse battery staple";

/// A signed-up user and its tokens.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub access_token: String,
    refresh_token: String,
    expires_at: Instant,
}

/// How long each stage of the setup took.
#[derive(Debug, Clone, Default)]
pub struct SetupTimes {
    pub signups: Duration,
    pub follows: Duration,
    pub posts: Duration,
    pub posts_created: u64,
}

pub struct Setup<'a> {
    pub api: &'a Api,
    pub graph: &'a Graph,
    /// Usernames are `{tag}_{user}`: a fresh tag per run keeps runs against
    /// one server apart.
    pub tag: &'a str,
    pub posts_per_user: usize,
    pub concurrency: usize,
    pub seed: u64,
}

impl Setup<'_> {
    pub async fn run(&self) -> anyhow::Result<(Vec<Account>, SetupTimes)> {
        let mut times = SetupTimes::default();
        let started = Instant::now();
        let mut accounts = self.signups().await?;
        times.signups = started.elapsed();

        let started = Instant::now();
        let need = Duration::from_secs(600);
        refresh_stale(self.api, &mut accounts, need, self.concurrency).await?;
        self.profiles(&accounts).await?;
        self.follows(&accounts).await?;
        times.follows = started.elapsed();

        let started = Instant::now();
        refresh_stale(self.api, &mut accounts, need, self.concurrency).await?;
        times.posts_created = self.posts(&accounts).await?;
        times.posts = started.elapsed();
        Ok((accounts, times))
    }

    async fn signups(&self) -> anyhow::Result<Vec<Account>> {
        let users = self.graph.users;
        let signed_up = stage(
            "sign up",
            users,
            self.concurrency,
            (0..users).map(|user| async move {
                let username = format!("{}_{user}", self.tag);
                let body = json!({
                    "username": username,
                    "email": format!("{username}@bench.example"),
                    "password": PASSWORD,
                });
                let answer = self
                    .api
                    .expect(Method::POST, "/api/v1/auth/signup", None, Some(&body), 201)
                    .await?;
                let id = answer["user"]["id"]
                    .as_str()
                    .context("signup gave no user id")?
                    .to_string();
                Ok((user, tokens(id, username, &answer)?))
            }),
        )
        .await?;
        let mut accounts: Vec<Option<Account>> = vec![None; users];
        for (user, account) in signed_up {
            accounts[user] = Some(account);
        }
        accounts
            .into_iter()
            .map(|a| a.context("a user was not signed up"))
            .collect()
    }

    /// Waits until every profile exists: in distributed mode the users
    /// service creates it from the sign-up's event, a moment after the `201`.
    async fn profiles(&self, accounts: &[Account]) -> anyhow::Result<()> {
        stage(
            "profiles",
            accounts.len(),
            self.concurrency,
            accounts.iter().map(|account| {
                let path = format!("/api/v1/users/{}", account.id);
                async move {
                    let deadline = Instant::now() + Duration::from_secs(30);
                    loop {
                        match self.api.expect(Method::GET, &path, None, None, 200).await {
                            Ok(_) => return Ok(()),
                            Err(error) if Instant::now() >= deadline => return Err(error),
                            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                        }
                    }
                }
            }),
        )
        .await?;
        Ok(())
    }

    async fn follows(&self, accounts: &[Account]) -> anyhow::Result<()> {
        stage(
            "follow",
            self.graph.follows.len(),
            self.concurrency,
            self.graph.follows.iter().map(|&(follower, followee)| {
                let follower = &accounts[follower as usize];
                let path = format!("/api/v1/users/{}/follow", accounts[followee as usize].id);
                async move {
                    let answer = self
                        .api
                        .expect(Method::POST, &path, Some(&follower.access_token), None, 200)
                        .await?;
                    anyhow::ensure!(
                        answer["state"] == "following",
                        "following answered {answer}"
                    );
                    Ok(())
                }
            }),
        )
        .await?;
        Ok(())
    }

    /// Round after round, every user (in a shuffled order) posts once.
    async fn posts(&self, accounts: &[Account]) -> anyhow::Result<u64> {
        let mut order: Vec<usize> = (0..accounts.len()).collect();
        let mut rng = StdRng::seed_from_u64(self.seed);
        order.shuffle(&mut rng);
        let total = accounts.len() * self.posts_per_user;
        let writes = (0..self.posts_per_user)
            .flat_map(|_| order.iter().copied())
            .map(|author| {
                let body = compose_body(&mut rng, accounts.len(), |i| &accounts[i].username);
                let token = &accounts[author].access_token;
                async move {
                    let body: serde_json::Value = serde_json::from_str(&body)?;
                    self.api
                        .expect(Method::POST, "/api/v1/posts", Some(token), Some(&body), 201)
                        .await?;
                    Ok(())
                }
            });
        let done = stage("post", total, self.concurrency, writes).await?;
        Ok(done.len() as u64)
    }
}

fn tokens(id: String, username: String, answer: &serde_json::Value) -> anyhow::Result<Account> {
    let access_token = answer["access_token"]
        .as_str()
        .context("no access_token in the answer")?
        .to_string();
    let refresh_token = answer["refresh_token"]
        .as_str()
        .context("no refresh_token in the answer")?
        .to_string();
    let expires_in = answer["expires_in"].as_u64().unwrap_or(0);
    Ok(Account {
        id,
        username,
        access_token,
        refresh_token,
        expires_at: Instant::now() + Duration::from_secs(expires_in),
    })
}

/// Renews the access tokens that would expire within `need` (a server given
/// by URL keeps its own token lifetime; the embedded one is told a long one).
pub async fn refresh_stale(
    api: &Api,
    accounts: &mut [Account],
    need: Duration,
    concurrency: usize,
) -> anyhow::Result<()> {
    let soon = Instant::now() + need;
    let stale: Vec<usize> = (0..accounts.len())
        .filter(|&i| accounts[i].expires_at < soon)
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    let renewed = {
        let accounts = &*accounts;
        stage(
            "refresh tokens",
            stale.len(),
            concurrency,
            stale.iter().map(|&i| async move {
                let account = &accounts[i];
                let body = json!({"refresh_token": account.refresh_token});
                let answer = api
                    .expect(Method::POST, "/api/v1/auth/refresh", None, Some(&body), 200)
                    .await?;
                Ok((
                    i,
                    tokens(account.id.clone(), account.username.clone(), &answer)?,
                ))
            }),
        )
        .await?
    };
    for (i, account) in renewed {
        accounts[i] = account;
    }
    Ok(())
}

/// Runs `work`, `concurrency` at a time, with a progress bar; the first
/// failure stops the stage.
async fn stage<T, Fut>(
    name: &str,
    len: usize,
    concurrency: usize,
    work: impl Iterator<Item = Fut>,
) -> anyhow::Result<Vec<T>>
where
    Fut: Future<Output = anyhow::Result<T>>,
{
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:16} [{bar:30}] {human_pos}/{human_len} {per_sec:>12} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(name.to_string());
    let done = futures::stream::iter(work)
        .buffer_unordered(concurrency.max(1))
        .inspect_ok(|_| bar.inc(1))
        .try_collect::<Vec<T>>()
        .await;
    match &done {
        Ok(_) => bar.finish(),
        Err(_) => bar.abandon(),
    }
    done.with_context(|| format!("setting up: {name}"))
}
