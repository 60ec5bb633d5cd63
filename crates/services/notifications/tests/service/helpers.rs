//! A `TestApp`: the notifications service beside the real users service, on
//! one in-process bus and pub/sub, each on its own database (SQLite files, or
//! fresh PostgreSQL schemas), driven through their routers as the gateway
//! would. Graph actions go through the users routes (so their events are
//! the real ones); posts, comments and messages are published as events with
//! the payloads the posts and chat services publish.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{Envelope, Id, IdGenerator, Identity};
use chorus_notifications::{Notifications, NotificationsService};
use chorus_ports::{Db, ServiceContext};
use chorus_rpc::push::{NOTIFICATIONS_CHANNEL, NotificationPush};
use chorus_users::UsersService;
use futures::StreamExt;
use futures::stream::BoxStream;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tower::ServiceExt;

#[derive(Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

pub struct TestApp {
    pub router: Router,
    pub ctx: ServiceContext,
    pub users: UsersService,
    backend: Backend,
    data_dir: PathBuf,
    pushes: Mutex<BoxStream<'static, Bytes>>,
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
    pub async fn spawn(backend: Backend) -> Self {
        chorus_testkit::init_test_logs();
        let namespace = chorus_testkit::unique_namespace("notif");
        let data_dir = std::env::temp_dir().join(&namespace);
        let ctx = context(&backend, &namespace, data_dir.clone());
        let pushes = ctx
            .infra
            .pubsub
            .subscribe(NOTIFICATIONS_CHANNEL)
            .await
            .expect("subscribes to pushes");
        let users = UsersService::start(&ctx).await.expect("users starts");
        let notifications = NotificationsService::start(&ctx, users.api())
            .await
            .expect("notifications starts");
        Self {
            router: users.router().merge(notifications.router()),
            users,
            ctx,
            backend,
            data_dir,
            pushes: Mutex::new(pushes),
        }
    }

    /// An account, as auth's `user.registered` creates its profile.
    pub async fn register(&self, username: &str) -> User {
        let id = self.ctx.ids.next_id();
        let username = format!("{username}_{id}");
        self.publish(&Envelope::new(
            self.ctx.ids.next_id(),
            "user.registered",
            Some(id),
            json!({
                "user_id": id,
                "username": username,
                "display_name": format!("{username} shown"),
                "created_at": "2026-01-02T03:04:05.678Z",
            }),
        ))
        .await;
        User { id, username }
    }

    /// Another instance of the service's application layer on the same
    /// database, as a second process would run it.
    pub async fn another_instance(&self) -> Notifications {
        let db = Db::connect(&self.ctx.db_target(chorus_notifications::NAME))
            .await
            .expect("connects");
        Notifications::new(
            db,
            self.users.api(),
            self.ctx.infra.pubsub.clone(),
            Arc::new(IdGenerator::with_random_node()),
        )
    }

    /// Publishes on the bus; returns once every consumer applied the event.
    pub async fn publish(&self, event: &Envelope) {
        self.ctx.infra.bus.publish(event).await.expect("publishes");
    }

    pub fn event(&self, kind: &str, actor: &User, payload: Value) -> Envelope {
        Envelope::new(self.ctx.ids.next_id(), kind, Some(actor.id), payload)
    }

    pub fn new_id(&self) -> Id {
        self.ctx.ids.next_id()
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
            let identity = self.ctx.identity_key.sign(Identity {
                user_id: user.id,
                session_id: Id(1),
            });
            request = request.header(IDENTITY_HEADER, identity);
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

    /// `user`'s notifications, newest first (one page of 100).
    pub async fn notifications(&self, user: &User) -> Vec<Value> {
        let answer = self
            .get("/api/v1/notifications?limit=100", Some(user))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        answer.items()
    }

    pub async fn unread_count(&self, user: &User) -> i64 {
        let answer = self
            .get("/api/v1/notifications/unread-count", Some(user))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        answer.json()["count"].as_i64().expect("count")
    }

    /// `caller` follows `target`: the answer's state.
    pub async fn follow(&self, caller: &User, target: &User) -> String {
        let answer = self
            .post(&format!("/api/v1/users/{}/follow", target.id), caller)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        answer.json()["state"].as_str().expect("state").to_string()
    }

    pub async fn block(&self, caller: &User, target: &User) {
        let answer = self
            .post(&format!("/api/v1/users/{}/block", target.id), caller)
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text());
    }

