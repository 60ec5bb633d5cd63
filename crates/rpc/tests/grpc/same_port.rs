//! One listener, two protocols: `axum::serve` (http1 + http2 features) takes
//! gRPC over h2c prior knowledge and plain HTTP/1.1 on the same port, so the
//! users service needs no second port for its internal RPC.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use chorus_rpc::UsersApi;
use chorus_rpc::grpc::users_routes;
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::fake::{ALICE, FakeUsers};
use crate::helpers::{client, key, serve};

/// A plain HTTP/1.1 GET, written by hand so no client can upgrade it to h2.
async fn http1_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("read the answer");
    answer
}

#[tokio::test]
async fn grpc_and_plain_http1_share_one_listener() {
    let users = Arc::new(FakeUsers::default());
    let rest = Router::new()
        .route("/health", get(|| async { "alive" }))
        // The service's router has a fallback: the gRPC routes must merge anyway.
        .fallback(|| async { StatusCode::NOT_FOUND });
    let addr = serve(rest.merge(users_routes(users.clone(), key()))).await;

    let health = http1_get(addr, "/health").await;
    assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
    assert!(health.ends_with("alive"), "{health}");
    let missing = http1_get(addr, "/nowhere").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");

    let remote = client(&[addr]);
    let cards = remote.cards(&[ALICE]).await.expect("grpc on the same port");
    assert_eq!(cards.len(), 1);
    assert_eq!(users.calls(), 1);

    // And HTTP/1 still works after the h2 connection is up.
    let again = http1_get(addr, "/health").await;
    assert!(again.starts_with("HTTP/1.1 200 OK\r\n"), "{again}");
}
