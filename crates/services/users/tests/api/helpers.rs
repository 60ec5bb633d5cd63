//! A `TestApp`: the users service on its own database (a SQLite file, or a
//! fresh PostgreSQL schema), driven through its router as the gateway would,
//! with accounts created by feeding `user.registered` through the bus.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, Bytes};
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{Envelope, Id, IdGenerator, Identity};
use chorus_ports::{EventHandler, ServiceContext, Subscription};
use chorus_users::UsersService;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};
use tower::ServiceExt;

/// Every event type the service publishes.
pub const PUBLISHED: &[&str] = &[
    "user.updated",
    "user.followed",
    "user.unfollowed",
    "follow.requested",
    "friend.requested",
    "friend.accepted",
    "friend.removed",
    "user.blocked",
    "user.unblocked",
];

/// Where a test's data lives.
#[derive(Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

pub struct TestApp {
    pub router: Router,
    pub service: UsersService,
    pub ctx: ServiceContext,
    backend: Backend,
    data_dir: PathBuf,
    events: Mutex<mpsc::UnboundedReceiver<Envelope>>,
}

/// A registered account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Id,
    pub username: String,
}

impl User {
    pub fn id(&self) -> String {
        self.id.to_string()
    }
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::spawn(Backend::Sqlite).await
    }

    /// `None` (the test is skipped) when no PostgreSQL answers here.
    pub async fn postgres() -> Option<Self> {
        Some(Self::spawn(Backend::Postgres(chorus_testkit::postgres_url()?)).await)
    }

    pub async fn spawn(backend: Backend) -> Self {
        chorus_testkit::init_test_logs();
        let namespace = chorus_testkit::unique_namespace("users");
        let data_dir = std::env::temp_dir().join(&namespace);
        let ctx = context(&backend, &namespace, data_dir.clone());
        let (sender, receiver) = mpsc::unbounded_channel();
        let collector = Subscription {
            consumer: "test_collector".into(),
            topics: PUBLISHED.iter().map(|t| t.to_string()).collect(),
            retry: Default::default(),
            batch: 1,
            expires_after: None,
        };
        ctx.infra
            .bus
            .subscribe(collector, Arc::new(Collector(sender)))
            .await
            .expect("subscribes");
        let service = UsersService::start(&ctx).await.expect("the service starts");
        Self {
            router: service.router(),
            service,
            ctx,
            backend,
            data_dir,
            events: Mutex::new(receiver),
        }
    }

    /// Creates an account's profile as auth's `user.registered` does.
    pub async fn register(&self, username: &str) -> User {
        let id = self.ctx.ids.next_id();
        self.publish(&registered(&self.ctx.ids, id, username)).await;
        User {
            id,
            username: username.to_string(),
        }
    }

    /// Publishes on the bus; returns once every consumer applied the event.
    pub async fn publish(&self, event: &Envelope) {
        self.ctx.infra.bus.publish(event).await.expect("publishes");
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        caller: Option<&User>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(user) = caller {
            request = request.header(IDENTITY_HEADER, self.identity(user.id));
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("the router is infallible");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body reads")
            .to_bytes();
        TestResponse { status, body }
    }

    pub async fn get(&self, path: &str, caller: Option<&User>) -> TestResponse {
        self.request(Method::GET, path, caller, None).await
    }

    pub async fn post(&self, path: &str, caller: &User) -> TestResponse {
        self.request(Method::POST, path, Some(caller), None).await
    }

    pub async fn delete(&self, path: &str, caller: &User) -> TestResponse {
        self.request(Method::DELETE, path, Some(caller), None).await
    }

    pub async fn patch_me(&self, caller: &User, body: Value) -> TestResponse {
        let path = "/api/v1/users/me";
        self.request(Method::PATCH, path, Some(caller), Some(body))
            .await
    }

    /// `caller` follows `target`; the answer's state.
    pub async fn follow(&self, caller: &User, target: &User) -> String {
        let response = self.post(&user_path(target, "follow"), caller).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response.json()["state"]
            .as_str()
            .expect("state")
            .to_string()
    }

    /// A profile as `viewer` sees it; panics unless 200.
    pub async fn profile(&self, user: &User, viewer: Option<&User>) -> Value {
        let response = self
            .get(&format!("/api/v1/users/{}", user.id), viewer)
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response.json()
    }

    /// `(followers_count, following_count)` of `user`.
    pub async fn counts(&self, user: &User) -> (i64, i64) {
        let profile = self.profile(user, None).await;
        (
            profile["followers_count"].as_i64().expect("count"),
            profile["following_count"].as_i64().expect("count"),
        )
    }

    /// The identity header the gateway attaches for `user_id`.
    pub fn identity(&self, user_id: Id) -> String {
        self.ctx.identity_key.sign(Identity {
            user_id,
            session_id: Id(1),
        })
    }

    /// The next event the service published, failing after a few seconds.
    pub async fn next_event(&self) -> Envelope {
        let mut events = self.events.lock().await;
        tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("an event within 5 s")
            .expect("the bus is open")
    }

    /// The next event must be `kind` with exactly `payload`, caused by `actor`.
    pub async fn expect_event(&self, kind: &str, actor: &User, payload: Value) {
        let event = self.next_event().await;
        assert_eq!(
            (event.kind.as_str(), &event.payload),
            (kind, &payload),
            "{event:?}"
        );
        assert_eq!(event.actor, Some(actor.id), "{event:?}");
    }

    /// Drops a PostgreSQL test's schema once it is done.
    pub async fn drop_schema(&self) {
        use sqlx::Executor;
        let Backend::Postgres(url) = &self.backend else {
            return;
        };
        self.ctx.shutdown.cancel();
        let schema = format!("{}_users", self.ctx.infra_config.namespace);
        let pool = sqlx::AnyPool::connect(url).await.expect("connects");
        pool.execute(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
        )))
        .await
        .expect("drops the schema");
        pool.close().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.ctx.shutdown.cancel();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// `/api/v1/users/{id}/{tail}`.
