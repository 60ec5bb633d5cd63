//! A Socket.IO test client on `rust_socketio` (a client written by others):
//! connect to a namespace with a token, send events with acks, and wait for
//! the events the server emits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// How long an expected event may take (across instances, pub/sub included).
pub const WAIT: Duration = Duration::from_secs(10);

/// How long to watch for an event that must not come.
pub const QUIET: Duration = Duration::from_millis(1_500);

/// The prefix rust_socketio gives a `connect_error` it reports.
const CONNECT_ERROR: &str = "Received an ConnectError frame";

/// One connected namespace.
pub struct Socket {
    client: Client,
    events: mpsc::UnboundedReceiver<(String, Value)>,
    /// Events read while looking for another one.
    seen: Vec<(String, Value)>,
}

/// The first argument of an event.
fn first(payload: Payload) -> Value {
    match payload {
        Payload::Text(mut values) if !values.is_empty() => values.swap_remove(0),
        Payload::Text(_) => Value::Null,
        Payload::Binary(bytes) => json!({ "binary": bytes.len() }),
        #[allow(deprecated)]
        Payload::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// The first argument of an ack (rust_socketio hands acks over as one array).
fn first_of_ack(payload: Payload) -> Value {
    match first(payload) {
        Value::Array(mut values) if !values.is_empty() => values.swap_remove(0),
        other => other,
    }
}

impl Socket {
    /// Connects to `namespace` at `base` (both transports, upgrading to
    /// WebSocket when offered) with `auth: {token}` when given; `Err` with the
    /// server's `connect_error` message when refused.
    pub async fn connect(base: &str, namespace: &str, token: Option<&str>) -> Result<Self, String> {
        Self::connect_over(base, namespace, token, TransportType::Any).await
    }

    pub async fn connect_over(
        base: &str,
        namespace: &str,
        token: Option<&str>,
        transport: TransportType,
    ) -> Result<Self, String> {
        let (sender, mut events) = mpsc::unbounded_channel();
        let any = sender.clone();
        let errors = sender.clone();
        let mut builder = ClientBuilder::new(base)
            .namespace(namespace)
            .transport_type(transport)
            .reconnect(false)
            .on_any(move |event, payload, _| {
                let _ = any.send((event.as_str().to_string(), first(payload)));
                async {}.boxed()
            })
            .on(Event::Error, move |payload, _| {
                let _ = errors.send(("error".to_string(), first(payload)));
                async {}.boxed()
            })
            .on(Event::Connect, move |_, _| {
                let _ = sender.send(("connect".to_string(), Value::Null));
                async {}.boxed()
            });
        if let Some(token) = token {
            builder = builder.auth(json!({ "token": token }));
        }
        let client = builder
            .connect()
            .await
            .map_err(|error| format!("engine.io connection failed: {error}"))?;
        let outcome = tokio::time::timeout(WAIT, async {
            while let Some((event, value)) = events.recv().await {
                match event.as_str() {
                    "connect" => return Ok(()),
                    "error" => {
                        let text = value.as_str().unwrap_or_default();
                        if let Some(refusal) = text.strip_prefix(CONNECT_ERROR) {
                            return Err(refusal.trim_start_matches(": ").to_string());
                        }
                    }
                    _ => {}
                }
            }
            Err("the connection closed".to_string())
        })
        .await
        .unwrap_or_else(|_| Err("no connect within the wait".to_string()));
        match outcome {
            Ok(()) => Ok(Self {
                client,
                events,
                seen: Vec::new(),
            }),
            Err(refusal) => {
                let _ = client.disconnect().await;
                Err(refusal)
            }
        }
    }

    /// Emits without an ack.
    pub async fn emit(&self, event: &str, data: Value) {
        self.client
            .emit(event, data)
            .await
            .unwrap_or_else(|error| panic!("emitting {event}: {error}"));
    }

    /// Emits with an ack and returns the server's answer.
    pub async fn request(&self, event: &str, data: Value) -> Value {
        let (sender, answer) = tokio::sync::oneshot::channel();
        let sender = Arc::new(Mutex::new(Some(sender)));
        self.client
            .emit_with_ack(event, data, WAIT, move |payload, _| {
                let sender = sender.clone();
                async move {
                    let taken = sender.lock().expect("ack lock").take();
                    if let Some(sender) = taken {
                        let _ = sender.send(first_of_ack(payload));
                    }
                }
                .boxed()
            })
            .await
            .unwrap_or_else(|error| panic!("emitting {event}: {error}"));
        tokio::time::timeout(WAIT, answer)
            .await
            .unwrap_or_else(|_| panic!("no ack to {event} within {WAIT:?}"))
            .expect("the ack callback ran")
    }

    /// Like [`Socket::request`], asserting the answer is `{ok: true, …}`.
    pub async fn ok(&self, event: &str, data: Value) -> Value {
        let answer = self.request(event, data).await;
        assert_eq!(answer["ok"], true, "{event} refused: {answer}");
        answer
    }

    /// Like [`Socket::request`], asserting a refusal with `code`.
    pub async fn refused(&self, event: &str, data: Value, code: &str) -> Value {
        let answer = self.request(event, data).await;
        assert_eq!(answer["ok"], false, "{event} accepted: {answer}");
        assert_eq!(answer["error"]["code"], code, "{event}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
        answer
    }

    /// Waits for the first `event` whose payload satisfies `matches`.
    pub async fn expect(&mut self, event: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(event, &matches, WAIT)
            .await
            .unwrap_or_else(|| panic!("no matching {event} within {WAIT:?}; seen {:?}", self.seen))
    }

    /// Asserts no `event` satisfying `matches` comes within [`QUIET`].
    pub async fn expect_none(&mut self, event: &str, matches: impl Fn(&Value) -> bool) {
        if let Some(value) = self.wait_for(event, &matches, QUIET).await {
            panic!("unexpected {event}: {value}");
        }
    }

    async fn wait_for(
        &mut self,
        event: &str,
        matches: &impl Fn(&Value) -> bool,
        within: Duration,
    ) -> Option<Value> {
        if let Some(index) = self
            .seen
            .iter()
            .position(|(name, value)| name == event && matches(value))
        {
            return Some(self.seen.remove(index).1);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.events.recv()).await;
            match next {
                Ok(Some((name, value))) if name == event && matches(&value) => return Some(value),
                Ok(Some(other)) => self.seen.push(other),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    pub async fn disconnect(self) {
        let _ = self.client.disconnect().await;
    }
}
