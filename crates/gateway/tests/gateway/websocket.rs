//! WebSocket upgrades through the proxy: a real WebSocket echo server
//! upstream (tokio-tungstenite over the upgraded connection), a real
//! WebSocket client in front of the gateway.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use http::StatusCode;
use http::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{WebSocketStream, connect_async};

use crate::remote::{Gateway, Instance, Remote, http, within};

/// An instance with `/api/v1/ws` (echo, prefixed with its name) and
/// `/api/v1/where` (its name).
async fn echo_instance(name: &'static str) -> Instance {
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/api/v1/where", get(move || async move { name }))
        .route("/api/v1/ws", get(echo))
        .with_state(name);
    Instance::serve(app).await
}

/// Accepts the upgrade by hand, then echoes every message.
async fn echo(State(name): State<&'static str>, mut request: Request) -> Response {
    let Some(key) = request.headers().get(SEC_WEBSOCKET_KEY).cloned() else {
        return (StatusCode::BAD_REQUEST, "not a WebSocket request").into_response();
    };
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        while let Some(Ok(message)) = socket.next().await {
            let answer = match message {
                Message::Text(text) => Message::text(format!("{name}: {text}")),
                Message::Binary(bytes) => Message::Binary(bytes),
                Message::Close(_) => break,
                _ => continue,
            };
            if socket.send(answer).await.is_err() {
                break;
            }
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(CONNECTION, "upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_ACCEPT, derive_accept_key(key.as_bytes()))
        .body(Body::empty())
        .expect("101")
}

const PATHS: &[&str] = &["/api/v1/ws", "/api/v1/where"];

async fn where_is(gateway: &Gateway) -> String {
    http()
        .get(gateway.url("/api/v1/where"))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn a_websocket_is_proxied_end_to_end() {
    let a = echo_instance("a").await;
    let gateway = Gateway::start(
        Remote {
            instances: &[&a],
            paths: PATHS,
            extra_paths: &[],
        },
        // A short time to a head must not cut a connection that lives on.
        |config| {
            config.request_timeout_ms = 300;
            config.upstream_timeout_ms = 300;
        },
    )
    .await;
    let (mut socket, response) = within(connect_async(gateway.ws_url("/api/v1/ws")))
        .await
        .expect("the upgrade goes through");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);

    within(socket.send(Message::text("hello")))
        .await
        .expect("sent");
    let echoed = within(socket.next()).await.expect("a message").expect("ok");
    assert_eq!(echoed, Message::text("a: hello"));

    tokio::time::sleep(Duration::from_millis(500)).await;
    let big = Bytes::from(vec![7u8; 300 * 1024]);
    within(socket.send(Message::Binary(big.clone())))
        .await
        .expect("sent");
    let echoed = within(socket.next()).await.expect("a message").expect("ok");
    assert_eq!(echoed, Message::Binary(big), "a large frame, intact");

    within(socket.close(None)).await.expect("closes");
}

#[tokio::test]
async fn an_open_websocket_counts_as_load_on_its_instance_until_it_closes() {
    let (a, b) = (echo_instance("a").await, echo_instance("b").await);
    let gateway = Gateway::start(
        Remote {
            instances: &[&a, &b],
            paths: PATHS,
            extra_paths: &[],
        },
        |_| {},
    )
    .await;
    let (mut socket, _) = within(connect_async(gateway.ws_url("/api/v1/ws")))
        .await
        .expect("upgrades");
    within(socket.send(Message::text("who")))
        .await
        .expect("sent");
    let Message::Text(answer) = within(socket.next()).await.expect("a message").expect("ok") else {
        panic!("a text answer");
    };
    let holder = answer
        .as_str()
        .split(':')
        .next()
        .expect("a name")
        .to_string();

    // Busy with the socket, its instance is not chosen for other requests.
    for _ in 0..6 {
        assert_ne!(where_is(&gateway).await, holder);
    }

    within(socket.close(None)).await.expect("closes");
    drop(socket);
    within(async {
        while where_is(&gateway).await != holder {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_refused_upgrade_is_answered_as_the_instance_answered() {
    let a = echo_instance("a").await;
    let gateway = Gateway::start(
        Remote {
            instances: &[&a],
            paths: PATHS,
            extra_paths: &[],
        },
        |_| {},
    )
    .await;
    // Asks to upgrade without a WebSocket key: the echo server says 400.
    let response = http()
        .get(gateway.url("/api/v1/ws"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        response.text().await.expect("text"),
        "not a WebSocket request"
    );
    // And the path still serves plain requests.
    let plain = http()
        .get(gateway.url("/api/v1/where"))
        .send()
        .await
        .expect("answers");
    assert_eq!(plain.text().await.expect("text"), "a");
}
