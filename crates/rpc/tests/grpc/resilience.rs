//! Deadlines, balancing and instances that are down: a caller always gets an
//! answer or a 503 within its deadline, never a hang.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chorus_rpc::UsersApi;
use chorus_rpc::grpc::GrpcUsers;
use chorus_testkit::TcpProxy;
use http::StatusCode;
use tokio::net::TcpListener;

use crate::fake::{ALICE, FakeUsers};
use crate::helpers::{DEADLINE, client, client_with, key, serve_users};

const SHORT: Duration = Duration::from_millis(300);
/// Room for a busy machine; a hang would blow far past it.
const SLACK: Duration = Duration::from_secs(2);

fn assert_unavailable(error: &chorus_core::ApiError) {
    assert_eq!(error.status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_eq!(error.code, "unavailable", "{error}");
}

/// A port nothing listens on: connections are refused.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address")
}

/// A port that accepts connections and never says a word.
async fn silent_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

#[tokio::test]
async fn a_slow_implementation_past_the_deadline_is_unavailable_at_the_deadline() {
    let addr = serve_users(Arc::new(FakeUsers::slow(Duration::from_secs(30)))).await;
    let remote = client_with(&[addr], key(), SHORT);
    let started = Instant::now();
    let error = remote.cards(&[ALICE]).await.expect_err("too slow");
    let waited = started.elapsed();
    assert_unavailable(&error);
    assert!(waited >= SHORT, "gave up early: {waited:?}");
    assert!(waited < SHORT + SLACK, "gave up late: {waited:?}");
}

#[tokio::test]
async fn a_call_given_up_on_is_cancelled_on_the_server_too() {
    let users = Arc::new(FakeUsers::slow(SHORT * 2));
    let remote = client_with(&[serve_users(users.clone()).await], key(), SHORT);
    remote.cards(&[ALICE]).await.expect_err("too slow");
    tokio::time::sleep(SHORT * 3).await;
    assert_eq!(users.calls(), 1);
    assert_eq!(users.finished(), 0, "the server kept working for nobody");
}

#[tokio::test]
async fn a_slow_answer_within_the_deadline_arrives() {
    let addr = serve_users(Arc::new(FakeUsers::slow(Duration::from_millis(50)))).await;
    let remote = client_with(&[addr], key(), SHORT);
    assert_eq!(remote.cards(&[ALICE]).await.expect("in time").len(), 1);
}

#[tokio::test]
async fn calls_take_turns_over_every_instance() {
    let first = Arc::new(FakeUsers::default());
    let second = Arc::new(FakeUsers::default());
    let addrs = [
        serve_users(first.clone()).await,
        serve_users(second.clone()).await,
    ];
    let remote = client(&addrs);
    for _ in 0..10 {
        remote.cards(&[ALICE]).await.expect("cards");
    }
    assert_eq!((first.calls(), second.calls()), (5, 5));
}

#[tokio::test]
async fn an_instance_that_is_down_is_unavailable_at_once() {
    let remote = client(&[closed_port().await]);
    let started = Instant::now();
    let error = remote.profile(None, "alice").await.expect_err("down");
    assert_unavailable(&error);
    assert!(started.elapsed() < DEADLINE, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn an_instance_that_never_answers_is_unavailable_at_the_deadline() {
    let remote = client_with(&[silent_port().await], key(), SHORT);
    let started = Instant::now();
    let error = remote.cards(&[ALICE]).await.expect_err("silent");
    assert_unavailable(&error);
    let waited = started.elapsed();
    assert!(waited < SHORT + SLACK, "took {waited:?}");
}

#[tokio::test]
async fn calls_move_on_from_an_instance_that_is_down() {
    let up = Arc::new(FakeUsers::default());
    let remote = client(&[closed_port().await, serve_users(up.clone()).await]);
    for _ in 0..6 {
        remote
            .cards(&[ALICE])
            .await
            .expect("served by the live instance");
    }
    assert_eq!(up.calls(), 6);
}

#[tokio::test]
async fn calls_move_on_from_an_instance_that_dies_while_connected() {
    let first = Arc::new(FakeUsers::default());
    let second = Arc::new(FakeUsers::default());
    let dying = TcpProxy::start(serve_users(first.clone()).await);
    let remote = client(&[dying.addr(), serve_users(second.clone()).await]);
    for _ in 0..2 {
        remote
            .cards(&[ALICE])
            .await
            .expect("both instances connected");
    }
    assert_eq!((first.calls(), second.calls()), (1, 1));

    dying.stop().await;
    for _ in 0..6 {
        remote
            .cards(&[ALICE])
            .await
            .expect("served by the survivor");
    }
    assert_eq!((first.calls(), second.calls()), (1, 7));
}

#[tokio::test]
async fn an_instance_that_goes_down_and_comes_back_is_used_again() {
    let users = Arc::new(FakeUsers::default());
    let proxy = TcpProxy::start(serve_users(users.clone()).await);
    let remote = client(&[proxy.addr()]);
    remote.cards(&[ALICE]).await.expect("first call");

    proxy.stop().await;
    let error = remote.cards(&[ALICE]).await.expect_err("down");
    assert_unavailable(&error);

    proxy.resume().await;
    remote.cards(&[ALICE]).await.expect("after coming back");
    assert_eq!(users.calls(), 2);
}

#[tokio::test]
async fn a_client_refuses_bad_urls() {
    for urls in [
        vec![],
        vec!["not a url".to_string()],
        vec!["https://users:8080".to_string()],
        vec!["127.0.0.1:8080".to_string()],
    ] {
        assert!(
            GrpcUsers::new(&urls, key(), DEADLINE).is_err(),
            "{urls:?} accepted"
        );
    }
    let zero = GrpcUsers::new(&["http://127.0.0.1:1".into()], key(), Duration::ZERO);
    assert!(zero.is_err(), "a zero deadline accepted");
}

#[test]
fn a_client_made_outside_a_runtime_is_an_error_not_a_panic() {
    let made = GrpcUsers::new(&["http://127.0.0.1:1".into()], key(), DEADLINE);
    assert!(made.is_err());
}