    /// Switches `kind` on or off for `user`.
    pub async fn prefer(&self, user: &User, kind: &str, enabled: bool) {
        let answer = self
            .request(
                Method::PATCH,
                "/api/v1/notifications/preferences",
                Some(user),
                Some(json!({ "types": { kind: enabled } })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }

    /// `post.reacted` as the posts service publishes it.
    pub async fn react(&self, user: &User, post: Id, author: &User) {
        let payload = json!({
            "post_id": post, "post_author_id": author.id, "user_id": user.id,
            "kind": "like", "post_visibility": "public",
        });
        self.publish(&self.event("post.reacted", user, payload))
            .await;
    }

    /// `post.created` with mentions, as the posts service publishes it.
    pub async fn post_mentioning(
        &self,
        author: &User,
        visibility: &str,
        mentioned: &[&User],
    ) -> Id {
        let post = self.new_id();
        let mentions: Vec<Value> = mentioned
            .iter()
            .map(|user| json!({ "user_id": user.id, "username": user.username }))
            .collect();
        let payload = json!({
            "post_id": post, "author_id": author.id, "content": "hello",
            "visibility": visibility, "hashtags": [], "mentions": mentions,
            "media_ids": [], "repost_of": null, "created_at": "2026-01-02T03:04:05.678Z",
        });
        self.publish(&self.event("post.created", author, payload))
            .await;
        post
    }

    /// `comment.created` on `post` by `author` (a reply when `parent` is
    /// `(comment id, its author)`): the comment's id.
    pub async fn comment(
        &self,
        author: &User,
        post: Id,
        post_author: &User,
        parent: Option<(Id, &User)>,
        mentioned: &[&User],
    ) -> Id {
        let comment = self.new_id();
        let mentions: Vec<Value> = mentioned
            .iter()
            .map(|user| json!({ "user_id": user.id, "username": user.username }))
            .collect();
        let payload = json!({
            "comment_id": comment, "post_id": post, "post_author_id": post_author.id,
            "author_id": author.id, "parent_id": parent.map(|(id, _)| id),
            "parent_author_id": parent.map(|(_, user)| user.id), "content": "hi",
            "mentions": mentions, "post_visibility": "public",
        });
        self.publish(&self.event("comment.created", author, payload))
            .await;
        comment
    }

    pub async fn delete_comment(&self, by: &User, comment: Id, post: Id, post_author: &User) {
        let payload = json!({
            "comment_id": comment, "post_id": post, "author_id": by.id,
            "post_author_id": post_author.id,
        });
        self.publish(&self.event("comment.deleted", by, payload))
            .await;
    }

    pub async fn delete_post(&self, author: &User, post: Id, repost_of: Option<Id>) {
        let payload = json!({ "post_id": post, "author_id": author.id, "repost_of": repost_of });
        self.publish(&self.event("post.deleted", author, payload))
            .await;
    }

    /// `post.reposted` of `post` by `user`: the repost's id.
    pub async fn repost(&self, user: &User, post: Id, author: &User) -> Id {
        let repost = self.new_id();
        let payload = json!({
            "post_id": post, "original_author_id": author.id, "repost_id": repost,
            "user_id": user.id,
        });
        self.publish(&self.event("post.reposted", user, payload))
            .await;
        repost
    }

    /// `message.sent` as the chat service publishes it.
    pub async fn message(
        &self,
        sender: &User,
        conversation: Id,
        recipients: &[&User],
        offline: &[&User],
        preview: &str,
    ) -> Id {
        let message = self.new_id();
        let ids = |users: &[&User]| users.iter().map(|u| u.id).collect::<Vec<_>>();
        let payload = json!({
            "message_id": message, "conversation_id": conversation, "sender_id": sender.id,
            "recipient_ids": ids(recipients), "offline_ids": ids(offline),
            "preview": preview, "created_at": "2026-01-02T03:04:05.678Z",
        });
        self.publish(&self.event("message.sent", sender, payload))
            .await;
        message
    }

    /// The next push on the notifications channel, failing after a few seconds.
    pub async fn next_push(&self) -> NotificationPush {
        let mut pushes = self.pushes.lock().await;
        let bytes = tokio::time::timeout(Duration::from_secs(5), pushes.next())
            .await
            .expect("a push within 5 s")
            .expect("the channel is open");
        NotificationPush::from_bytes(&bytes).expect("a push")
    }

    /// No push waits on the channel (after a short grace).
    pub async fn no_push(&self) {
        let mut pushes = self.pushes.lock().await;
        let next = tokio::time::timeout(Duration::from_millis(100), pushes.next()).await;
        if let Ok(Some(bytes)) = next {
            panic!("unexpected push: {}", String::from_utf8_lossy(&bytes));
        }
    }

    /// Drops a PostgreSQL test's schemas once it is done.
    pub async fn drop_schemas(&self) {
        use sqlx::Executor;
        let Backend::Postgres(url) = &self.backend else {
            return;
        };
        self.ctx.shutdown.cancel();
        let pool = sqlx::AnyPool::connect(url).await.expect("connects");
        for service in ["users", "notifications"] {
            let schema = format!("{}_{service}", self.ctx.infra_config.namespace);
            pool.execute(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
            )))
            .await
            .expect("drops the schema");
        }
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

    pub fn items(&self) -> Vec<Value> {
        self.json()["items"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {}", self.text()))
            .clone()
    }

    /// Asserts the status and the error code, in the contract's shape.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        let json = self.json();
        assert!(json["error"]["message"].is_string(), "{json}");
        assert_eq!(json["error"]["code"], code, "{json}");
    }
}

/// `(type, actor id)` of each notification, in order.
pub fn summary(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|item| {
            (
                item["type"].as_str().expect("type").to_string(),
                item["actor"]["id"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

/// The ids of a list of cards.
pub fn card_ids(cards: &Value) -> Vec<String> {
    cards
        .as_array()
        .expect("cards")
        .iter()
        .map(|card| card["id"].as_str().expect("id").to_string())
        .collect()
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
