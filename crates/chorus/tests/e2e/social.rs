//! Helpers for the social routes of API.md (profiles, the graph, posts,
//! comments, reactions, GraphQL): a signed-up `User` whose profile exists,
//! one method per route, page walking, and polling for the effects that
//! cross services through events.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{Answer, Api, unique_username};

/// How long an effect carried by events (signup → profile, post →
/// posts_count) may take to show.
pub const EVENTUAL: Duration = Duration::from_secs(10);

/// How many sign-ups run at once: argon2 is the cost, CPU-bound, and auth
/// hashes one password per core at a time by default; more in flight only
/// queue there and, on a busy machine, can outlast the gateway's upstream timeout.
pub fn signup_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get())
}

/// Sign-up attempts when the gateway answers 504/503 (auth busy hashing).
const SIGNUP_ATTEMPTS: u32 = 3;

/// A signed-up user whose profile exists.
pub struct User {
    pub id: String,
    pub username: String,
    pub token: String,
}

impl User {
    pub fn token(&self) -> Option<&str> {
        Some(&self.token)
    }
}

/// The bearer token of a viewer, `None` for an anonymous one.
pub fn token_of(viewer: Option<&User>) -> Option<&str> {
    viewer.map(|user| user.token.as_str())
}

/// Retries `attempt` until it succeeds or `EVENTUAL` has passed; the last
/// failure is in the panic message.
pub async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + EVENTUAL;
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(last) if tokio::time::Instant::now() >= deadline => {
                panic!("{what}: not within {EVENTUAL:?}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The `id` string of an API object.
pub fn id_of(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no string id in {value}"))
        .to_string()
}

/// The `id`s of a list of API objects, in order.
pub fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id_of).collect()
}

/// The items of a list answer, after checking its shape.
pub fn items(answer: &Answer) -> Vec<Value> {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body.get("next_cursor").is_some(),
        "a list has next_cursor: {}",
        answer.body
    );
    answer.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list has items: {}", answer.body))
        .clone()
}

/// Asserts `answer` is an error with `status` and `code`, in the API.md shape.
pub fn assert_error(answer: &Answer, status: StatusCode, code: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.body);
    assert_eq!(answer.error_code(), code, "{what}: {}", answer.body);
}

/// Asserts a 400 `validation_failed` naming `field` in its details.
pub fn assert_invalid_field(answer: &Answer, field: &str, what: &str) {
    assert_error(answer, StatusCode::BAD_REQUEST, "validation_failed", what);
    assert_eq!(
        answer.body["error"]["details"]["field"], field,
        "{what}: {}",
        answer.body
    );
}

impl Api {
    /// Signs up a user and waits until their profile exists (the users
    /// service learns of a signup from `user.registered`).
    pub async fn user(&self, prefix: &str) -> User {
        let body = self.signup_body(prefix).await;
        let user = User {
            id: id_of(&body["user"]),
            username: body["user"]["username"]
                .as_str()
                .expect("username")
                .to_string(),
            token: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_string(),
        };
        self.wait_for_profile(&user.id, |_| true).await;
        user
    }

    /// A sign-up's 201 body. When auth is too busy hashing to answer in
    /// time (504/503 from the gateway: a loaded test machine, not what these
    /// tests are about), it tries again under a new name, since the first
    /// attempt may still complete.
    async fn signup_body(&self, prefix: &str) -> Value {
        for attempt in 1..=SIGNUP_ATTEMPTS {
            let username = unique_username(prefix);
            let answer = self
                .signup_raw(
                    &username,
                    &format!("{username}@example.com"),
                    "a long enough password",
                )
                .await;
            let busy = answer.status == StatusCode::GATEWAY_TIMEOUT
                || answer.status == StatusCode::SERVICE_UNAVAILABLE;
            if busy && attempt < SIGNUP_ATTEMPTS {
                eprintln!(
                    "sign-up of {username} answered {}: trying again",
                    answer.status
                );
                continue;
            }
            assert_eq!(
                answer.status,
                StatusCode::CREATED,
                "signup: {}",
                answer.body
            );
            return answer.body;
        }
        unreachable!("the last attempt returns or panics")
    }

    /// `count` users, signed up a few at a time.
    pub async fn users(&self, prefix: &str, count: usize) -> Vec<User> {
        futures::stream::iter(0..count)
            .map(|_| self.user(prefix))
            .buffer_unordered(signup_concurrency())
            .collect()
            .await
    }

    /// The anonymous view of a profile, once `ready` holds for it.
    pub async fn wait_for_profile(&self, id: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let path = &format!("/api/v1/users/{id}");
        let ready = &ready;
        eventually(&format!("profile {id}"), || async move {
            let answer = self.get(path, None).await;
            if answer.status == StatusCode::OK && ready(&answer.body) {
                Ok(answer.body)
            } else {
                Err(format!("{} {}", answer.status, answer.body))
            }
        })
        .await
    }

