//! A `TestApp`: the real posts service on its own database (a SQLite file,
//! or a PostgreSQL schema), a fake users service, and the GraphQL router over
//! both, driven as the gateway would (signed identity headers).
#![allow(dead_code)] // Shared by two test binaries; each uses part of it.

pub mod fake_users;
mod gql;

#[allow(unused_imports)] // `id` serves one of the two binaries.
pub use gql::{Gql, id};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{Id, Identity};
use chorus_ports::ServiceContext;
use chorus_posts::PostsService;
use chorus_posts::app::{NewComment, NewPost, Posts};
use http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use fake_users::FakeUsers;

/// Where a test's data lives.
#[derive(Clone)]
pub enum Backend {
    /// A SQLite file in a fresh folder.
    Sqlite,
    /// A fresh schema in this PostgreSQL database.
    Postgres(String),
}

impl Backend {
    pub fn postgres() -> Option<Self> {
        chorus_testkit::postgres_url().map(Self::Postgres)
    }
}

pub struct TestApp {
    pub router: Router,
    pub posts: Posts,
    pub ctx: ServiceContext,
    pub users: Arc<FakeUsers>,
    backend: Backend,
    data_dir: PathBuf,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_on(Backend::Sqlite).await
    }

    pub async fn spawn_on(backend: Backend) -> Self {
        chorus_testkit::init_test_logs();
        let namespace = chorus_testkit::unique_namespace("graphql");
        let data_dir = std::env::temp_dir().join(&namespace);
        let ctx = context(&backend, &namespace, data_dir.clone());
        let users = Arc::new(FakeUsers::default());
        let service = PostsService::start(&ctx, users.clone())
            .await
            .expect("the posts service starts");
        let router =
            chorus_graphql::router(service.app(), users.clone(), None, ctx.identity_key.clone());
        Self {
            router,
            posts: service.app(),
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

    /// A post by `author`, made through the application layer; answers its id.
    pub async fn post(&self, author: Id, content: &str, visibility: &str) -> Id {
        let input = NewPost {
            content: content.to_string(),
            visibility: Some(visibility.to_string()),
            ..NewPost::default()
        };
        self.posts
            .create_post(author, input)
            .await
            .expect("post created")
            .id
    }

    pub async fn repost(&self, author: Id, original: Id) -> Id {
        let input = NewPost {
            repost_of: Some(original),
            ..NewPost::default()
        };
        self.posts
            .create_post(author, input)
            .await
            .expect("reposted")
            .id
    }

    pub async fn comment(&self, author: Id, post: Id, content: &str) -> Id {
        let input = NewComment {
            content: content.to_string(),
            parent_id: None,
        };
        self.posts
            .add_comment(author, post, input)
            .await
            .expect("commented")
            .id
    }

    pub async fn react(&self, user: Id, post: Id, kind: &str) {
        self.posts.react(user, post, kind).await.expect("reacted");
    }

    pub fn identity(&self, user: Id) -> String {
        self.ctx.identity_key.sign(Identity {
            user_id: user,
            session_id: Id(1),
        })
    }

    /// Runs `query` with `variables` as `user` (anonymous when `None`).
    pub async fn gql(&self, user: Option<Id>, query: &str, variables: Value) -> Gql {
        let body = json!({ "query": query, "variables": variables });
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        if let Some(user) = user {
            request = request.header(IDENTITY_HEADER, self.identity(user));
        }
        self.send(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    pub async fn send(&self, request: Request<Body>) -> Gql {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("the body reads")
            .to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
        Gql { status, body }
    }

    /// Stops the service's background work (the outbox relay), so that only
    /// the requests a test sends touch the database.
    pub async fn quiesce(&self) {
        self.ctx.shutdown.cancel();
        self.ctx.tasks.close();
        tokio::time::timeout(Duration::from_secs(10), self.ctx.tasks.wait())
            .await
            .expect("background tasks stop");
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
        Backend::Sqlite => None,
        Backend::Postgres(url) => Some(url.as_str()),
    };
    chorus_ports::testing::service_context(postgres_url, namespace, data_dir)
}