pub fn user_path(user: &User, tail: &str) -> String {
    format!("/api/v1/users/{}/{tail}", user.id)
}

/// A `user.registered` envelope as auth publishes it.
pub fn registered(ids: &IdGenerator, user_id: Id, username: &str) -> Envelope {
    Envelope::new(
        ids.next_id(),
        "user.registered",
        Some(user_id),
        json!({
            "user_id": user_id,
            "username": username,
            "display_name": format!("{username} display"),
            "created_at": "2026-01-02T03:04:05.678Z",
        }),
    )
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `error.code` of an error answer.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error answer: {}", self.text()))
            .to_string()
    }

    /// Asserts the status and error code of an error answer.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.error_code(), code, "{}", self.text());
    }

    /// The ids of a list answer's items (`item[key].id`, or `item.id` when `key` is empty).
    pub fn ids(&self, key: &str) -> Vec<String> {
        self.json()["items"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {}", self.text()))
            .iter()
            .map(|item| match key {
                "" => item["id"].as_str().expect("id").to_string(),
                key => item[key]["id"].as_str().expect("id").to_string(),
            })
            .collect()
    }
}

struct Collector(mpsc::UnboundedSender<Envelope>);

#[async_trait]
impl EventHandler for Collector {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let _ = self.0.send(event.clone());
        Ok(())
    }
}

fn context(backend: &Backend, namespace: &str, data_dir: PathBuf) -> ServiceContext {
    let postgres_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres(url) => Some(url.as_str()),
    };
    chorus_ports::testing::service_context(postgres_url, namespace, data_dir)
}

/// Runs each named scenario (`async fn name(app: &TestApp)`) on SQLite, and
/// on PostgreSQL when one answers.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::sqlite().await;
                super::$name(&app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = $crate::helpers::TestApp::postgres().await else {
                    return;
                };
                super::$name(&app).await;
                app.drop_schema().await;
            }
        }
    )*};
}
