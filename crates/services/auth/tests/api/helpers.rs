//! A `TestApp`: the auth service on its own database, driven through its
//! router as the gateway would, with one method per endpoint.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, Bytes};
use chorus_auth::{Argon2Config, AuthConfig, AuthService};
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::token::{AccessClaims, TokenKeys, revoked_session_key};
use chorus_core::{Envelope, Id, IdGenerator, Identity, IdentityKey, Secret};
use chorus_ports::blobs::LocalBlobs;
use chorus_ports::bus::MemoryBus;
use chorus_ports::cache::{MemoryCache, RedisCache};
use chorus_ports::pubsub::MemoryPubSub;
use chorus_ports::{
    Cache, EventBus, EventHandler, Infra, InfraConfig, ServiceContext, Subscription,
};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";
pub const ACCESS_TTL: Duration = Duration::from_secs(900);

/// Cheap hashing so that tests run fast; everything else as in production.
pub fn test_config() -> AuthConfig {
    AuthConfig {
        argon2: Argon2Config {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
        maintenance_interval_secs: 0,
        ..AuthConfig::default()
    }
}

/// Where a test's data lives.
#[derive(Clone)]
pub enum Backend {
    /// A SQLite file in a fresh folder, the in-process cache.
    Embedded,
    /// A fresh PostgreSQL schema and a fresh Redis key prefix.
    Distributed { postgres: String, redis: String },
}

impl Backend {
    /// The distributed backend, if PostgreSQL and Redis answer here.
    pub fn distributed() -> Option<Self> {
        Some(Self::Distributed {
            postgres: chorus_testkit::postgres_url()?,
            redis: chorus_testkit::redis_url()?,
        })
    }
}

pub struct TestApp {
    pub router: Router,
    pub service: AuthService,
    pub ctx: ServiceContext,
    backend: Backend,
    data_dir: PathBuf,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(test_config()).await
    }

    pub async fn spawn_with(config: AuthConfig) -> Self {
        Self::spawn_on(Backend::Embedded, config).await
    }

    pub async fn spawn_on(backend: Backend, config: AuthConfig) -> Self {
        chorus_testkit::init_test_logs();
        let namespace = chorus_testkit::unique_namespace("auth");
        let data_dir = std::env::temp_dir().join(&namespace);
        let ctx = context(&backend, &namespace, data_dir.clone()).await;
        Self::start(ctx, backend, data_dir, config).await
    }

    async fn start(
        ctx: ServiceContext,
        backend: Backend,
        data_dir: PathBuf,
        config: AuthConfig,
    ) -> Self {
        let service = AuthService::start(&ctx, config)
            .await
            .expect("the service starts");
        Self {
            router: service.router(),
            service,
            ctx,
            backend,
            data_dir,
        }
    }

    /// Stops this instance and starts another on the same database, with an
    /// empty in-process cache: what a restart of the process does.
    pub async fn restart(mut self) -> Self {
        self.ctx.shutdown.cancel();
        let mut ctx = self.ctx.clone();
        ctx.shutdown = CancellationToken::new();
        ctx.infra = Infra {
            cache: Arc::new(MemoryCache::new(&ctx.infra_config.namespace)),
            pubsub: Arc::new(MemoryPubSub::new(&ctx.infra_config.namespace)),
            bus: Arc::new(MemoryBus::new()),
            blobs: ctx.infra.blobs.clone(),
        };
        let data_dir = std::mem::take(&mut self.data_dir);
        let backend = self.backend.clone();
        Self::start(ctx, backend, data_dir, test_config()).await
    }

    pub fn cache(&self) -> Arc<dyn Cache> {
        self.ctx.infra.cache.clone()
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body reads")
            .to_bytes();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    pub async fn signup(&self, body: Value) -> TestResponse {
        self.post_json("/api/v1/auth/signup", &body, &[]).await
    }

    /// Signs up `username` (email `{username}@example.com`, password [`PASSWORD`]).
    pub async fn signed_up(&self, username: &str) -> Session {
        let response = self
            .signup(json!({
                "username": username,
                "email": format!("{username}@example.com"),
                "password": PASSWORD,
            }))
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        self.session_from(&response)
    }

    pub async fn login(&self, identifier: &str, password: &str) -> TestResponse {
        let body = json!({ "identifier": identifier, "password": password });
        self.post_json("/api/v1/auth/login", &body, &[]).await
    }

    /// Logs in a signed-up user again: a second session.
    pub async fn logged_in(&self, username: &str) -> Session {
        let response = self.login(username, PASSWORD).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        self.session_from(&response)
    }

    pub async fn refresh(&self, refresh_token: &str) -> TestResponse {
        let body = json!({ "refresh_token": refresh_token });
        self.post_json("/api/v1/auth/refresh", &body, &[]).await
    }

    pub async fn me(&self, access_token: &str) -> TestResponse {
        let request = Request::get("/api/v1/auth/me")
            .header(IDENTITY_HEADER, self.identity(access_token))
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    pub async fn logout(&self, access_token: &str) -> TestResponse {
        let request = Request::post("/api/v1/auth/logout")
            .header(IDENTITY_HEADER, self.identity(access_token))
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    pub async fn change_password(
        &self,
        access_token: &str,
        current: &str,
        new: &str,
    ) -> TestResponse {
        let body = json!({ "current_password": current, "new_password": new });
        let identity = self.identity(access_token);
        self.post_json(
            "/api/v1/auth/password",
            &body,
            &[(IDENTITY_HEADER, &identity)],
        )
        .await
    }

    /// The identity header the gateway attaches for a valid access token.
    pub fn identity(&self, access_token: &str) -> String {
        let claims = self.claims(access_token);
        self.ctx.identity_key.sign(Identity {
            user_id: claims.sub,
            session_id: claims.sid,
        })
    }

    pub fn claims(&self, access_token: &str) -> AccessClaims {
        self.ctx
            .token_keys
            .verify(access_token)
            .expect("a valid access token")
    }

    /// Would the gateway let this access token through? It must verify and
    /// its session must not be marked revoked.
    pub async fn gateway_accepts(&self, access_token: &str) -> bool {
        let Ok(claims) = self.ctx.token_keys.verify(access_token) else {
            return false;
        };
        self.cache()
            .get(&revoked_session_key(claims.sid))
            .await
            .expect("the cache answers")
            .is_none()
    }

    /// Events of the given types as they are published, from now on.
    pub async fn events(&self, topics: &[&str]) -> mpsc::UnboundedReceiver<Envelope> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let subscription = Subscription {
            consumer: format!("test_{}", rand_suffix()),
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

    fn session_from(&self, response: &TestResponse) -> Session {
        let body = response.json();
        let access_token = body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string();
        let claims = self.claims(&access_token);
        Session {
            user_id: claims.sub,
            session_id: claims.sid,
            access_token,
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_string(),
        }
    }

    /// Runs SQL against the service's database, as an operator would.
    pub async fn execute_sql(&self, sql: &'static str, id: Id) {
        use sqlx::Executor;
        let pool = match &self.backend {
            Backend::Embedded => {
                let url = format!("sqlite://{}", self.data_dir.join("auth.db").display());
                sqlx::AnyPool::connect(&url)
                    .await
                    .expect("opens the database")
            }
            Backend::Distributed { postgres, .. } => {
                let schema = format!("{}_auth", self.ctx.infra_config.namespace);
                let pool = sqlx::AnyPool::connect(postgres).await.expect("connects");
                pool.execute(sqlx::AssertSqlSafe(format!(
                    "SET search_path TO \"{schema}\""
                )))
                .await
                .expect("schema");
                pool
            }
        };
        sqlx::query(sql)
            .bind(id.as_i64())
            .execute(&pool)
            .await
            .expect("runs");
        pool.close().await;
    }
}

impl TestApp {
    /// Drops a distributed test's PostgreSQL schema once it is done.
    pub async fn drop_schema(&self) {
        use sqlx::Executor;
        let Backend::Distributed { postgres, .. } = &self.backend else {
            return;
        };
        self.ctx.shutdown.cancel();
        let schema = format!("{}_auth", self.ctx.infra_config.namespace);
        let pool = sqlx::AnyPool::connect(postgres).await.expect("connects");
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
        if !self.data_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// What a sign-up or login handed out.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: Id,
    pub session_id: Id,
    pub access_token: String,
    pub refresh_token: String,
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
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

    pub fn error_message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error answer: {}", self.text()))
            .to_string()
    }

    /// The `Set-Cookie` header for `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// The value a `Set-Cookie` for `name` sets.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let header = self.set_cookie(name)?;
        let pair = header.split(';').next()?;
        Some(pair.split_once('=')?.1.to_string())
    }
}

/// Waits for the next event, failing after a few seconds.
pub async fn next_event(events: &mut mpsc::UnboundedReceiver<Envelope>) -> Envelope {
    tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event within 5 s")
        .expect("the bus is open")
}

struct Collector(mpsc::UnboundedSender<Envelope>);

#[async_trait]
impl EventHandler for Collector {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let _ = self.0.send(event.clone());
        Ok(())
    }
}

async fn context(backend: &Backend, namespace: &str, data_dir: PathBuf) -> ServiceContext {
    let (infra_config, cache): (InfraConfig, Arc<dyn Cache>) = match backend {
        Backend::Embedded => (
            InfraConfig {
                namespace: namespace.to_string(),
                ..InfraConfig::default()
            },
            Arc::new(MemoryCache::new(namespace)),
        ),
        Backend::Distributed { postgres, redis } => (
            InfraConfig {
                store_url: postgres.clone(),
                cache_url: redis.clone(),
                namespace: namespace.to_string(),
                ..InfraConfig::default()
            },
            Arc::new(
                RedisCache::connect(redis, namespace)
                    .await
                    .expect("connects to Redis"),
            ),
        ),
    };
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::new());
    ServiceContext {
        infra: Infra {
            cache,
            pubsub: Arc::new(MemoryPubSub::new(namespace)),
            bus,
            blobs: Arc::new(LocalBlobs::new(&data_dir.join("media"))),
        },
        infra_config,
        data_dir,
        ids: Arc::new(IdGenerator::with_random_node()),
        identity_key: IdentityKey::new(&Secret::new("internal identity key for tests")),
        token_keys: TokenKeys::new(&Secret::new("access token secret for tests")),
        access_ttl: ACCESS_TTL,
        draining: CancellationToken::new(),
        shutdown: CancellationToken::new(),
        tasks: TaskTracker::new(),
    }
}

fn rand_suffix() -> String {
    chorus_testkit::unique_namespace("c")
}
