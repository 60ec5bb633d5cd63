//! A `TestApp`: the posts service on its own database, driven through its
//! router as the gateway would (signed identity headers), with a fake users
//! service whose relations the test controls.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{Envelope, Id, Identity};
use chorus_ports::{Db, ServiceContext, Subscription};
use chorus_posts::{PostsConfig, PostsService};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tower::ServiceExt;

use crate::fake_users::FakeUsers;
use crate::response::Collector;
pub use crate::response::{TestResponse, id_of};

/// Where a test's data lives.
#[derive(Clone)]
pub enum Backend {
    /// A SQLite file in a fresh folder.
    Embedded,
    /// A fresh schema in this PostgreSQL database.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL, if one answers here.
    pub fn postgres() -> Option<Self> {
        chorus_testkit::postgres_url().map(Self::Postgres)
    }
}

pub struct TestApp {
    pub router: Router,
    pub service: PostsService,
    pub ctx: ServiceContext,
    pub users: Arc<FakeUsers>,
    backend: Backend,
    data_dir: PathBuf,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_on(Backend::Embedded).await
    }

    pub async fn spawn_on(backend: Backend) -> Self {
        Self::spawn_with(backend, PostsConfig::default()).await
    }

    pub async fn spawn_with(backend: Backend, config: PostsConfig) -> Self {
        chorus_testkit::init_test_logs();
        let namespace = chorus_testkit::unique_namespace("posts");
        let data_dir = std::env::temp_dir().join(&namespace);
        let ctx = context(&backend, &namespace, data_dir.clone());
        let users = Arc::new(FakeUsers::default());
        let service = PostsService::start_with(&ctx, config, users.clone())
            .await
            .expect("the service starts");
        Self {
            router: service.router(),
            service,
            ctx,
            users,
            backend,
            data_dir,
        }
    }

    /// A new user the fake users service knows.
    pub fn user(&self, username: &str) -> Id {
        let id = self.ctx.ids.next_id();
        self.users.add(id, username);
        id
    }

    /// The identity header the gateway attaches for `user`.
    pub fn identity(&self, user: Id) -> String {
        self.ctx.identity_key.sign(Identity {
            user_id: user,
            session_id: Id(1),
        })
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
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

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        user: Option<Id>,
        body: Option<&Value>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(user) = user {
            request = request.header(IDENTITY_HEADER, self.identity(user));
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    pub async fn get(&self, path: &str, user: Option<Id>) -> TestResponse {
        self.request(Method::GET, path, user, None).await
    }

    pub async fn post(&self, path: &str, user: Id, body: &Value) -> TestResponse {
        self.request(Method::POST, path, Some(user), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, user: Id, body: &Value) -> TestResponse {
        self.request(Method::PATCH, path, Some(user), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, user: Id) -> TestResponse {
        self.request(Method::PUT, path, Some(user), None).await
    }

    pub async fn delete(&self, path: &str, user: Id) -> TestResponse {
        self.request(Method::DELETE, path, Some(user), None).await
    }

    /// `POST /api/v1/posts`, expecting 201; answers the post.
    pub async fn create_post(&self, author: Id, body: Value) -> Value {
        let response = self.post("/api/v1/posts", author, &body).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()
    }

    /// A post with `content` and `visibility`; answers its id.
    pub async fn post_id(&self, author: Id, content: &str, visibility: &str) -> String {
        let post = self
            .create_post(
                author,
                json!({"content": content, "visibility": visibility}),
            )
            .await;
        id_of(&post)
    }

    /// `POST /api/v1/posts/{post}/comments`, expecting 201; answers the comment id.
    pub async fn comment(
        &self,
        author: Id,
        post: &str,
        content: &str,
        parent: Option<&str>,
    ) -> String {
        let body = json!({"content": content, "parent_id": parent});
        let response = self
            .post(&format!("/api/v1/posts/{post}/comments"), author, &body)
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        id_of(&response.json())
    }

    /// Puts an event on the bus, as another service would; returns once
    /// every consumer (posts among them) has applied it.
    pub async fn publish(&self, kind: &str, payload: Value) {
        let event = Envelope::new(self.ctx.ids.next_id(), kind, None, payload);
        self.ctx.infra.bus.publish(&event).await.expect("published");
    }

    /// A media `owner` uploaded, as the media service announces it.
    pub async fn uploaded_media(&self, owner: Id) -> Id {
        let media = self.ctx.ids.next_id();
        self.publish("media.uploaded", media_uploaded(media, owner))
            .await;
        media
    }

    /// Waits until the outbox relay has published every event written so far.
    pub async fn outbox_drained(&self) {
        let db = Db::connect(&self.ctx.db_target(chorus_posts::NAME))
            .await
            .expect("opens the database");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while chorus_ports::outbox::pending(&db).await.expect("counts") > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the outbox drains within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        db.close().await;
    }

    /// Events of the given types as they are published, from now on (once
    /// the events of what happened before have gone out).
    pub async fn events(&self, topics: &[&str]) -> mpsc::UnboundedReceiver<Envelope> {
        self.outbox_drained().await;
        let (sender, receiver) = mpsc::unbounded_channel();
        let subscription = Subscription {
            consumer: chorus_testkit::unique_namespace("collector"),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            retry: Default::default(),
            batch: 1,
            expires_after: None,
        };
        self.ctx
            .infra
            .bus
            .subscribe(subscription, Arc::new(Collector(sender)))
            .await
            .expect("subscribes");
        receiver
    }

    /// Drops a PostgreSQL test's schema once it is done.
    pub async fn drop_schema(&self) {
        use sqlx::Executor;
        let Backend::Postgres(url) = &self.backend else {
            return;
        };
        self.ctx.shutdown.cancel();
        let schema = format!("{}_posts", self.ctx.infra_config.namespace);
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

fn context(backend: &Backend, namespace: &str, data_dir: PathBuf) -> ServiceContext {
    let postgres_url = match backend {
        Backend::Embedded => None,
        Backend::Postgres(url) => Some(url.as_str()),
    };
    chorus_ports::testing::service_context(postgres_url, namespace, data_dir)
}

/// `media.uploaded` for a 640 × 480 PNG with a small variant, as the media
/// service words it.
pub fn media_uploaded(media: Id, owner: Id) -> Value {
    json!({
        "media_id": media, "owner_id": owner, "url": format!("/media/{media}"),
        "mime": "image/png", "size": 4321, "width": 640, "height": 480,
        "variants": {"small": {"url": format!("/media/{media}/small"),
                               "width": 150, "height": 112, "mime": "image/webp"}},
        "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    })
}

/// How a post shows the media [`media_uploaded`] announced.
pub fn media_view(media: Id) -> Value {
    json!({
        "id": media.to_string(), "url": format!("/media/{media}"),
        "mime": "image/png", "size": 4321, "width": 640, "height": 480,
        "variants": {"small": {"url": format!("/media/{media}/small"),
                               "width": 150, "height": 112, "mime": "image/webp"}},
    })
}
