//! JSON calls for setting up and probing: a pooled keep-alive client, so
//! hundreds of thousands of set-up requests reuse a few connections.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Transient failures (connection trouble, 429, 5xx) are retried this often.
const ATTEMPTS: u32 = 5;

#[derive(Clone)]
pub struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Api {
    /// A client keeping up to `connections` idle connections to `addr`.
    pub fn new(addr: SocketAddr, connections: usize) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(connections)
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Self {
            client,
            base: format!("http://{addr}"),
        }
    }

    /// One request: the status and body of the answer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header(http::header::CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(body)?)
            }
            None => Bytes::new(),
        };
        let response = self.client.request(request.body(Full::new(body))?).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    /// A call that must answer `expect`; transient failures are retried with
    /// backoff, anything else fails with the server's answer.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
        expect: u16,
    ) -> anyhow::Result<serde_json::Value> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.call(method.clone(), path, token, body).await {
                Ok((status, bytes)) if status.as_u16() == expect => {
                    if bytes.is_empty() {
                        return Ok(serde_json::Value::Null);
                    }
                    return Ok(serde_json::from_slice(&bytes)?);
                }
                Ok((status, bytes)) => {
                    let failure = anyhow::anyhow!(
                        "{method} {path} answered {status}: {}",
                        String::from_utf8_lossy(&bytes)
                    );
                    let transient =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if !transient {
                        return Err(failure);
                    }
                    failure
                }
                Err(error) => error.context(format!("{method} {path}")),
            };
            if attempt >= ATTEMPTS {
                return Err(failure);
            }
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
    }
}
