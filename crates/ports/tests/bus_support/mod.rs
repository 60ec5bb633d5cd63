//! What `tests/bus.rs` and `tests/outbox.rs` share: each event bus adapter
//! ready to test, a handler that records what it is given, bounded waits,
//! and cleanup of the RabbitMQ names a test created.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chorus_core::{Envelope, IdGenerator};
use chorus_ports::bus::{MemoryBus, RabbitBus};
use chorus_ports::{EventBus, EventHandler, RetryPolicy, Subscription};
use chorus_testkit::TcpProxy;
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties};

/// The longest any test waits for something to happen.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// How long a test waits to be sure something does not happen (again).
pub const SETTLE: Duration = Duration::from_millis(500);

pub fn new_event(kind: &str) -> Envelope {
    static IDS: std::sync::OnceLock<IdGenerator> = std::sync::OnceLock::new();
    let id = IDS.get_or_init(IdGenerator::with_random_node).next_id();
    Envelope::new(id, kind, None, serde_json::json!({ "kind": kind }))
}

pub fn subscription(consumer: &str, topics: &[&str]) -> Subscription {
    Subscription {
        consumer: consumer.to_string(),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        retry: quick_retries(5),
        batch: 1,
        expires_after: None,
    }
}

/// Short backoffs, so retries and dead-lettering take milliseconds.
pub fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(50),
    }
}

/// Waits until `done` holds, failing the test after [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A handler that records every call and fails the first `failures` of them.
pub struct Recorder {
    calls: Mutex<Vec<Envelope>>,
    applied: Mutex<Vec<Envelope>>,
    failures: AtomicU32,
    /// How long each call takes.
    delay: Duration,
}

impl Recorder {
    pub fn new() -> Arc<Self> {
        Self::failing(0)
    }

    pub fn failing(failures: u32) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::default(),
            applied: Mutex::default(),
            failures: AtomicU32::new(failures),
            delay: Duration::ZERO,
        })
    }

    /// Succeeds, taking `delay` each time.
    pub fn slow(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::default(),
            applied: Mutex::default(),
            failures: AtomicU32::new(0),
            delay,
        })
    }

    pub fn always_failing() -> Arc<Self> {
        Self::failing(u32::MAX)
    }

    /// Every event the handler was called with, failed attempts included.
    pub fn calls(&self) -> Vec<Envelope> {
        self.calls.lock().expect("recorder lock").clone()
    }

    /// The events the handler succeeded with, in order.
    pub fn applied(&self) -> Vec<Envelope> {
        self.applied.lock().expect("recorder lock").clone()
    }

    pub fn applied_kinds(&self) -> Vec<String> {
        self.applied().into_iter().map(|e| e.kind).collect()
    }
}

#[async_trait]
impl EventHandler for Recorder {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.calls
            .lock()
            .expect("recorder lock")
            .push(event.clone());
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        anyhow::ensure!(!failing, "failing on purpose");
        self.applied
            .lock()
            .expect("recorder lock")
            .push(event.clone());
        Ok(())
    }
}

pub fn memory_bus() -> Arc<dyn EventBus> {
    Arc::new(MemoryBus::new())
}

/// A RabbitMQ namespace for one test, cleaned up when dropped.
pub struct Rabbit {
    pub url: String,
    pub namespace: String,
    consumers: Vec<String>,
}

impl Rabbit {
    /// `None` (the test is skipped) when no RabbitMQ is reachable.
    pub fn new(test: &str, consumers: &[&str]) -> Option<Self> {
        chorus_testkit::init_test_logs();
        let url = chorus_testkit::amqp_url()?;
        Some(Self {
            url,
            namespace: chorus_testkit::unique_namespace(test),
            consumers: consumers.iter().map(|c| c.to_string()).collect(),
        })
    }

    pub async fn bus(&self) -> Arc<RabbitBus> {
        Arc::new(
            RabbitBus::connect(&self.url, &self.namespace)
                .await
                .expect("connecting to RabbitMQ"),
        )
    }

    /// A proxy to the broker, and the URL that goes through it.
    pub fn proxy(&self) -> (TcpProxy, String) {
        let uri: AMQPUri = self.url.parse().expect("a valid AMQP URL");
        let host_port = format!("{}:{}", uri.authority.host, uri.authority.port);
        let target: SocketAddr = host_port
            .to_socket_addrs()
            .expect("resolving the RabbitMQ host")
            .next()
            .expect("an address for the RabbitMQ host");
        let proxy = TcpProxy::start(target);
        assert!(
            self.url.contains(&host_port),
            "the test needs the port spelled out in {}",
            self.url
        );
        let url = self.url.replacen(&host_port, &proxy.addr().to_string(), 1);
        (proxy, url)
    }

    /// A channel of its own, for looking at the broker behind the bus's back.
    pub async fn raw_channel(&self) -> (Connection, Channel) {
        let conn = Connection::connect(&self.url, ConnectionProperties::default())
            .await
            .expect("connecting to RabbitMQ directly");
        let channel = conn.create_channel().await.expect("opening a channel");
        (conn, channel)
    }
}

impl Drop for Rabbit {
    /// Deletes the exchange and queues, also after a failed assertion. Drop
    /// cannot await, so a helper thread runs the deletion on its own runtime.
    fn drop(&mut self) {
        let url = self.url.clone();
        let exchange = format!("{}.events", self.namespace);
        let queues: Vec<String> = self
            .consumers
            .iter()
            .flat_map(|c| {
                let main = format!("{}.{c}", self.namespace);
                [format!("{main}.retry"), format!("{main}.dlq"), main]
            })
            .collect();
        run_aside(async move {
            let delete = async {
                let conn = Connection::connect(&url, ConnectionProperties::default()).await?;
                let channel = conn.create_channel().await?;
                for queue in queues {
                    channel
                        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                        .await?;
                }
                channel
                    .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
                    .await?;
                conn.close(200, "cleaned up".into()).await?;
                anyhow::Ok(())
            };
            if let Ok(Err(error)) = tokio::time::timeout(Duration::from_secs(10), delete).await {
                eprintln!("could not clean up a RabbitMQ test namespace: {error:#}");
            }
        });
    }
}

/// Runs `work` to completion from a `Drop`, which cannot await: on a helper
/// thread with a runtime of its own, so it works during a panic too.
pub fn run_aside(work: impl Future<Output = ()> + Send + 'static) {
    let helper = std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(work);
        }
    });
    let _ = helper.join();
}
