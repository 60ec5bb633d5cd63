//! A `TestApp`: the media service on its own database (a SQLite file, or a
//! fresh PostgreSQL schema), a blob folder and an in-process bus, driven
//! through its router as the gateway would, with small limits so that
//! tests can pass them. Every event it publishes is recorded.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, Bytes};
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{Envelope, Id, Identity};
use chorus_media::{MediaConfig, MediaService};
use chorus_ports::blobs::BlobKey;
use chorus_ports::{EventHandler, RetryPolicy, ServiceContext, Subscription};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::fixtures::Form;

#[derive(Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// The limits every test runs with (pixels enough for a 2000×1000 image,
/// to get every default variant of it).
pub static CONFIG: LazyLock<MediaConfig> = LazyLock::new(|| MediaConfig {
    max_image_bytes: 20_000,
    max_video_bytes: 30_000,
    quota_bytes: 100_000,
    max_image_pixels: 2_000_000,
    variant_widths: vec![150, 600, 1200],
});

pub struct TestApp {
    pub router: Router,
    pub ctx: ServiceContext,
    backend: Backend,
    data_dir: PathBuf,
    events: Arc<Recorder>,
}

/// Keeps every event it is handed.
#[derive(Default)]
struct Recorder(Mutex<Vec<Envelope>>);

#[async_trait]
impl EventHandler for Recorder {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
        Ok(())
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        chorus_testkit::init_test_logs();
        let namespace = chorus_testkit::unique_namespace("media");
        let data_dir = std::env::temp_dir().join(&namespace);
        let ctx = context(&backend, &namespace, data_dir.clone());
        let events = Arc::new(Recorder::default());
        let subscription = Subscription {
            consumer: "recorder".into(),
            topics: vec!["media.*".into()],
            retry: RetryPolicy::default(),
            batch: 1,
            expires_after: None,
        };
        ctx.infra
            .bus
            .subscribe(subscription, events.clone())
            .await
            .expect("subscribes");
        let media = MediaService::start(&ctx, CONFIG.clone())
            .await
            .expect("media starts");
        Self {
            router: media.router(),
            ctx,
            backend,
            data_dir,
            events,
        }
    }

    pub fn user(&self) -> Id {
        self.ctx.ids.next_id()
    }

    /// The events published so far, of `kind`.
    pub fn events(&self, kind: &str) -> Vec<Envelope> {
        let events = self.events.0.lock().unwrap_or_else(|e| e.into_inner());
        events.iter().filter(|e| e.kind == kind).cloned().collect()
    }

    /// Is a blob stored for these bytes?
    pub async fn blob_exists(&self, sha256: &str) -> bool {
        let key = BlobKey::parse(&format!("sha256/{sha256}")).expect("a key");
        self.ctx
            .infra
            .blobs
            .head(&key)
            .await
            .expect("head")
            .is_some()
    }

    /// The files in the blob folder, wherever they are.
    pub fn blob_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &std::path::Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if !path.ends_with("ping") {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.data_dir.join("media").join("sha256"), &mut found);
        found
    }

    /// Files left in the upload spool.
    pub fn spooled_files(&self) -> usize {
        std::fs::read_dir(self.data_dir.join("uploads"))
            .map(|dir| dir.count())
            .unwrap_or(0)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        caller: Option<Id>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(user) = caller {
            let identity = self.ctx.identity_key.sign(Identity {
                user_id: user,
                session_id: Id(1),
            });
            request = request.header(IDENTITY_HEADER, identity);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
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

    /// Uploads `content` as the multipart field `file`, named and typed as
    /// a client says (which must not matter).
    pub async fn upload_as(
        &self,
        caller: Id,
        filename: &str,
        content_type: &str,
        content: &[u8],
    ) -> TestResponse {
        let form = Form::new().file("file", filename, content_type, content);
        self.send_form(Some(caller), &form).await
    }

    pub async fn upload(&self, caller: Id, content: &[u8]) -> TestResponse {
        self.upload_as(caller, "upload.bin", "application/octet-stream", content)
            .await
    }

    /// Uploads and expects it stored: the media's JSON.
    pub async fn uploaded(&self, caller: Id, content: &[u8]) -> Value {
        let answer = self.upload(caller, content).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()
    }

    pub async fn send_form(&self, caller: Option<Id>, form: &Form) -> TestResponse {
        let content_type = form.content_type();
        self.request(
            Method::POST,
            "/api/v1/media",
            caller,
            &[("content-type", &content_type)],
            form.body(),
        )
        .await
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        self.request(Method::GET, path, None, headers, Vec::new())
            .await
    }

    pub async fn delete(&self, id: &str, caller: Option<Id>) -> TestResponse {
        let path = format!("/api/v1/media/{id}");
        self.request(Method::DELETE, &path, caller, &[], Vec::new())
            .await
    }

    /// Drops a PostgreSQL test's schema once it is done.
    pub async fn drop_schemas(&self) {
        use sqlx::Executor;
        let Backend::Postgres(url) = &self.backend else {
            return;
        };
        self.ctx.shutdown.cancel();
        let pool = sqlx::AnyPool::connect(url).await.expect("connects");
        let schema = format!("{}_{}", self.ctx.infra_config.namespace, chorus_media::NAME);
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

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header: {:?}", self.headers))
            .to_str()
            .expect("a text header")
    }

    /// Asserts the status and the error code, in the contract's shape.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        let json = self.json();
        assert!(json["error"]["message"].is_string(), "{json}");
        assert_eq!(json["error"]["code"], code, "{json}");
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
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                super::$name(&app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(url) = chorus_testkit::postgres_url() else {
                    return;
                };
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres(url)).await;
                super::$name(&app).await;
                app.drop_schemas().await;
            }
        }
    )*};
}
