//! The Socket.IO engine at `/socket.io`, with both namespaces: `/chat`
//! (conversations, typing, presence, calls) and `/notifications`. Handlers
//! check, then call the application layer; whatever reaches a room goes
//! through pub/sub ([`delivery`] emits it on every instance).

mod auth;
mod calls;
mod chat;
mod connection;
pub mod delivery;
mod notifications;
mod rate_limit;
mod reply;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chorus_core::token::TokenKeys;
use chorus_core::{ApiError, ApiResult, IdentityKey};
use chorus_ports::Cache;
use serde::de::DeserializeOwned;
use serde_json::Value;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::{SocketIo, TransportType};

pub use auth::Authenticator;
use connection::{Connection, Rate};
use reply::Reply;

use crate::app::Chat;
use crate::config::ChatConfig;
use crate::live::rooms::{CHAT_NAMESPACE, NOTIFICATIONS_NAMESPACE};

/// Where the engine answers (both transports, both namespaces).
pub const ENGINE_PATH: &str = "/socket.io";

/// What every handler shares.
pub struct Hub {
    pub chat: Chat,
    pub auth: Authenticator,
}

impl Hub {
    pub fn new(
        chat: Chat,
        token_keys: TokenKeys,
        identity_key: IdentityKey,
        cache: Arc<dyn Cache>,
    ) -> Self {
        Self {
            chat,
            auth: Authenticator {
                token_keys,
                identity_key,
                cache,
            },
        }
    }
}

/// Builds the engine, registers both namespaces, and mounts it at `paths`:
/// the routes (both transports) and the engine's handle.
pub fn engine(hub: Arc<Hub>, config: &ChatConfig, paths: &[&str]) -> (Router, SocketIo) {
    let (service, io) = SocketIo::builder()
        .req_path(ENGINE_PATH)
        .transports([TransportType::Polling, TransportType::Websocket])
        .ping_interval(Duration::from_secs(config.ping_interval_secs))
        .ping_timeout(Duration::from_secs(config.ping_timeout_secs))
        // Messages are at most 4000 characters; SDP offers a few KiB.
        .max_payload(256 * 1024)
        .ws_max_message_size(256 * 1024)
        .build_svc();
    io.ns(
        CHAT_NAMESPACE,
        chat::on_connect(hub.clone()).with(admit(hub.clone())),
    );
    io.ns(
        NOTIFICATIONS_NAMESPACE,
        notifications::on_connect().with(admit(hub)),
    );
    let routes = paths.iter().fold(Router::new(), |router, path| {
        router.route_service(path, service.clone())
    });
    (routes, io)
}

type Admission = Pin<Box<dyn Future<Output = Result<(), auth::Refusal>> + Send>>;

/// The handshake middleware: a refused connection gets `connect_error`;
/// an admitted one carries its [`Connection`].
fn admit(hub: Arc<Hub>) -> impl Fn(SocketRef, TryData<Value>) -> Admission + Clone + Send + Sync {
    move |socket: SocketRef, TryData(auth): TryData<Value>| {
        let hub = hub.clone();
        Box::pin(async move {
            let header = auth::identity_header(socket.req_parts()).map(str::to_string);
            let identity = hub
                .auth
                .identify(auth.ok().as_ref(), header.as_deref())
                .await?;
            let config = hub.chat.config();
            let sends = Rate {
                per_sec: config.rate_limit_per_sec,
                burst: config.rate_limit_burst,
            };
            let events = Rate {
                per_sec: config.event_rate_limit_per_sec,
                burst: config.event_rate_limit_burst,
            };
            socket
                .extensions
                .insert(Connection::new(identity, sends, events));
            Ok(())
        })
    }
}

/// One event's context: the hub, the socket and its connection.
pub struct Event {
    pub hub: Arc<Hub>,
    pub socket: SocketRef,
    pub connection: Connection,
}

type Outcome = Pin<Box<dyn Future<Output = ApiResult<Value>> + Send>>;

/// Registers `action` for `name`: the payload is handed over as JSON (an
/// unreadable one is refused), and the outcome answered by [`Reply`].
fn on(
    socket: &SocketRef,
    hub: &Arc<Hub>,
    connection: &Connection,
    name: &'static str,
    action: fn(Event, Value) -> Outcome,
) {
    let hub = hub.clone();
    let connection = connection.clone();
    socket.on(
        name,
        move |socket: SocketRef, TryData(data): TryData<Value>, reply: Reply| {
            let event = Event {
                hub: hub.clone(),
                socket: socket.clone(),
                connection: connection.clone(),
            };
            async move {
                let outcome = match (event.connection.take_event(), data) {
                    (Err(wait), _) => Err(rate_limited(wait)),
                    (Ok(()), Ok(data)) => action(event, data).await,
                    (Ok(()), Err(_)) => {
                        Err(ApiError::malformed("the payload is not readable JSON"))
                    }
                };
                reply.answer(&socket, name, outcome);
            }
        },
    );
}

/// `rate_limited`, telling in whole seconds (at least one) when to retry.
fn rate_limited(wait: std::time::Duration) -> ApiError {
    ApiError::rate_limited(wait.as_secs_f64().ceil().max(1.0) as u64)
}

/// The event's payload as `T`; a payload of the wrong shape is refused
/// naming what is wrong (400 `validation_failed`).
fn payload<T: DeserializeOwned>(data: Value) -> ApiResult<T> {
    serde_json::from_value(data)
        .map_err(|error| ApiError::validation(format!("malformed payload: {error}")))
}