    pub async fn profile(&self, id_or_username: &str, viewer: Option<&User>) -> Answer {
        self.get(&format!("/api/v1/users/{id_or_username}"), token_of(viewer))
            .await
    }

    /// A profile that must be visible: its body.
    pub async fn profile_of(&self, id: &str, viewer: Option<&User>) -> Value {
        let answer = self.profile(id, viewer).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "profile {id}: {}",
            answer.body
        );
        answer.body
    }

    pub async fn update_me(&self, user: &User, body: &Value) -> Answer {
        self.patch("/api/v1/users/me", user.token(), body).await
    }

    pub async fn follow(&self, user: &User, target: &str) -> Answer {
        self.post(
            &format!("/api/v1/users/{target}/follow"),
            user.token(),
            &json!({}),
        )
        .await
    }

    /// `user` follows `target`, which must answer `state`.
    pub async fn follows(&self, user: &User, target: &User, state: &str) {
        let answer = self.follow(user, &target.id).await;
        assert_eq!(answer.status, StatusCode::OK, "follow: {}", answer.body);
        assert_eq!(answer.body["state"], state, "follow: {}", answer.body);
    }

    pub async fn unfollow(&self, user: &User, target: &str) -> Answer {
        self.delete(&format!("/api/v1/users/{target}/follow"), user.token())
            .await
    }

    pub async fn block(&self, user: &User, target: &str) -> Answer {
        self.post(
            &format!("/api/v1/users/{target}/block"),
            user.token(),
            &json!({}),
        )
        .await
    }

    pub async fn friend_request(&self, user: &User, target: &str) -> Answer {
        self.post(
            &format!("/api/v1/users/{target}/friend-request"),
            user.token(),
            &json!({}),
        )
        .await
    }

    /// `a` asks `b` to be friends and `b` accepts.
    pub async fn befriend(&self, a: &User, b: &User) {
        let request = self.friend_request(a, &b.id).await;
        assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
        let accepted = self
            .post(
                &format!("/api/v1/friend-requests/{}/accept", id_of(&request.body)),
                b.token(),
                &json!({}),
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        assert_eq!(accepted.body["status"], "accepted", "{}", accepted.body);
    }

    pub async fn create_post(&self, author: &User, body: &Value) -> Answer {
        self.post("/api/v1/posts", author.token(), body).await
    }

    /// A new post by `author`, which must answer 201: its body.
    pub async fn new_post(&self, author: &User, content: &str, visibility: &str) -> Value {
        let answer = self
            .create_post(
                author,
                &json!({ "content": content, "visibility": visibility }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "post: {}", answer.body);
        answer.body
    }

    pub async fn get_post(&self, id: &str, viewer: Option<&User>) -> Answer {
        self.get(&format!("/api/v1/posts/{id}"), token_of(viewer))
            .await
    }

    pub async fn comment(&self, user: &User, post: &str, body: &Value) -> Answer {
        self.post(
            &format!("/api/v1/posts/{post}/comments"),
            user.token(),
            body,
        )
        .await
    }

    /// A new comment (or reply, with `parent`), which must answer 201: its body.
    pub async fn new_comment(
        &self,
        user: &User,
        post: &str,
        content: &str,
        parent: Option<&str>,
    ) -> Value {
        let answer = self
            .comment(
                user,
                post,
                &json!({ "content": content, "parent_id": parent }),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "comment: {}",
            answer.body
        );
        answer.body
    }

    pub async fn react(&self, user: &User, post: &str, kind: &str) -> Answer {
        self.put(
            &format!("/api/v1/posts/{post}/reactions/{kind}"),
            user.token(),
            None,
        )
        .await
    }

    pub async fn unreact(&self, user: &User, post: &str, kind: &str) -> Answer {
        self.delete(
            &format!("/api/v1/posts/{post}/reactions/{kind}"),
            user.token(),
        )
        .await
    }

    pub async fn graphql(&self, viewer: Option<&User>, query: &str, variables: Value) -> Answer {
        self.post(
            "/graphql",
            token_of(viewer),
            &json!({ "query": query, "variables": variables }),
        )
        .await
    }

    /// Every page of a list, `limit` at a time, following `next_cursor` to the
    /// end; checks that no item (by `key`) shows twice.
    pub async fn pages(
        &self,
        path: &str,
        viewer: Option<&User>,
        limit: u32,
        key: impl Fn(&Value) -> String,
    ) -> Vec<Vec<Value>> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut pages = Vec::new();
        let mut seen = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{path}{separator}limit={limit}");
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let answer = self.get(&url, token_of(viewer)).await;
            let page = items(&answer);
            assert!(page.len() <= limit as usize, "{url}: over the limit");
            for item in &page {
                assert!(seen.insert(key(item)), "{url}: {item} shows twice");
            }
            pages.push(page);
            match answer.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return pages,
            }
            assert!(pages.len() < 100, "{path}: endless pages");
        }
    }
}
