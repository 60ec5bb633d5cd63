//! The event bus contract, written once and run on every adapter: the
//! in-process bus always, RabbitMQ when one is reachable (always in CI).
//! Each RabbitMQ test has its own namespace, deleted at the end.

mod bus_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use bus_support::{
    PATIENCE, Rabbit, Recorder, SETTLE, eventually, new_event, quick_retries, subscription,
};
use chorus_core::{Envelope, Id};
use chorus_ports::{EventBus, EventHandler};
use tokio::task::JoinHandle;

async fn events_reach_a_consumer_by_topic_pattern(bus: Arc<dyn EventBus>) {
    let users = Recorder::new();
    bus.subscribe(subscription("users", &["user.*"]), users.clone())
        .await
        .expect("subscribe");
    for kind in ["user.registered", "post.created", "user.deleted"] {
        bus.publish(&new_event(kind)).await.expect("publish");
    }
    // Queues are first in, first out: post.created would arrive before user.deleted.
    eventually("user.deleted arrived", || async {
        users.applied().len() >= 2
    })
    .await;
    assert_eq!(users.applied_kinds(), ["user.registered", "user.deleted"]);
    bus.close().await;
}

async fn instances_of_one_consumer_share_its_events(bus: Arc<dyn EventBus>) {
    let (first, second) = (Recorder::new(), Recorder::new());
    bus.subscribe(subscription("feed", &["post.#"]), first.clone())
        .await
        .expect("subscribe the first instance");
    bus.subscribe(subscription("feed", &["post.#"]), second.clone())
        .await
        .expect("subscribe the second instance");
    let events: Vec<Envelope> = (0..20).map(|_| new_event("post.created")).collect();
    for event in &events {
        bus.publish(event).await.expect("publish");
    }
    let total = || first.applied().len() + second.applied().len();
    eventually("every event was handled", || async {
        total() >= events.len()
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    let mut handled: Vec<_> = first
        .applied()
        .into_iter()
        .chain(second.applied())
        .map(|e| e.id)
        .collect();
    handled.sort();
    let mut expected: Vec<_> = events.iter().map(|e| e.id).collect();
    expected.sort();
    assert_eq!(
        handled, expected,
        "each event handled exactly once in total"
    );
    bus.close().await;
}

async fn different_consumers_each_get_every_event(bus: Arc<dyn EventBus>) {
    let (feed, search) = (Recorder::new(), Recorder::new());
    bus.subscribe(subscription("feed", &["post.*"]), feed.clone())
        .await
        .expect("subscribe feed");
    bus.subscribe(subscription("search", &["post.*"]), search.clone())
        .await
        .expect("subscribe search");
    let events: Vec<Envelope> = (0..3).map(|_| new_event("post.created")).collect();
    for event in &events {
        bus.publish(event).await.expect("publish");
    }
    eventually("both consumers got every event", || async {
        feed.applied().len() >= 3 && search.applied().len() >= 3
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(feed.applied(), events);
    assert_eq!(search.applied(), events);
    bus.close().await;
}

async fn an_event_published_after_declare_waits_for_the_handler(bus: Arc<dyn EventBus>) {
    let subscription = subscription("notifications", &["comment.created"]);
    bus.declare(&subscription).await.expect("declare");
    let event = new_event("comment.created");
    // The in-process bus returns from publish only once the event is applied: publish aside.
    let publishing = tokio::spawn({
        let (bus, event) = (bus.clone(), event.clone());
        async move { bus.publish(&event).await }
    });
    tokio::time::sleep(SETTLE).await;
    let handler = Recorder::new();
    bus.subscribe(subscription, handler.clone())
        .await
        .expect("subscribe");
    tokio::time::timeout(PATIENCE, publishing)
        .await
        .expect("publish returned")
        .expect("publish task")
        .expect("publish");
    eventually("the waiting event was delivered", || async {
        !handler.applied().is_empty()
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(handler.calls(), [event]);
    bus.close().await;
}

async fn an_event_failing_every_attempt_is_dead_lettered(bus: Arc<dyn EventBus>) {
    let mut subscription = subscription("media", &["user.deleted"]);
    subscription.retry = quick_retries(3);
    let handler = Recorder::always_failing();
    bus.subscribe(subscription, handler.clone())
        .await
        .expect("subscribe");
    let (first, second) = (new_event("user.deleted"), new_event("user.deleted"));
    bus.publish(&first).await.expect("publish the first");
    eventually("the first was dead-lettered", || async {
        bus.dead_letters("media").await.expect("dead letters").len() == 1
    })
    .await;
    bus.publish(&second).await.expect("publish the second");
    eventually("the second was dead-lettered", || async {
        bus.dead_letters("media").await.expect("dead letters").len() == 2
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(handler.calls().len(), 6, "three attempts each, no more");
    let dead = bus.dead_letters("media").await.expect("dead letters");
    assert_eq!(dead, [first.clone(), second.clone()], "oldest first");
    let again = bus.dead_letters("media").await.expect("dead letters again");
    assert_eq!(again, [first, second], "reading dead letters keeps them");
    assert!(
        bus.dead_letters("nobody")
            .await
            .expect("unknown consumer")
            .is_empty()
    );
    bus.close().await;
}

async fn an_event_failing_twice_then_succeeding_is_applied(bus: Arc<dyn EventBus>) {
    let mut subscription = subscription("search", &["post.updated"]);
    subscription.retry = quick_retries(5);
    let handler = Recorder::failing(2);
    bus.subscribe(subscription, handler.clone())
        .await
        .expect("subscribe");
    let event = new_event("post.updated");
    bus.publish(&event).await.expect("publish");
    eventually("the event was applied", || async {
        !handler.applied().is_empty()
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(handler.calls().len(), 3, "two failures, one success");
    assert_eq!(handler.applied(), [event]);
    assert!(
        bus.dead_letters("search")
            .await
            .expect("dead letters")
            .is_empty()
    );
    bus.close().await;
}

/// Panics on its first call, then records.
struct PanicsOnce {
    panicked: AtomicBool,
    then: Arc<Recorder>,
}

#[async_trait]
impl EventHandler for PanicsOnce {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        if !self.panicked.swap(true, Ordering::SeqCst) {
            panic!("a handler bug");
        }
        self.then.handle(event).await
    }
}

async fn a_panicking_handler_counts_as_a_failed_attempt(bus: Arc<dyn EventBus>) {
    let then = Recorder::new();
    let handler = Arc::new(PanicsOnce {
        panicked: AtomicBool::new(false),
        then: then.clone(),
    });
    bus.subscribe(subscription("chat", &["user.blocked"]), handler)
        .await
        .expect("subscribe");
    let (first, second) = (new_event("user.blocked"), new_event("user.blocked"));
    bus.publish(&first).await.expect("publish");
    bus.publish(&second).await.expect("publish");
    eventually("both were applied", || async { then.applied().len() >= 2 }).await;
    let mut applied: Vec<_> = then.applied().into_iter().map(|e| e.id).collect();
    applied.sort();
    let mut expected = vec![first.id, second.id];
    expected.sort();
    assert_eq!(applied, expected, "the consumer lived on and retried");
    bus.close().await;
}

/// Records batches and single events; any batch holding a `poison.*` event
/// fails, and so does that event alone. Each call takes a little while, so
/// that events pile up behind it.
#[derive(Default)]
struct Batches {
    batches: Mutex<Vec<Vec<Id>>>,
    /// Every event applied, by a batch or alone, in order.
    applied: Mutex<Vec<Id>>,
    /// Every call of `handle`, failed ones included.
    singles: Mutex<Vec<Id>>,
}

const POISON: &str = "poison.pill";

impl Batches {
    fn batches(&self) -> Vec<Vec<Id>> {
        self.batches.lock().expect("lock").clone()
    }

    fn applied(&self) -> Vec<Id> {
        self.applied.lock().expect("lock").clone()
    }

    fn singles(&self) -> Vec<Id> {
        self.singles.lock().expect("lock").clone()
    }
}

#[async_trait]
impl EventHandler for Batches {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.singles.lock().expect("lock").push(event.id);
        anyhow::ensure!(event.kind != POISON, "poisoned");
        self.applied.lock().expect("lock").push(event.id);
        Ok(())
    }

    async fn handle_batch(&self, events: &[Envelope]) -> anyhow::Result<()> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        anyhow::ensure!(events.iter().all(|e| e.kind != POISON), "a poisoned batch");
        let ids: Vec<Id> = events.iter().map(|e| e.id).collect();
        self.applied.lock().expect("lock").extend(&ids);
        self.batches.lock().expect("lock").push(ids);
        Ok(())
    }
}

/// Publishes each event in a task of its own: the in-process bus returns
/// from publish only once the event is applied.
fn publish_aside(bus: &Arc<dyn EventBus>, events: &[Envelope]) -> Vec<JoinHandle<()>> {
    events
        .iter()
        .map(|event| {
            let (bus, event) = (bus.clone(), event.clone());
            tokio::spawn(async move { bus.publish(&event).await.expect("publish") })
        })
        .collect()
}

async fn published(publishing: Vec<JoinHandle<()>>) {
    for task in publishing {
        tokio::time::timeout(PATIENCE, task)
            .await
            .expect("publish returned")
            .expect("publish task");
    }
}

fn sorted(mut ids: Vec<Id>) -> Vec<Id> {
    ids.sort();
    ids
}

async fn a_batch_consumer_gets_what_is_queued_in_batches_each_once(bus: Arc<dyn EventBus>) {
    let mut subscription = subscription("digest", &["post.*"]);
    subscription.batch = 8;
    bus.declare(&subscription).await.expect("declare");
    let events: Vec<Envelope> = (0..30).map(|_| new_event("post.created")).collect();
    let publishing = publish_aside(&bus, &events);
    tokio::time::sleep(SETTLE).await;
    let handler = Arc::new(Batches::default());
    bus.subscribe(subscription, handler.clone())
        .await
        .expect("subscribe");
    published(publishing).await;
    eventually("every event was applied", || async {
        handler.applied().len() >= events.len()
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    let expected = sorted(events.iter().map(|e| e.id).collect());
    assert_eq!(sorted(handler.applied()), expected, "each exactly once");
    let batches = handler.batches();
    assert!(
        batches.iter().all(|batch| batch.len() <= 8),
        "never above the batch size: {batches:?}"
    );
    assert!(
        batches.iter().any(|batch| batch.len() > 1),
        "queued events come in batches: {batches:?}"
    );
    assert_eq!(
        batches.iter().map(Vec::len).sum::<usize>() + handler.singles().len(),
        events.len(),
        "nothing failed, so nothing was handled twice"
    );
    assert!(
        bus.dead_letters("digest")
            .await
            .expect("dead letters")
            .is_empty()
    );
    bus.close().await;
}

async fn a_failing_batch_falls_back_to_one_event_at_a_time(bus: Arc<dyn EventBus>) {
    let mut subscription = subscription("digest", &["post.*", "poison.*"]);
    subscription.batch = 16;
    subscription.retry = quick_retries(3);
    bus.declare(&subscription).await.expect("declare");
    let poison = new_event(POISON);
    let mut events: Vec<Envelope> = (0..6).map(|_| new_event("post.created")).collect();
    events.insert(3, poison.clone());
    let publishing = publish_aside(&bus, &events);
    tokio::time::sleep(SETTLE).await;
    let handler = Arc::new(Batches::default());
    bus.subscribe(subscription, handler.clone())
        .await
        .expect("subscribe");
    published(publishing).await;
    eventually("the poisoned event was dead-lettered", || async {
        !bus.dead_letters("digest")
            .await
            .expect("dead letters")
            .is_empty()
    })
    .await;
    eventually("its batch-mates were applied", || async {
        handler.applied().len() >= events.len() - 1
    })
    .await;
    tokio::time::sleep(SETTLE).await;
    let dead = bus.dead_letters("digest").await.expect("dead letters");
    assert_eq!(
        dead,
        std::slice::from_ref(&poison),
        "the poisoned event alone"
    );
    let expected = sorted(
        events
            .iter()
            .filter(|e| e.id != poison.id)
            .map(|e| e.id)
            .collect(),
    );
    assert_eq!(sorted(handler.applied()), expected, "each exactly once");
    let poison_calls = handler
        .singles()
        .iter()
        .filter(|&&id| id == poison.id)
        .count();
    assert_eq!(poison_calls, 3, "its own three attempts, alone");
    assert!(
        handler
            .batches()
            .iter()
            .all(|batch| !batch.contains(&poison.id)),
        "no batch with it succeeded"
    );
    bus.close().await;
}

/// Each contract test, run on the in-process bus and on RabbitMQ. The names
/// list the consumers a test uses, so their RabbitMQ queues are deleted after.
macro_rules! conformance {
    ($($test:ident uses [$($consumer:literal),*];)*) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    chorus_testkit::init_test_logs();
                    super::$test(super::bus_support::memory_bus()).await;
                }
            )*
        }

        mod rabbitmq {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(rabbit) = Rabbit::new(stringify!($test), &[$($consumer),*]) else {
                        return;
                    };
                    super::$test(rabbit.bus().await).await;
                }
            )*
        }
    };
}

conformance! {
    events_reach_a_consumer_by_topic_pattern uses ["users"];
    instances_of_one_consumer_share_its_events uses ["feed"];
    different_consumers_each_get_every_event uses ["feed", "search"];
    an_event_published_after_declare_waits_for_the_handler uses ["notifications"];
    an_event_failing_every_attempt_is_dead_lettered uses ["media"];
    an_event_failing_twice_then_succeeding_is_applied uses ["search"];
    a_panicking_handler_counts_as_a_failed_attempt uses ["chat"];
    a_batch_consumer_gets_what_is_queued_in_batches_each_once uses ["digest"];
    a_failing_batch_falls_back_to_one_event_at_a_time uses ["digest"];
}

/// What only the RabbitMQ adapter has: a topology operators rely on, and a
/// connection that can be lost.
mod rabbitmq_only {
    use chorus_ports::bus::RabbitBus;
    use lapin::BasicProperties;
    use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
    use lapin::types::FieldTable;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_topology_uses_the_documented_names() {
        let Some(rabbit) = Rabbit::new("topology", &["feed"]) else {
            return;
        };
        let bus = rabbit.bus().await;
        bus.declare(&subscription("feed", &["post.*"]))
            .await
            .expect("declare");
        let ns = &rabbit.namespace;
        assert_eq!(bus.exchange_name(), format!("{ns}.events"));
        assert_eq!(
            bus.queue_names("feed"),
            [
                format!("{ns}.feed"),
                format!("{ns}.feed.retry"),
                format!("{ns}.feed.dlq")
            ]
        );
        let (conn, channel) = rabbit.raw_channel().await;
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        for queue in bus.queue_names("feed") {
            channel
                .queue_declare(queue.as_str().into(), passive, FieldTable::default())
                .await
                .unwrap_or_else(|e| panic!("queue {queue} exists: {e}"));
        }
        let _ = conn.close(200, "done".into()).await;
        bus.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_expiring_subscriptions_queues_go_once_unused_and_others_stay() {
        let Some(rabbit) = Rabbit::new("expiry", &["search-gone", "feed"]) else {
            return;
        };
        let bus = rabbit.bus().await;
        let mut expiring = subscription("search-gone", &["post.*"]);
        expiring.expires_after = Some(Duration::from_millis(1_500));
        bus.declare(&expiring).await.expect("declare");
        bus.declare(&subscription("feed", &["post.*"]))
            .await
            .expect("declare");
        let (conn, channel) = rabbit.raw_channel().await;
        let exists = |queue: String| {
            let channel = channel.clone();
            async move {
                let passive = QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                };
                channel
                    .queue_declare(queue.as_str().into(), passive, FieldTable::default())
                    .await
                    .is_ok()
            }
        };
        for queue in bus.queue_names("search-gone") {
            assert!(exists(queue.clone()).await, "{queue} is there at first");
        }
        tokio::time::sleep(Duration::from_millis(3_000)).await;
        // A failed passive declare closes its channel: one channel per check.
        for queue in bus.queue_names("search-gone") {
            let (probe_conn, probe) = rabbit.raw_channel().await;
            let passive = QueueDeclareOptions {
                passive: true,
                ..Default::default()
            };
            let found = probe
                .queue_declare(queue.as_str().into(), passive, FieldTable::default())
                .await
                .is_ok();
            assert!(!found, "{queue} expired unused");
            let _ = probe_conn.close(200, "done".into()).await;
        }
        for queue in bus.queue_names("feed") {
            assert!(exists(queue.clone()).await, "{queue} never expires");
        }
        let _ = conn.close(200, "done".into()).await;
        bus.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_message_that_is_not_an_envelope_goes_straight_to_the_dead_letter_queue() {
        let Some(rabbit) = Rabbit::new("garbage", &["feed"]) else {
            return;
        };
        let bus = rabbit.bus().await;
        let handler = Recorder::new();
        bus.subscribe(subscription("feed", &["post.*"]), handler.clone())
            .await
            .expect("subscribe");
        let (conn, channel) = rabbit.raw_channel().await;
        channel
            .basic_publish(
                bus.exchange_name().as_str().into(),
                "post.created".into(),
                BasicPublishOptions::default(),
                b"not json",
                BasicProperties::default(),
            )
            .await
            .expect("publish garbage");
        let [_, _, dlq] = bus.queue_names("feed");
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        eventually("the garbage reached the dead-letter queue", || async {
            let queue = channel
                .queue_declare(dlq.as_str().into(), passive, FieldTable::default())
                .await
                .expect("the dead-letter queue exists");
            queue.message_count() == 1
        })
        .await;
        assert!(handler.calls().is_empty(), "the handler never saw it");
        assert!(
            bus.dead_letters("feed")
                .await
                .expect("dead letters")
                .is_empty()
        );
        let _ = conn.close(200, "done".into()).await;
        bus.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connecting_to_an_unreachable_broker_fails() {
        let Some(rabbit) = Rabbit::new("unreachable", &[]) else {
            return;
        };
        let (proxy, url) = rabbit.proxy();
        proxy.stop().await;
        let connecting =
            tokio::time::timeout(PATIENCE, RabbitBus::connect(&url, &rabbit.namespace));
        assert!(connecting.await.expect("answers in time").is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn consuming_and_publishing_work_again_after_the_connection_is_cut() {
        let Some(rabbit) = Rabbit::new("cut", &["feed"]) else {
            return;
        };
        let (proxy, url) = rabbit.proxy();
        let bus = RabbitBus::connect(&url, &rabbit.namespace)
            .await
            .expect("connect through the proxy");
        let other_instance = rabbit.bus().await;
        let handler = Recorder::new();
        bus.subscribe(subscription("feed", &["post.*"]), handler.clone())
            .await
            .expect("subscribe");
        let before = new_event("post.created");
        bus.publish(&before).await.expect("publish before the cut");
        eventually("the first event arrived", || async {
            handler.applied().len() == 1
        })
        .await;

        proxy.stop().await;
        eventually("ping notices the cut", || async {
            bus.ping().await.is_err()
        })
        .await;
        assert!(
            bus.publish(&new_event("post.lost")).await.is_err(),
            "publish fails while cut"
        );
        // Published elsewhere meanwhile: it waits in the queue.
        let during = new_event("post.created");
        other_instance
            .publish(&during)
            .await
            .expect("publish during the cut");
        tokio::time::sleep(SETTLE).await;
        assert_eq!(handler.applied().len(), 1, "nothing consumed while cut");

        proxy.resume().await;
        eventually("ping sees the broker again", || async {
            bus.ping().await.is_ok()
        })
        .await;
        let after = new_event("post.created");
        bus.publish(&after).await.expect("publish after the cut");
        eventually("the waiting and the new event arrived", || async {
            handler.applied().len() >= 3
        })
        .await;
        tokio::time::sleep(SETTLE).await;
        assert_eq!(handler.applied(), [before, during, after]);
        bus.close().await;
        other_instance.close().await;
        assert!(bus.ping().await.is_err(), "a closed bus does not answer");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_the_bus_hands_unfinished_events_back_to_the_queue() {
        let Some(rabbit) = Rabbit::new("handback", &["feed"]) else {
            return;
        };
        let bus = rabbit.bus().await;
        bus.declare(&subscription("feed", &["post.*"]))
            .await
            .expect("declare");
        for _ in 0..5 {
            bus.publish(&new_event("post.created"))
                .await
                .expect("publish");
        }
        // An instance that stops after its first event leaves the rest for the next.
        let first = Recorder::slow(Duration::from_millis(100));
        bus.subscribe(subscription("feed", &["post.*"]), first.clone())
            .await
            .expect("subscribe");
        eventually("the first instance handled one", || async {
            !first.applied().is_empty()
        })
        .await;
        bus.close().await;
        let next = rabbit.bus().await;
        let second = Recorder::new();
        next.subscribe(subscription("feed", &["post.*"]), second.clone())
            .await
            .expect("subscribe again");
        eventually("every event was handled by one or the other", || async {
            first.applied().len() + second.applied().len() >= 5
        })
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(first.applied().len() + second.applied().len(), 5);
        next.close().await;
    }
}
