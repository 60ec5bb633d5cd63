//! `PostsApi` over gRPC: the same answers as in process, the same refusals,
//! the same identity check, balancing and deadline as for users.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{ApiError, Id, IdentityKey, Secret};
use chorus_rpc::grpc::proto::posts::BodiesRequest;
use chorus_rpc::grpc::proto::posts::posts_client::PostsClient;
use chorus_rpc::grpc::{from_status, posts_routes, users_routes};
use chorus_rpc::posts::{MAX_IDS, PostBody};
use chorus_rpc::users::UserCard;
use chorus_rpc::{PostsApi, UsersApi};
use http::StatusCode;
use tokio::net::TcpListener;
use tonic::Code;

use crate::fake::{ALICE, FakeUsers};
use crate::fake_posts::{BROKEN, FIRST, FakePosts, MISSING, SECOND, THIRD, all_bodies};
use crate::helpers::{
    DEADLINE, client, key, posts_client_with, posts_connected, serve, serve_posts, url,
};

const VIEWER: Id = Id(99);

fn by_id(mut bodies: Vec<PostBody>) -> Vec<PostBody> {
    bodies.sort_by_key(|body| body.id);
    bodies
}

#[tokio::test]
async fn bodies_round_trip_exactly() {
    let (_, remote) = posts_connected().await;
    let ids = [THIRD, MISSING, FIRST, SECOND];
    let over_grpc = remote.bodies(&ids).await.expect("bodies over grpc");
    let in_process = FakePosts::default().bodies(&ids).await.expect("in process");
    assert_eq!(over_grpc.len(), 3);
    assert_eq!(by_id(over_grpc.clone()), by_id(in_process));
    assert_eq!(by_id(over_grpc.clone()), by_id(all_bodies()));

    // And so does what a client is shown, down to the byte.
    let author = UserCard {
        id: Id(1),
        username: "alice".into(),
        display_name: "Alice".into(),
        avatar_url: None,
    };
    for (remote, local) in by_id(over_grpc).into_iter().zip(by_id(all_bodies())) {
        let kinds = vec!["like".to_string()];
        let remote = serde_json::to_string(&remote.view(author.clone(), kinds.clone()));
        let local = serde_json::to_string(&local.view(author.clone(), kinds));
        assert_eq!(remote.expect("serializes"), local.expect("serializes"));
    }
}

#[tokio::test]
async fn reactions_round_trip_exactly_including_empty_entries() {
    let (_, remote) = posts_connected().await;
    let posts = [FIRST, SECOND, THIRD, MISSING];
    let over_grpc = remote.reactions_of(VIEWER, &posts).await.expect("kinds");
    let expected = FakePosts::default()
        .reactions_of(VIEWER, &posts)
        .await
        .expect("in process");
    assert_eq!(over_grpc, expected);
    assert_eq!(over_grpc[&FIRST], ["like", "fire"], "order kept");
    assert_eq!(over_grpc.get(&THIRD), Some(&vec![]));
    assert!(!over_grpc.contains_key(&SECOND));
    let nobody = remote.reactions_of(MISSING, &posts).await.expect("none");
    assert_eq!(nobody, HashMap::new());
}

#[tokio::test]
async fn empty_batches_cross_the_wire_and_come_back_empty() {
    let (posts, remote) = posts_connected().await;
    assert_eq!(remote.bodies(&[]).await.expect("bodies"), []);
    assert_eq!(
        remote.reactions_of(VIEWER, &[]).await.expect("kinds"),
        HashMap::new()
    );
    assert_eq!(posts.calls(), 2, "each call reached the implementation");
}

#[tokio::test]
async fn refusals_arrive_as_the_same_errors() {
    let (_, remote) = posts_connected().await;
    let too_many: Vec<Id> = (1..=MAX_IDS as i64 + 1).map(Id).collect();
    let expected = FakePosts::default()
        .bodies(&too_many)
        .await
        .expect_err("too many in process");
    for error in [
        remote.bodies(&too_many).await.expect_err("too many ids"),
        remote
            .reactions_of(VIEWER, &too_many)
            .await
            .expect_err("too many posts"),
    ] {
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.code, "validation_failed");
        assert_eq!(error.message, expected.message);
        assert_eq!(error.details, expected.details);
    }
    let broken = remote.bodies(&[BROKEN]).await.expect_err("broken");
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(broken.code, "internal");
}

