//! Refusals arrive as the same `ApiError`; callers without a valid signed
//! identity are refused.

use std::sync::Arc;
use std::time::Duration;

use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{ApiError, Id, Identity, IdentityKey, Secret};
use chorus_rpc::UsersApi;
use chorus_rpc::grpc::from_status;
use chorus_rpc::grpc::proto::users::CardsRequest;
use chorus_rpc::grpc::proto::users::users_client::UsersClient;
use http::StatusCode;
use tonic::Code;

use crate::fake::{ALICE, CAROL, FakeUsers, MISSING};
use crate::helpers::{DEADLINE, client_with, connected, serve_users, url};

fn assert_error(error: &ApiError, status: StatusCode, code: &str, message: &str) {
    assert_eq!(error.status, status, "{error}");
    assert_eq!(error.code, code, "{error}");
    assert_eq!(error.message, message, "{error}");
}

#[tokio::test]
async fn a_not_found_arrives_as_the_same_404() {
    let (_, remote) = connected().await;
    let error = remote
        .profile(None, "nobody")
        .await
        .expect_err("no such user");
    assert_error(&error, StatusCode::NOT_FOUND, "not_found", "no such user");
    let error = remote.unfollow(ALICE, MISSING).await.expect_err("missing");
    assert_error(&error, StatusCode::NOT_FOUND, "not_found", "no such user");
}

#[tokio::test]
async fn a_validation_failure_arrives_with_its_details() {
    let (_, remote) = connected().await;
    let error = remote.follow(ALICE, ALICE).await.expect_err("follow self");
    let expected = ApiError::invalid_field("user_id", "you cannot follow yourself");
    assert_error(
        &error,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        &expected.message,
    );
    assert_eq!(error.details, expected.details);
}

#[tokio::test]
async fn a_forbidden_arrives_as_the_same_403() {
    let (_, remote) = connected().await;
    let error = remote.follow(ALICE, CAROL).await.expect_err("blocked");
    assert_error(
        &error,
        StatusCode::FORBIDDEN,
        "forbidden",
        "unblock this user first",
    );
}

#[tokio::test]
async fn a_call_without_identity_is_refused_as_unauthenticated() {
    let users = Arc::new(FakeUsers::default());
    let addr = serve_users(users.clone()).await;
    let mut raw = UsersClient::connect(url(addr))
        .await
        .expect("connect a raw client");
    let status = raw
        .cards(CardsRequest { ids: vec![ALICE.0] })
        .await
        .expect_err("no identity");
    assert_eq!(status.code(), Code::Unauthenticated);
    let error = from_status("users", &status);
    assert_eq!(error.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error.code, "unauthorized");
    assert_eq!(users.calls(), 0, "the implementation was never called");
}

#[tokio::test]
async fn a_garbled_identity_is_refused() {
    let users = Arc::new(FakeUsers::default());
    let addr = serve_users(users.clone()).await;
    let mut raw = UsersClient::connect(url(addr)).await.expect("connect");
    let mut request = tonic::Request::new(CardsRequest { ids: vec![] });
    let forged = "v1.0.0.9999999999.bm90LWEtc2lnbmF0dXJl"
        .parse()
        .expect("ascii metadata");
    request.metadata_mut().insert(IDENTITY_HEADER, forged);
    let status = raw.cards(request).await.expect_err("forged identity");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(users.calls(), 0);
}

#[tokio::test]
async fn an_identity_signed_with_another_key_is_refused() {
    let users = Arc::new(FakeUsers::default());
    let addr = serve_users(users.clone()).await;
    let wrong_key = IdentityKey::new(&Secret::new("not the internal key"));
    let remote = client_with(&[addr], wrong_key.clone(), DEADLINE);
    let error = remote.cards(&[ALICE]).await.expect_err("wrong key");
    assert_eq!(error.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error.code, "unauthorized");

    // The same holds for a user identity forged with that key.
    let mut raw = UsersClient::connect(url(addr)).await.expect("connect");
    let mut request = tonic::Request::new(CardsRequest { ids: vec![] });
    let signed = wrong_key.sign(Identity {
        user_id: Id(1),
        session_id: Id(1),
    });
    request
        .metadata_mut()
        .insert(IDENTITY_HEADER, signed.parse().expect("ascii"));
    request.set_timeout(Duration::from_secs(2));
    let status = raw.cards(request).await.expect_err("forged");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(users.calls(), 0);
}
