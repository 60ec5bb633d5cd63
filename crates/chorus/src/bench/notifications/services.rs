//! The services under test, in this process, on the ports `chorus up` gives
//! them (or, with `CHORUS_INFRA__*` set, PostgreSQL, Redis and RabbitMQ as
//! `chorus serve` does): the users service, and the notifications service,
//! its consumer timed and stamping each event it applied.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use chorus_core::{ApiResult, Envelope, Id};
use chorus_notifications::NotificationsService;
use chorus_ports::{DbTarget, EventBus, EventHandler, PubSub, ServiceContext, Subscription};
use chorus_rpc::UsersApi;
use chorus_rpc::users::{FollowState, Profile, Relation, UserCard};
use chorus_users::UsersService;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

use super::measure::Clock;
use super::workload::Member;
use crate::config::Config;

/// Registrations in flight while the population is created.
const REGISTER_CONCURRENCY: usize = 64;
/// How long the population may take to show in the users service.
const REGISTER_PATIENCE: Duration = Duration::from_secs(120);

pub struct Stack {
    pub config: Config,
    pub ctx: ServiceContext,
    pub users: UsersService,
    pub times: Arc<CallTimes>,
    data_dir: PathBuf,
}

impl Stack {
    /// The configuration `chorus up` would read (`chorus.toml` here, then
    /// `CHORUS_*`), with a fresh data folder and a fresh namespace, so that
    /// a run on shared PostgreSQL, Redis and RabbitMQ starts empty.
    pub async fn start() -> anyhow::Result<Self> {
        let mut config = Config::load(None)?;
        let filter = std::env::var("CHORUS_LOG__FILTER").unwrap_or_else(|_| "warn".into());
        chorus_telemetry::init_logs(config.log.format, &filter);
        chorus_telemetry::metrics::handle();

        let run = rand::random::<u32>();
        let data_dir = std::env::temp_dir().join(format!("chorus-bench-notifications-{run:08x}"));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        config.data_dir = data_dir.clone();
        config.infra.namespace = format!("{}_nb{run:08x}", config.infra.namespace);
        let started = Self::start_in(config, data_dir.clone()).await;
        if started.is_err() {
            let _ = std::fs::remove_dir_all(&data_dir);
        }
        started
    }

    async fn start_in(mut config: Config, data_dir: PathBuf) -> anyhow::Result<Self> {
        config.resolve_secrets(true)?;
        let ctx = crate::modules::context(&config).await?;
        // Every queue exists before anything is published; on the in-process
        // bus, only those of the services that run here.
        let subscriptions = chorus_users::subscriptions()
            .into_iter()
            .chain(chorus_notifications::subscriptions());
        for subscription in subscriptions {
            ctx.infra.bus.declare(&subscription).await?;
        }
        let users = UsersService::start(&ctx)
            .await
            .context("starting the users service")?;
        Ok(Self {
            config,
            ctx,
            users,
            times: Arc::new(CallTimes::default()),
            data_dir,
        })
    }

