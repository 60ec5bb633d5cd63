//! Chat and notifications driven by python-socketio, a Socket.IO client
//! written by others (`tests/clients/socketio_chat.py`): what a browser or a
//! mobile app of the seeds does must work unchanged. In distributed mode the
//! two users sit on different chat instances, reached around the gateway,
//! and then both through it.
//!
//! Needs `python3` with `python-socketio[client]`
//! (`pip install -r scripts/test-requirements.txt`): skipped, and said so,
//! without it, unless `CHORUS_REQUIRE_SERVERS=1` (CI installs it).

use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::client::Api;
use crate::harness::{Chorus, Mode};
use crate::social::User;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/clients/socketio_chat.py"
);

#[tokio::test]
async fn python_socketio_clients_chat_and_get_notifications_embedded() {
    chorus_testkit::init_test_logs();
    if !python_socketio_present() {
        return;
    }
    let app = Chorus::start_with(Mode::Embedded, &[])
        .await
        .expect("embedded mode needs nothing");
    run_scenario(&app, &app.base, &app.base).await;
}

#[tokio::test]
async fn python_socketio_clients_on_two_chat_instances_see_each_other() {
    chorus_testkit::init_test_logs();
    if !python_socketio_present() {
        return;
    }
    let Some(app) = Chorus::distributed_scaled(&[], 2).await else {
        return;
    };
    let chat = &app.instances["chat"];
    // Around the gateway: ana on the first instance, ben on the second.
    run_scenario(&app, &chat[0], &chat[1]).await;
    // Through the gateway, which keeps each session on its instance.
    run_scenario(&app, &app.base, &app.base).await;
}

async fn run_scenario(app: &Chorus, url_a: &str, url_b: &str) {
    let api = Api::new(&app.base);
    let ana = api.user("py").await;
    let ben = api.user("py").await;
    let room = conversation(&api, &ana, &ben).await;
    let config = json!({
        "url_a": url_a,
        "url_b": url_b,
        "rest": app.base,
        "token_a": ana.token,
        "token_b": ben.token,
        "user_a": ana.id,
        "user_b": ben.id,
        "room": room,
    });
    let run = tokio::process::Command::new("python3")
        .arg(SCRIPT)
        .arg(config.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the python client finishes within 120 s")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("PASS"),
        "python-socketio scenario failed ({url_a}, {url_b}):\n{stdout}\n{stderr}"
    );
}

async fn conversation(api: &Api, ana: &User, ben: &User) -> String {
    let created = api
        .post(
            "/api/v1/conversations",
            ana.token(),
            &json!({ "member_ids": [ben.id] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["id"]
        .as_str()
        .expect("a conversation id")
        .to_string()
}

/// Is python-socketio importable? Without it the test is skipped, unless
/// the real-server suites are mandatory (CI), where it is a failure.
fn python_socketio_present() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    *PRESENT.get_or_init(|| {
        let present = Path::new(SCRIPT).exists()
            && std::process::Command::new("python3")
                .args(["-c", "import socketio, requests"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
        if !present {
            let hint = "python3 with python-socketio[client] is missing: pip install -r scripts/test-requirements.txt";
            assert!(
                std::env::var("CHORUS_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "{hint}"
            );
            eprintln!("skipped: {hint}");
        }
        present
    })
}
