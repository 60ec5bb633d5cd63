//! The layers every request crosses: fallbacks, limits, timeouts, CORS,
//! compression, request ids, and the gateway's own routes.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use chorus_gateway::{Backend, GatewayConfig, GatewayDeps, Upstream};
use chorus_ports::cache::MemoryCache;
use chorus_telemetry::Readiness;
use http::StatusCode;
use http::header::{
    ACCEPT_ENCODING, ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW,
    CONTENT_ENCODING, CONTENT_LENGTH,
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{
    TestApp, assert_error, body_of, document, identity_key, json_of, request, token_keys,
};

#[tokio::test]
async fn an_unknown_route_answers_404_in_the_error_shape() {
    let app = TestApp::new();
    let response = app.get("/api/v1/nowhere", &[]).await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_answers_405_in_the_error_shape() {
    let app = TestApp::new();
    let response = app
        .send(request("DELETE", "/api/v1/auth/me", &[], Body::empty()))
        .await;
    assert!(response.headers().contains_key(ALLOW));
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn an_oversize_body_answers_413_in_the_error_shape() {
    let app = TestApp::with_config(GatewayConfig {
        body_limit_bytes: 1024,
        ..GatewayConfig::default()
    });
    let declared = app
        .send(request(
            "POST",
            "/api/v1/echo",
            &[(CONTENT_LENGTH.as_str(), "4096")],
            Body::from(vec![b'x'; 4096]),
        ))
        .await;
    assert_error(declared, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    let undeclared = app
        .send(request(
            "POST",
            "/api/v1/echo",
            &[],
            Body::from(vec![b'x'; 4096]),
        ))
        .await;
    assert_error(
        undeclared,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn an_upload_route_a_service_declares_gets_its_own_larger_limit() {
    let config = GatewayConfig {
        body_limit_bytes: 1024,
        ..GatewayConfig::default()
    };
    let upload = ("/api/v1/echo".to_string(), 8 * 1024);
    let app = TestApp::build_with(config, Arc::new(MemoryCache::new("t")), vec![upload]);
    for declared in [true, false] {
        let headers: &[(&str, &str)] = match declared {
            true => &[(CONTENT_LENGTH.as_str(), "4096")],
            false => &[],
        };
        let within = app
            .send(request(
                "POST",
                "/api/v1/echo",
                headers,
                Body::from(vec![b'x'; 4096]),
            ))
            .await;
        assert_eq!(within.status(), StatusCode::OK, "declared: {declared}");
        assert_eq!(body_of(within).await.len(), 4096);

        let beyond = app
            .send(request(
                "POST",
                "/api/v1/echo",
                &[],
                Body::from(vec![b'x'; 9000]),
            ))
            .await;
        assert_error(beyond, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    }
    // Other routes keep the gateway's limit.
    let elsewhere = app
        .send(request(
            "POST",
            "/api/v1/whoever",
            &[(CONTENT_LENGTH.as_str(), "4096")],
            Body::from(vec![b'x'; 4096]),
        ))
        .await;
    assert_error(
        elsewhere,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn a_body_within_the_limit_passes() {
    let app = TestApp::new();
    let response = app
        .send(request("POST", "/api/v1/echo", &[], Body::from("hello")))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_of(response).await, "hello");
}

#[tokio::test]
async fn a_slow_route_answers_504_in_the_error_shape() {
    let app = TestApp::with_config(GatewayConfig {
        request_timeout_ms: 100,
        ..GatewayConfig::default()
    });
    let response = app.get("/api/v1/slow", &[]).await;
    assert_error(response, StatusCode::GATEWAY_TIMEOUT, "timeout").await;
}

#[tokio::test]
async fn a_cors_preflight_is_answered_for_any_origin_by_default() {
    let app = TestApp::new();
    let preflight = [
        ("origin", "https://app.example"),
        ("access-control-request-method", "POST"),
        (
            "access-control-request-headers",
            "authorization,content-type",
        ),
    ];
    let response = app
        .send(request(
            "OPTIONS",
            "/api/v1/whoever",
            &preflight,
            Body::empty(),
        ))
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(
        !response
            .headers()
            .contains_key(ACCESS_CONTROL_ALLOW_CREDENTIALS)
    );
}

#[tokio::test]
async fn listed_origins_get_credentials_and_others_get_nothing() {
    let app = TestApp::with_config(GatewayConfig {
        cors_allowed_origins: vec!["https://app.example".to_string()],
        ..GatewayConfig::default()
    });
    let preflight = |origin| {
        request(
            "OPTIONS",
            "/api/v1/whoever",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
            ],
            Body::empty(),
        )
    };
    let allowed = app.send(preflight("https://app.example")).await;
    assert_eq!(
        allowed.headers()[ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example"
    );
    assert_eq!(allowed.headers()[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");

    let refused = app.send(preflight("https://evil.example")).await;
    assert!(!refused.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[tokio::test]
async fn a_large_answer_is_gzipped_when_asked() {
    let app = TestApp::new();
    let response = app
        .get("/api/v1/big", &[(ACCEPT_ENCODING.as_str(), "gzip")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
    let body = body_of(response).await;
    assert_eq!(&body[..2], [0x1f, 0x8b], "gzip magic");
    assert!(body.len() < 7000);
}

#[tokio::test]
async fn a_small_or_unasked_answer_is_not_compressed() {
    let app = TestApp::new();
    let small = app
        .get("/api/v1/whoever", &[(ACCEPT_ENCODING.as_str(), "gzip")])
        .await;
    assert!(!small.headers().contains_key(CONTENT_ENCODING));
    let unasked = app.get("/api/v1/big", &[]).await;
    assert!(!unasked.headers().contains_key(CONTENT_ENCODING));
}

#[tokio::test]
async fn a_request_id_is_minted_and_echoed() {
    let app = TestApp::new();
    let response = app.get("/api/v1/whoever", &[]).await;
    let echoed = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    let (_, body) = json_of(response).await;
    assert!(!echoed.is_empty());
    assert_eq!(body["request_id"], echoed, "the service saw the same id");
}

#[tokio::test]
async fn a_sane_incoming_request_id_is_kept_and_an_odd_one_replaced() {
    let app = TestApp::new();
    let kept = app
        .get("/api/v1/whoever", &[("x-request-id", "abc-123")])
        .await;
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let (_, body) = json_of(kept).await;
    assert_eq!(body["request_id"], "abc-123");

    let replaced = app
        .get("/api/v1/whoever", &[("x-request-id", "a b{c}")])
        .await;
    assert_ne!(replaced.headers()["x-request-id"], "a b{c}");
}

#[tokio::test]
async fn the_openapi_document_lists_the_upstream_paths() {
    let app = TestApp::new();
    let (status, body) = json_of(app.get("/api/v1/openapi.json", &[]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["info"]["title"], "Chorus");
    assert!(body["paths"]["/api/v1/auth/me"].is_object(), "{body}");
    assert!(body["paths"]["/api/v1/whoever"].is_object(), "{body}");
}

#[tokio::test]
async fn health_and_ready_are_served() {
    let app = TestApp::new();
    assert_eq!(app.get("/health", &[]).await.status(), StatusCode::OK);
    assert_eq!(app.get("/ready", &[]).await.status(), StatusCode::OK);
}

fn deps() -> GatewayDeps {
    GatewayDeps {
        token_keys: token_keys(),
        identity_key: identity_key(),
        cache: Arc::new(MemoryCache::new("t")),
        readiness: Readiness::new(),
        shutdown: CancellationToken::new(),
    }
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_at_start() {
    let config = GatewayConfig {
        cors_allowed_origins: vec!["*".to_string()],
        ..GatewayConfig::default()
    };
    assert!(chorus_gateway::router(&config, deps(), Vec::new()).is_err());
}

#[tokio::test]
async fn services_whose_routes_collide_are_refused_at_start() {
    let upstream = |service: &str, backend| Upstream {
        service: service.to_string(),
        openapi: document(&["/api/v1/same"]),
        extra_paths: Vec::new(),
        body_limits: Vec::new(),
        backend,
    };
    let local = || Backend::InProcess(Router::new().route("/api/v1/same", get(|| async { "" })));
    let both_local = vec![upstream("one", local()), upstream("two", local())];
    let error =
        chorus_gateway::router(&GatewayConfig::default(), deps(), both_local).expect_err("refused");
    assert!(format!("{error:#}").contains("two"), "{error:#}");

    let remote = Backend::Remote(vec!["http://127.0.0.1:9".to_string()]);
    let local_and_remote = vec![upstream("one", local()), upstream("two", remote)];
    assert!(chorus_gateway::router(&GatewayConfig::default(), deps(), local_and_remote).is_err());
}

#[test]
fn remote_upstreams_outside_a_runtime_are_refused_rather_than_panicking() {
    let upstream = Upstream {
        service: "users".to_string(),
        openapi: document(&["/api/v1/users/{id}"]),
        extra_paths: Vec::new(),
        body_limits: Vec::new(),
        backend: Backend::Remote(vec!["http://127.0.0.1:9".to_string()]),
    };
    let error = chorus_gateway::router(&GatewayConfig::default(), deps(), vec![upstream])
        .expect_err("refused");
    assert!(format!("{error:#}").contains("Tokio runtime"), "{error:#}");
}
