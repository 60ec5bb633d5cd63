//! A small API client for the tests: one method per route, answers as
//! (status, JSON) so a test can check both.

use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Self {
            status,
            body,
            headers,
        }
    }

    /// The error code of an error answer, after checking it has the contract's shape.
    pub fn error_code(&self) -> &str {
        assert!(
            self.body["error"]["message"].is_string(),
            "not the error shape: {} {}",
            self.status,
            self.body
        );
        self.body["error"]["code"]
            .as_str()
            .expect("error.code is a string")
    }
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

/// A signed-up user and their tokens.
pub struct Session {
    pub user: Value,
    pub access_token: String,
    pub refresh_token: String,
    pub password: String,
}

impl Api {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// A client that keeps cookies, as a browser would.
    pub fn with_cookies(base: &str) -> Self {
        Self {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::from(request.send().await.expect("request")).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::from(request.send().await.expect("request")).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        self.with_body(self.http.put(self.url(path)), token, body)
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.with_body(self.http.patch(self.url(path)), token, Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.with_body(self.http.delete(self.url(path)), token, None)
            .await
    }

    async fn with_body(
        &self,
        mut request: reqwest::RequestBuilder,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        Answer::from(request.send().await.expect("request")).await
    }

    pub async fn signup_raw(&self, username: &str, email: &str, password: &str) -> Answer {
        self.post(
            "/api/v1/auth/signup",
            None,
            &json!({ "username": username, "email": email, "password": password }),
        )
        .await
    }

    /// Signs up a new user with a unique name; panics unless it answers 201.
    pub async fn signup(&self, prefix: &str) -> Session {
        let username = unique_username(prefix);
        let password = "a long enough password".to_string();
        let answer = self
            .signup_raw(&username, &format!("{username}@example.com"), &password)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "signup: {}",
            answer.body
        );
        session(answer.body, password)
    }

    pub async fn login(&self, identifier: &str, password: &str) -> Answer {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({ "identifier": identifier, "password": password }),
        )
        .await
    }

    pub async fn me(&self, token: &str) -> Answer {
        self.get("/api/v1/auth/me", Some(token)).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Answer {
        self.post(
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    pub async fn logout(&self, token: &str) -> Answer {
        let request = self
            .http
            .post(self.url("/api/v1/auth/logout"))
            .bearer_auth(token);
        self.send(request).await
    }
}

pub fn session(body: Value, password: String) -> Session {
    Session {
        access_token: body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string(),
        refresh_token: body["refresh_token"]
            .as_str()
            .expect("refresh_token")
            .to_string(),
        user: body["user"].clone(),
        password,
    }
}

/// 3–30 of a-z, 0-9, `_`, unique per call.
pub fn unique_username(prefix: &str) -> String {
    format!("{prefix}_{:08x}", rand::random::<u32>())
}