    /// Where the SQLite files (and the run's secrets) are.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// `count` accounts, created as auth's `user.registered` creates them;
    /// returns once the users service shows every one.
    pub async fn register(&self, count: usize) -> anyhow::Result<Vec<Member>> {
        let members: Vec<Member> = (0..count)
            .map(|i| Member {
                id: self.ctx.ids.next_id(),
                username: format!("member{i}"),
            })
            .collect();
        futures::stream::iter(&members)
            .map(|member| {
                let event = Envelope::new(
                    self.ctx.ids.next_id(),
                    "user.registered",
                    Some(member.id),
                    json!({
                        "user_id": member.id, "username": member.username,
                        "display_name": format!("Member {}", member.username),
                        "created_at": "2026-01-02T03:04:05.678Z",
                    }),
                );
                async move { self.ctx.infra.bus.publish(&event).await }
            })
            .buffer_unordered(REGISTER_CONCURRENCY)
            .try_collect::<()>()
            .await
            .context("publishing user.registered")?;

        let api = self.users.api();
        let ids: Vec<Id> = members.iter().map(|m| m.id).collect();
        let patience = Instant::now() + REGISTER_PATIENCE;
        loop {
            let mut found = 0;
            for chunk in ids.chunks(100) {
                found += api.cards(chunk).await?.len();
            }
            if found == count {
                return Ok(members);
            }
            anyhow::ensure!(
                Instant::now() < patience,
                "only {found} of {count} accounts showed in the users service within {} s",
                REGISTER_PATIENCE.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The pushes the notifications service sends from now on.
    pub async fn pushes(&self) -> anyhow::Result<BoxStream<'static, Bytes>> {
        self.ctx
            .infra
            .pubsub
            .subscribe(chorus_rpc::push::NOTIFICATIONS_CHANNEL)
            .await
    }

    /// Starts `instances` instances of the notifications service
    /// (`NotificationsService::start`, each with its own database pool,
    /// competing for the one queue), on this context but for a bus that
    /// wraps the consumer they subscribe so that it stamps each event it
    /// applied on `clock`, and with their users client and pub/sub timed.
    pub async fn start_notifications(
        &self,
        instances: usize,
        clock: Arc<Clock>,
    ) -> anyhow::Result<Vec<NotificationsService>> {
        let mut ctx = self.ctx.clone();
        ctx.infra.bus = Arc::new(StampingBus {
            inner: self.ctx.infra.bus.clone(),
            clock,
            times: self.times.clone(),
        });
        ctx.infra.pubsub = Arc::new(TimedPubSub {
            inner: self.ctx.infra.pubsub.clone(),
            times: self.times.clone(),
        });
        let users: Arc<dyn UsersApi> = Arc::new(TimedUsers {
            inner: self.users.api(),
            times: self.times.clone(),
        });
        let mut started = Vec::with_capacity(instances);
        for _ in 0..instances {
            let service = NotificationsService::start(&ctx, users.clone())
                .await
                .context("starting the notifications service")?;
            started.push(service);
        }
        Ok(started)
    }

    /// Stops everything; drops the run's PostgreSQL schemas and data folder.
    /// (RabbitMQ keeps the run's empty queues: the bus port deletes none.)
    pub async fn stop(self) {
        self.ctx.shutdown.cancel();
        self.ctx.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.ctx.tasks.wait()).await;
        self.ctx.infra.bus.close().await;
        for service in [chorus_users::NAME, chorus_notifications::NAME] {
            if let DbTarget::Postgres { url, schema } = self.ctx.db_target(service)
                && let Err(error) = drop_schema(&url, &schema).await
            {
                eprintln!("notifications: could not drop schema {schema}: {error:#}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

async fn drop_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    use sqlx::Executor;
    let pool = sqlx::AnyPool::connect(url).await?;
    pool.execute(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    )))
    .await?;
    pool.close().await;
    Ok(())
}

/// The bus as the notifications service sees it here: the real one, but
/// what it subscribes is wrapped by [`Stamped`].
struct StampingBus {
    inner: Arc<dyn EventBus>,
    clock: Arc<Clock>,
    times: Arc<CallTimes>,
}

#[async_trait]
impl EventBus for StampingBus {
    async fn publish(&self, event: &Envelope) -> anyhow::Result<()> {
        self.inner.publish(event).await
    }

    async fn declare(&self, subscription: &Subscription) -> anyhow::Result<()> {
        self.inner.declare(subscription).await
    }

    async fn subscribe(
        &self,
        subscription: Subscription,
        handler: Arc<dyn EventHandler>,
    ) -> anyhow::Result<()> {
        let stamped = Arc::new(Stamped {
            inner: handler,
            clock: self.clock.clone(),
            times: self.times.clone(),
        });
        self.inner.subscribe(subscription, stamped).await
    }

    async fn dead_letters(&self, consumer: &str) -> anyhow::Result<Vec<Envelope>> {
        self.inner.dead_letters(consumer).await
    }

    async fn ping(&self) -> anyhow::Result<()> {
        self.inner.ping().await
    }

    async fn close(&self) {
        self.inner.close().await
    }
}

/// The service's own consumer, timed, stamping each event it applied.
struct Stamped {
    inner: Arc<dyn EventHandler>,
    clock: Arc<Clock>,
    times: Arc<CallTimes>,
}

#[async_trait]
impl EventHandler for Stamped {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let applied = self.times.handler.time(self.inner.handle(event)).await;
        match &applied {
            Ok(()) => self.clock.applied(event.id),
            Err(_) => self.clock.failed(),
        }
        applied
    }

    async fn handle_batch(&self, events: &[Envelope]) -> anyhow::Result<()> {
        let applied = self
            .times
            .handler
            .time(self.inner.handle_batch(events))
            .await;
        // A failed batch is one failed attempt: the bus then hands each event to `handle`.
        match &applied {
            Ok(()) => events.iter().for_each(|event| self.clock.applied(event.id)),
            Err(_) => self.clock.failed(),
        }
        applied
    }
}

/// Time spent in one kind of call, summed over every call.
#[derive(Default)]
pub struct Timer {
    calls: AtomicU64,
    nanos: AtomicU64,
}

impl Timer {
    async fn time<T>(&self, work: impl Future<Output = T>) -> T {
        let began = Instant::now();
        let out = work.await;
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.nanos
            .fetch_add(began.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    pub fn seconds(&self) -> f64 {
        self.nanos.load(Ordering::Relaxed) as f64 / 1e9
    }
}

/// Where the consumer's time goes.
#[derive(Default)]
pub struct CallTimes {
    /// Whole events, `apply` from start to end.
    pub handler: Timer,
    pub relations: Timer,
    /// `relations_among`: blocks, follows and friendships of many pairs at once.
    pub relations_among: Timer,
    pub profiles: Timer,
    pub cards: Timer,
    /// Every other users call (none expected).
    pub other_users: Timer,
    /// Pushes published on the pub/sub channel.
    pub pushes: Timer,
}

struct TimedUsers {
    inner: Arc<dyn UsersApi>,
    times: Arc<CallTimes>,
}

#[async_trait]
impl UsersApi for TimedUsers {
    async fn cards(&self, ids: &[Id]) -> ApiResult<Vec<UserCard>> {
        self.times.cards.time(self.inner.cards(ids)).await
    }

    async fn cards_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<UserCard>> {
        let call = self.inner.cards_after(after, limit);
        self.times.other_users.time(call).await
    }

    async fn relations(
        &self,
        viewer: Id,
        targets: &[Id],
    ) -> ApiResult<std::collections::HashMap<Id, Relation>> {
        let call = self.inner.relations(viewer, targets);
        self.times.relations.time(call).await
    }

    /// Forwarded as such: the default would time it as `relations` calls.
    async fn relations_among(
        &self,
        pairs: &[(Id, Id)],
    ) -> ApiResult<std::collections::HashMap<(Id, Id), Relation>> {
        let call = self.inner.relations_among(pairs);
        self.times.relations_among.time(call).await
    }

    async fn find_by_usernames(&self, usernames: &[String]) -> ApiResult<Vec<UserCard>> {
        let call = self.inner.find_by_usernames(usernames);
        self.times.other_users.time(call).await
    }

    async fn profiles(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<Profile>> {
        self.times
            .profiles
            .time(self.inner.profiles(viewer, ids))
            .await
    }

    async fn profile(&self, viewer: Option<Id>, id_or_username: &str) -> ApiResult<Profile> {
        let call = self.inner.profile(viewer, id_or_username);
        self.times.other_users.time(call).await
    }

    async fn follow(&self, viewer: Id, target: Id) -> ApiResult<FollowState> {
        let call = self.inner.follow(viewer, target);
        self.times.other_users.time(call).await
    }

    async fn unfollow(&self, viewer: Id, target: Id) -> ApiResult<()> {
        let call = self.inner.unfollow(viewer, target);
        self.times.other_users.time(call).await
    }
}

struct TimedPubSub {
    inner: Arc<dyn PubSub>,
    times: Arc<CallTimes>,
}

#[async_trait]
impl PubSub for TimedPubSub {
    async fn publish(&self, channel: &str, message: Bytes) -> anyhow::Result<()> {
        let call = self.inner.publish(channel, message);
        self.times.pushes.time(call).await
    }

    async fn subscribe(&self, channel: &str) -> anyhow::Result<BoxStream<'static, Bytes>> {
        self.inner.subscribe(channel).await
    }

    async fn ping(&self) -> anyhow::Result<()> {
        self.inner.ping().await
    }
}
