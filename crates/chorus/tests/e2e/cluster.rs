//! `chorus cluster`: two instances of every service and two gateways behind
//! nginx, started with one command; `status` sees them, `restart` replaces
//! one, and `up` names what it lacks instead of installing it.

use serde_json::json;

use crate::client::Api;
use crate::harness::{Chorus, run_to_end, temp_dir};

#[tokio::test]
async fn a_cluster_serves_through_nginx_and_survives_a_restarted_instance() {
    chorus_testkit::init_test_logs();
    if chorus_testkit::postgres_url().is_none() || chorus_testkit::s3_url().is_none() {
        return;
    }
    let Some(app) = Chorus::cluster(&[], 2).await else {
        return;
    };
    for (service, urls) in &app.instances {
        assert_eq!(urls.len(), 2, "two instances of {service}");
    }
    assert_eq!(app.instances.len(), 8, "every service");
    let api = Api::new(&app.base);
    let ana = api.user("cluster").await;
    let bo = api.user("cluster").await;
    let follow = api
        .post(
            &format!("/api/v1/users/{}/follow", ana.id),
            Some(&bo.token),
            &json!({}),
        )
        .await;
    assert_eq!(follow.status, 200, "{:?}", follow.body);
    let post = api
        .post(
            "/api/v1/posts",
            Some(&ana.token),
            &json!({"content": "through nginx and two gateways", "visibility": "public"}),
        )
        .await;
    assert_eq!(post.status, 201, "{:?}", post.body);

    let cluster_dir = app.dir.join("cluster");
    let env = [("CHORUS_CLUSTER_DIR", cluster_dir.to_str().expect("utf-8"))];
    let status = run_to_end(&app.dir, &["cluster", "status"], &env).await;
    let listing = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "status: {listing}");
    assert_eq!(
        listing.lines().filter(|l| l.ends_with(" up")).count(),
        19,
        "{listing}"
    );

    // users/1 crashes and comes back where it was; its data is in PostgreSQL.
    let restart = run_to_end(&app.dir, &["cluster", "restart", "users/1", "--kill"], &env).await;
    assert!(
        restart.status.success(),
        "{}",
        String::from_utf8_lossy(&restart.stderr)
    );
    let profile = api
        .get(&format!("/api/v1/users/{}", ana.id), Some(&bo.token))
        .await;
    assert_eq!(profile.body["followers_count"], 1, "{:?}", profile.body);
    let feed = api.get("/api/v1/feed", Some(&bo.token)).await;
    assert_eq!(
        feed.body["items"][0]["id"], post.body["id"],
        "{:?}",
        feed.body
    );
    let status = run_to_end(&app.dir, &["cluster", "status"], &env).await;
    assert!(status.status.success(), "all up again after the restart");
}

#[tokio::test]
async fn up_names_every_server_it_lacks_and_starts_nothing() {
    let dir = temp_dir("cluster-lacks");
    let output = run_to_end(
        &dir,
        &[
            "cluster",
            "--dir",
            "c",
            "up",
            "--postgres",
            "postgres://root@127.0.0.1:1/postgres",
            "--redis",
            "redis://127.0.0.1:1",
            "--amqp",
            "amqp://guest:guest@127.0.0.1:1/%2f",
            "--blobs",
            "s3://b?endpoint=http://127.0.0.1:1",
        ],
        &[],
    )
    .await;
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    for lacking in [
        "PostgreSQL",
        "Redis at 127.0.0.1:1",
        "RabbitMQ",
        "S3 server",
    ] {
        assert!(message.contains(lacking), "names {lacking}: {message}");
    }
    assert!(
        !dir.join("c/cluster.json").exists(),
        "nothing started, nothing recorded"
    );
}
