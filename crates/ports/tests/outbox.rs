//! The transactional outbox and inbox, end to end: a change and its event are
//! committed together, the relay delivers the event even if the broker was
//! down when it was written, a rolled-back change publishes nothing, a
//! redelivered event is applied once, and a consumer that keeps failing
//! dead-letters the event.
//!
//! Run on SQLite in memory and on PostgreSQL (when reachable; always in CI),
//! each with the in-process bus and with RabbitMQ (when reachable).

mod bus_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use bus_support::{
    PATIENCE, Rabbit, Recorder, SETTLE, eventually, new_event, quick_retries, run_aside,
    subscription,
};
use chorus_core::Envelope;
use chorus_ports::store::{Db, DbTarget, Migrations};
use chorus_ports::{EventBus, EventHandler, inbox, outbox};
use chorus_testkit::TcpProxy;
use sqlx::{AssertSqlSafe, Executor, Row};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("tests/migrations/outbox_sqlite"),
        postgres: sqlx::migrate!("tests/migrations/outbox_postgres"),
    }
}

/// A producing service's database and buses, and a way to lose the broker.
struct Fixture {
    db: Db,
    /// Where the producing service's relay publishes.
    producer: Arc<dyn EventBus>,
    /// Where the consuming service subscribes: the same bus in process.
    consumer: Arc<dyn EventBus>,
    outage: Outage,
}

enum Outage {
    /// In process there is no broker to lose: the relay is simply not running yet.
    RelayNotStarted,
    /// The producer reaches RabbitMQ through this proxy; stopping it is the outage.
    Proxy(TcpProxy),
}

impl Fixture {
    fn in_process(db: Db) -> Self {
        let bus = bus_support::memory_bus();
        Self {
            db,
            producer: bus.clone(),
            consumer: bus,
            outage: Outage::RelayNotStarted,
        }
    }

    async fn rabbitmq(db: Db, rabbit: &Rabbit) -> Self {
        let (proxy, url) = rabbit.proxy();
        let producer = chorus_ports::bus::RabbitBus::connect(&url, &rabbit.namespace)
            .await
            .expect("connecting to RabbitMQ through the proxy");
        Self {
            db,
            producer: Arc::new(producer),
            consumer: rabbit.bus().await,
            outage: Outage::Proxy(proxy),
        }
    }

    async fn take_broker_down(&self) {
        if let Outage::Proxy(proxy) = &self.outage {
            proxy.stop().await;
            eventually("the producer noticed the broker is gone", || async {
                self.producer.ping().await.is_err()
            })
            .await;
        }
    }

    /// The relay, already running while the broker is down where there is a broker.
    fn relay_during_outage(&self) -> Option<Relay> {
        matches!(self.outage, Outage::Proxy(_)).then(|| Relay::start(self))
    }

    async fn bring_broker_back(&self, relay: Option<Relay>) -> Relay {
        if let Outage::Proxy(proxy) = &self.outage {
            proxy.resume().await;
        }
        relay.unwrap_or_else(|| Relay::start(self))
    }

    async fn close(self) {
        self.producer.close().await;
        self.consumer.close().await;
        self.db.close().await;
    }
}

