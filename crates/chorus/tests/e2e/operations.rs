//! Running Chorus: where it listens, what it reports, how it starts, stops
//! and recovers.

use reqwest::StatusCode;

use crate::client::Api;
use crate::harness::{Chorus, free_local_address, run_to_end, temp_dir};

crate::in_both_modes!(
    health_ready_and_metrics_answer,
    the_openapi_document_lists_every_auth_route,
);

async fn health_ready_and_metrics_answer(app: &Chorus) {
    let api = Api::new(&app.base);
    assert_eq!(api.get("/health", None).await.status, StatusCode::OK);
    let ready = api.get("/ready", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    api.get("/api/v1/auth/me", None).await;
    let metrics = api
        .http
        .get(api.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    assert!(text.contains("chorus_http_requests_total"), "{text}");
    assert!(
        text.contains("route=\"/api/v1/auth/me\""),
        "per-route series: {text}"
    );
}

async fn the_openapi_document_lists_every_auth_route(app: &Chorus) {
    let api = Api::new(&app.base);
    let answer = api.get("/api/v1/openapi.json", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let paths = answer.body["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
}

#[tokio::test]
async fn chorus_up_listens_where_chorus_listen_says() {
    let listen = free_local_address();
    let app = Chorus::embedded_in(temp_dir("listen"), &listen).await;
    assert_eq!(app.base, format!("http://{listen}"));
    let answer = Api::new(&format!("http://{listen}"))
        .get("/health", None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn chorus_up_keeps_its_data_in_the_folder_it_starts_from() {
    let app = Chorus::embedded().await;
    Api::new(&app.base).signup("dd").await;
    assert!(
        app.dir.join("data/auth.db").exists(),
        "the default data folder is ./data"
    );
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    let app = Chorus::embedded().await;
    for status in app.terminate().await {
        assert!(status.success(), "exit status {status}");
    }
}

#[tokio::test]
async fn an_acknowledged_signup_survives_a_crash() {
    let app = Chorus::embedded().await;
    let session = Api::new(&app.base).signup("crash").await;
    let dir = app.crash().await;

    let restarted = Chorus::embedded_in(dir, "127.0.0.1:0").await;
    let api = Api::new(&restarted.base);
    let username = session.user["username"].as_str().expect("username");
    let login = api.login(username, &session.password).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(
        api.me(&session.access_token).await.status,
        StatusCode::OK,
        "tokens survive a restart"
    );
}

#[tokio::test]
async fn a_logout_survives_a_restart() {
    let app = Chorus::embedded().await;
    let api = Api::new(&app.base);
    let session = api.signup("relog").await;
    assert_eq!(
        api.logout(&session.access_token).await.status,
        StatusCode::NO_CONTENT
    );
    let dir = app.crash().await;

    let restarted = Chorus::embedded_in(dir, "127.0.0.1:0").await;
    let answer = Api::new(&restarted.base).me(&session.access_token).await;
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "a revoked token stays revoked after a restart"
    );
}

#[tokio::test]
async fn chorus_config_prints_the_settings_with_secrets_redacted() {
    let output = run_to_end(
        &temp_dir("config"),
        &["config"],
        &[
            ("CHORUS_SECURITY__JWT_SECRET", "do-not-print-me"),
            (
                "CHORUS_INFRA__STORE_URL",
                "postgres://root:hunter2@127.0.0.1/test",
            ),
        ],
    )
    .await;
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains("listen = \"127.0.0.1:8080\""), "{text}");
    assert!(!text.contains("do-not-print-me"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn a_wrong_setting_stops_the_start_and_names_the_setting() {
    for (variable, value, setting) in [
        ("CHORUS_NODE_ID", "abc", "node_id"),
        ("CHORUS_INFRA__BUS_URL", "kafka://nowhere", "infra.bus_url"),
        ("CHORUS_LISTEN", "nowhere", "listen"),
    ] {
        let output = run_to_end(&temp_dir("badconf"), &["up"], &[(variable, value)]).await;
        assert!(!output.status.success(), "{variable}={value} must fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(setting), "{variable}={value}: {stderr}");
    }
}

#[tokio::test]
async fn serve_without_shared_secrets_refuses_to_start() {
    let output = run_to_end(&temp_dir("nosecret"), &["serve", "--target", "auth"], &[]).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("security.jwt_secret"), "{stderr}");
}

#[tokio::test]
async fn chorus_migrate_creates_the_databases_and_exits() {
    let dir = temp_dir("migrate");
    let output = run_to_end(&dir, &["migrate"], &[]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrated auth"));
    assert!(dir.join("data/auth.db").exists());

    // Migrating again is harmless, and the migrated data folder starts as usual.
    let again = run_to_end(&dir, &["migrate"], &[]).await;
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let app = Chorus::embedded_in(dir, "127.0.0.1:0").await;
    Api::new(&app.base).signup("mig").await;
}