#[tokio::test]
async fn calls_without_a_valid_identity_are_refused() {
    let posts = Arc::new(FakePosts::default());
    let addr = serve_posts(posts.clone()).await;
    let mut raw = PostsClient::connect(url(addr)).await.expect("connect");
    let status = raw
        .bodies(BodiesRequest { ids: vec![FIRST.0] })
        .await
        .expect_err("no identity");
    assert_eq!(status.code(), Code::Unauthenticated);
    let error = from_status("posts", &status);
    assert_eq!(
        (error.status, error.code),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );

    let mut request = tonic::Request::new(BodiesRequest { ids: vec![] });
    let forged = "v1.0.0.9999999999.bm90LWEtc2lnbmF0dXJl"
        .parse()
        .expect("ascii metadata");
    request.metadata_mut().insert(IDENTITY_HEADER, forged);
    let status = raw.bodies(request).await.expect_err("forged identity");
    assert_eq!(status.code(), Code::Unauthenticated);

    let wrong_key = IdentityKey::new(&Secret::new("not the internal key"));
    let remote = posts_client_with(&[addr], wrong_key, DEADLINE);
    let error = remote
        .reactions_of(VIEWER, &[FIRST])
        .await
        .expect_err("key");
    assert_eq!(error.status, StatusCode::UNAUTHORIZED);
    assert_eq!(posts.calls(), 0, "the implementation was never called");
}

#[tokio::test]
async fn calls_take_turns_and_move_on_from_an_instance_that_is_down() {
    let first = Arc::new(FakePosts::default());
    let second = Arc::new(FakePosts::default());
    let addrs = [
        serve_posts(first.clone()).await,
        serve_posts(second.clone()).await,
    ];
    let remote = posts_client_with(&addrs, key(), DEADLINE);
    for _ in 0..10 {
        remote.bodies(&[FIRST]).await.expect("bodies");
    }
    assert_eq!((first.calls(), second.calls()), (5, 5));

    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let down = closed.local_addr().expect("address");
    drop(closed);
    let remote = posts_client_with(&[down, addrs[0]], key(), DEADLINE);
    for _ in 0..4 {
        remote
            .bodies(&[FIRST])
            .await
            .expect("served by the live one");
    }
    assert_eq!(first.calls(), 9);
}

#[tokio::test]
async fn a_slow_posts_service_is_unavailable_at_the_deadline() {
    let short = Duration::from_millis(300);
    let addr = serve_posts(Arc::new(FakePosts::slow(Duration::from_secs(30)))).await;
    let remote = posts_client_with(&[addr], key(), short);
    let started = Instant::now();
    let error: ApiError = remote.bodies(&[FIRST]).await.expect_err("too slow");
    let waited = started.elapsed();
    assert_eq!(error.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error.message, "the posts service did not answer in time");
    assert!(waited >= short && waited < short + Duration::from_secs(2));
}

#[tokio::test]
async fn users_and_posts_routes_share_one_router() {
    let posts = Arc::new(FakePosts::default());
    let users = Arc::new(FakeUsers::default());
    let router = users_routes(users.clone(), key()).merge(posts_routes(posts.clone(), key()));
    let addr = serve(router).await;
    let remote = posts_client_with(&[addr], key(), DEADLINE);
    assert_eq!(remote.bodies(&[SECOND]).await.expect("posts").len(), 1);
    assert_eq!(
        client(&[addr]).cards(&[ALICE]).await.expect("cards").len(),
        1
    );
    assert_eq!((posts.calls(), users.calls()), (1, 1));
}

#[tokio::test]
async fn a_bodies_scan_round_trips_in_id_order_from_after() {
    let (posts, remote) = posts_connected().await;
    let everything = remote.bodies_after(None, MAX_IDS).await.expect("all");
    assert_eq!(everything, by_id(all_bodies()), "ascending ids, exactly");
    assert_eq!(
        everything,
        FakePosts::default()
            .bodies_after(None, MAX_IDS)
            .await
            .expect("in process")
    );
    let ids: Vec<Id> = everything.iter().map(|body| body.id).collect();
    assert_eq!(ids, [SECOND, FIRST, THIRD]);

    let first_page = remote.bodies_after(None, 2).await.expect("first page");
    assert_eq!(first_page, everything[..2], "the limit holds");
    let rest = remote.bodies_after(Some(FIRST), 2).await.expect("rest");
    assert_eq!(rest, everything[2..], "strictly after `after`");
    let between = remote.bodies_after(Some(Id(3)), 1).await.expect("page");
    assert_eq!(between, everything[1..2], "`after` need not be a post");
    let none = remote.bodies_after(Some(THIRD), 10).await.expect("none");
    assert_eq!(none, []);
    assert_eq!(posts.calls(), 5, "each call reached the implementation");
}

#[tokio::test]
async fn a_bodies_scan_limit_of_none_or_past_the_maximum_is_refused() {
    let (_, remote) = posts_connected().await;
    for limit in [0, MAX_IDS + 1, usize::MAX] {
        let expected = FakePosts::default()
            .bodies_after(None, limit.min(MAX_IDS + 1))
            .await
            .expect_err("in process");
        let error = remote.bodies_after(None, limit).await.expect_err("refused");
        assert_eq!(error.status, StatusCode::BAD_REQUEST, "limit {limit}");
        assert_eq!(error.code, "validation_failed");
        assert_eq!(error.message, expected.message);
        assert_eq!(error.details, expected.details);
    }
}