struct Relay {
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Relay {
    fn start(fixture: &Fixture) -> Self {
        let shutdown = CancellationToken::new();
        let task = outbox::spawn_relay(
            fixture.db.clone(),
            fixture.producer.clone(),
            shutdown.clone(),
        );
        Self { shutdown, task }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("the relay stops in time")
            .expect("the relay ends cleanly");
    }
}

/// The change a service makes, and the event it emits, in one transaction.
async fn write_item_with_event(db: &Db, item: i64, event: &Envelope) {
    let mut tx = db.begin().await.expect("begin");
    insert_item(&mut tx, item).await;
    outbox::enqueue(&mut tx, event).await.expect("enqueue");
    tx.commit().await.expect("commit");
    db.wake_outbox();
}

async fn insert_item(tx: &mut sqlx::Transaction<'static, sqlx::Any>, item: i64) {
    sqlx::query("INSERT INTO items (id, name) VALUES ($1, $2)")
        .bind(item)
        .bind(format!("item {item}"))
        .execute(&mut **tx)
        .await
        .expect("insert an item");
}

async fn items(db: &Db) -> Vec<i64> {
    sqlx::query("SELECT id FROM items ORDER BY id")
        .fetch_all(db.reader())
        .await
        .expect("read items")
        .iter()
        .map(|row| row.try_get(0).expect("an id"))
        .collect()
}

async fn pending(db: &Db) -> i64 {
    outbox::pending(db).await.expect("count the outbox")
}

async fn an_event_written_while_the_broker_is_down_is_delivered_once_it_is_back(f: Fixture) {
    let handler = Recorder::new();
    f.consumer
        .subscribe(subscription("feed", &["post.created"]), handler.clone())
        .await
        .expect("subscribe");
    f.take_broker_down().await;
    let relay = f.relay_during_outage();
    let event = new_event("post.created");
    write_item_with_event(&f.db, 1, &event).await;
    tokio::time::sleep(SETTLE).await;
    assert!(
        handler.calls().is_empty(),
        "nothing delivered while the broker is down"
    );
    assert_eq!(pending(&f.db).await, 1, "the event waits in the outbox");

    let relay = f.bring_broker_back(relay).await;
    eventually("the event was delivered and left the outbox", || async {
        handler.applied().len() == 1 && pending(&f.db).await == 0
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(handler.calls(), [event], "delivered once");
    assert_eq!(items(&f.db).await, [1]);
    relay.stop().await;
    f.close().await;
}

/// A route that waits for the flush after its commit answers only once the
/// relay has published its event; with the in-process bus that means applied.
async fn a_flush_returns_once_the_event_is_published(f: Fixture) {
    let handler = Recorder::new();
    f.consumer
        .subscribe(subscription("feed", &["post.created"]), handler.clone())
        .await
        .expect("subscribe");
    assert!(
        !f.db
            .flush_outbox(std::time::Duration::from_millis(200))
            .await,
        "without a relay, a flush times out"
    );
    let relay = Relay::start(&f);
    for item in 1..=3 {
        let event = new_event("post.created");
        write_item_with_event(&f.db, item, &event).await;
        assert!(f.db.flush_outbox(PATIENCE).await, "flushed in time");
        assert_eq!(pending(&f.db).await, 0, "the event left the outbox");
        if matches!(f.outage, Outage::RelayNotStarted) {
            assert!(
                handler.applied().contains(&event),
                "in process, published means applied"
            );
        }
    }
    eventually("every event was delivered", || async {
        handler.applied().len() == 3
    })
    .await;
    relay.stop().await;
    f.close().await;
}

async fn a_rolled_back_change_publishes_nothing(f: Fixture) {
    let handler = Recorder::new();
    f.consumer
        .subscribe(subscription("feed", &["post.*"]), handler.clone())
        .await
        .expect("subscribe");
    let relay = Relay::start(&f);

    let rolled_back = new_event("post.created");
    let mut tx = f.db.begin().await.expect("begin");
    insert_item(&mut tx, 1).await;
    outbox::enqueue(&mut tx, &rolled_back)
        .await
        .expect("enqueue");
    tx.rollback().await.expect("roll back");

    // A handler that fails midway drops its transaction: the same as a rollback.
    let abandoned = new_event("post.created");
    let mut tx = f.db.begin().await.expect("begin");
    insert_item(&mut tx, 2).await;
    outbox::enqueue(&mut tx, &abandoned).await.expect("enqueue");
    drop(tx);
    f.db.wake_outbox();

    // Written last and relayed in order: once it arrives, anything earlier would have.
    let marker = new_event("post.updated");
    write_item_with_event(&f.db, 3, &marker).await;
    eventually("the committed event was delivered", || async {
        !handler.applied().is_empty() && pending(&f.db).await == 0
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(
        handler.calls(),
        [marker],
        "only the committed event went out"
    );
    assert_eq!(items(&f.db).await, [3], "only the committed change is kept");
    relay.stop().await;
    f.close().await;
}

/// A consumer that applies events through the inbox, as services do.
struct Tally {
    db: Db,
    calls: AtomicU32,
}

#[async_trait]
impl EventHandler for Tally {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let Some(mut tx) = inbox::begin_once(&self.db, "feed", event).await? else {
            return Ok(());
        };
        sqlx::query("INSERT INTO tally (event_id) VALUES ($1)")
            .bind(event.id.as_i64())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn a_redelivered_event_is_applied_once(f: Fixture) {
    let tally = Arc::new(Tally {
        db: f.db.clone(),
        calls: AtomicU32::new(0),
    });
    f.consumer
        .subscribe(subscription("feed", &["post.created"]), tally.clone())
        .await
        .expect("subscribe");
    // Twice in the outbox, as a relay that died after publishing but before
    // deleting the row leaves it; the consumer shares this database, so this
    // also checks the relay does not hold it while handlers run.
    let event = new_event("post.created");
    for _ in 0..2 {
        let mut tx = f.db.begin().await.expect("begin");
        outbox::enqueue(&mut tx, &event).await.expect("enqueue");
        tx.commit().await.expect("commit");
    }
    let relay = Relay::start(&f);
    eventually("both deliveries reached the handler", || async {
        tally.calls.load(Ordering::SeqCst) >= 2
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(tally.calls.load(Ordering::SeqCst), 2);
    let applied: i64 = sqlx::query("SELECT COUNT(*) FROM tally WHERE event_id = $1")
        .bind(event.id.as_i64())
        .fetch_one(f.db.reader())
        .await
        .expect("count applications")
        .try_get(0)
        .expect("a count");
    assert_eq!(applied, 1, "its effects were applied once");
    assert_eq!(pending(&f.db).await, 0);
    relay.stop().await;
    f.close().await;
}

async fn a_consumer_failing_every_attempt_dead_letters_the_event(f: Fixture) {
    let handler = Recorder::always_failing();
    let mut media = subscription("media", &["user.deleted"]);
    media.retry = quick_retries(3);
    f.consumer
        .subscribe(media, handler.clone())
        .await
        .expect("subscribe");
    let relay = Relay::start(&f);
    let event = new_event("user.deleted");
    write_item_with_event(&f.db, 1, &event).await;
    eventually("the event was dead-lettered", || async {
        !f.consumer
            .dead_letters("media")
            .await
            .expect("dead letters")
            .is_empty()
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    let dead = f
        .consumer
        .dead_letters("media")
        .await
        .expect("dead letters");
    assert_eq!(dead, std::slice::from_ref(&event));
    assert_eq!(
        handler.calls(),
        [event.clone(), event.clone(), event],
        "three attempts"
    );
    assert_eq!(pending(&f.db).await, 0, "the outbox handed it over");
    relay.stop().await;
    f.close().await;
}

async fn sqlite() -> Db {
    let db = Db::connect(&DbTarget::SqliteMemory)
        .await
        .expect("open SQLite in memory");
    db.migrate(&migrations()).await.expect("migrate");
    db
}

/// A PostgreSQL schema for one test, dropped when the test ends.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    /// `None` (the test is skipped) when no PostgreSQL is reachable.
    fn new() -> Option<Self> {
        chorus_testkit::init_test_logs();
        Some(Self {
            url: chorus_testkit::postgres_url()?,
            name: chorus_testkit::unique_namespace("outbox"),
        })
    }

    async fn db(&self) -> Db {
        let db = Db::connect(&DbTarget::Postgres {
            url: self.url.clone(),
            schema: self.name.clone(),
        })
        .await
        .expect("connect to PostgreSQL");
        db.migrate(&migrations()).await.expect("migrate");
        db
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        run_aside(async move {
            let drop_schema = async {
                let db = Db::connect(&DbTarget::Postgres {
                    url,
                    schema: name.clone(),
                })
                .await?;
                db.writer()
                    .execute(AssertSqlSafe(format!("DROP SCHEMA \"{name}\" CASCADE")))
                    .await?;
                db.close().await;
                anyhow::Ok(())
            };
            if let Ok(Err(error)) = tokio::time::timeout(PATIENCE, drop_schema).await {
                eprintln!("could not drop test schema: {error:#}");
            }
        });
    }
}

/// Each test on SQLite and PostgreSQL, each with the in-process bus and
/// RabbitMQ. The names list the consumers whose RabbitMQ queues are deleted after.
macro_rules! outbox_suite {
    ($($test:ident uses [$($consumer:literal),*];)*) => {
        mod sqlite_and_memory_bus {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    chorus_testkit::init_test_logs();
                    super::$test(Fixture::in_process(sqlite().await)).await;
                }
            )*
        }

        mod sqlite_and_rabbitmq {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(rabbit) = Rabbit::new(stringify!($test), &[$($consumer),*]) else {
                        return;
                    };
                    super::$test(Fixture::rabbitmq(sqlite().await, &rabbit).await).await;
                }
            )*
        }

        mod postgres_and_memory_bus {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(schema) = Schema::new() else {
                        return;
                    };
                    super::$test(Fixture::in_process(schema.db().await)).await;
                }
            )*
        }

        mod postgres_and_rabbitmq {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (Some(schema), Some(rabbit)) =
                        (Schema::new(), Rabbit::new(stringify!($test), &[$($consumer),*]))
                    else {
                        return;
                    };
                    super::$test(Fixture::rabbitmq(schema.db().await, &rabbit).await).await;
                }
            )*
        }
    };
}

outbox_suite! {
    an_event_written_while_the_broker_is_down_is_delivered_once_it_is_back uses ["feed"];
    a_rolled_back_change_publishes_nothing uses ["feed"];
    a_flush_returns_once_the_event_is_published uses ["feed"];
    a_redelivered_event_is_applied_once uses ["feed"];
    a_consumer_failing_every_attempt_dead_letters_the_event uses ["media"];
}
