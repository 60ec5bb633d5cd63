//! What every bench scenario shares: measured phases with a progress bar,
//! request builders, and one-off JSON calls to set a scenario up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use indicatif::{ProgressBar, ProgressStyle};

use super::load::{self, MakeRequest, Measured};

/// The better of several runs of one operation: noise only ever slows a run down.
pub fn best(runs: Vec<Measured>) -> Measured {
    runs.into_iter()
        .max_by(|a, b| a.throughput().total_cmp(&b.throughput()))
        .unwrap_or_else(|| unreachable!("every phase runs at least once"))
}

/// Runs one phase of load on a single core of its own (so the generator
/// cannot take both cores from the server), with a progress bar.
pub async fn phase(
    name: &str,
    duration: Duration,
    concurrency: usize,
    addr: SocketAddr,
    make: MakeRequest,
) -> Measured {
    let clock = SecondsBar::start(name, duration);
    let measured = on_own_core(move || load::run(addr, concurrency, duration, make)).await;
    clock.finish(format!("{name}: {:.0}/s", measured.throughput()));
    measured
}

/// A progress bar that counts the seconds of a timed phase.
pub struct SecondsBar {
    bar: ProgressBar,
    ticker: tokio::task::JoinHandle<()>,
}

impl SecondsBar {
    pub fn start(name: &str, duration: Duration) -> Self {
        let bar = ProgressBar::new(duration.as_secs());
        bar.set_style(
            ProgressStyle::with_template("{msg:28} [{bar:30}] {pos}/{len} s")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(name.to_string());
        let ticker = {
            let bar = bar.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    bar.inc(1);
                }
            })
        };
        Self { bar, ticker }
    }

    pub fn finish(self, message: String) {
        self.ticker.abort();
        self.bar.finish_with_message(message);
    }
}

/// Runs `work` on a single-threaded runtime on a thread of its own, so a load
/// generator takes one core at most and leaves the rest to the server.
pub async fn on_own_core<F, Fut, T>(work: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot build the load runtime: {e}"));
        runtime.block_on(work())
    })
    .await
    .unwrap_or_else(|e| panic!("the load generator failed: {e}"))
}

pub fn get(host: &str, path: &'static str, token: Option<&str>) -> MakeRequest {
    let host = host.to_string();
    let auth = token.map(|t| format!("Bearer {t}"));
    Arc::new(move |_, _| {
        let mut request = Request::get(path).header(http::header::HOST, &host);
        if let Some(auth) = &auth {
            request = request.header(http::header::AUTHORIZATION, auth);
        }
        request
            .body(Full::new(Bytes::new()))
            .unwrap_or_else(|e| unreachable!("a valid request: {e}"))
    })
}

pub fn post_json(host: &str, path: &'static str, body: Bytes) -> MakeRequest {
    let host = host.to_string();
    Arc::new(move |_, _| {
        Request::post(path)
            .header(http::header::HOST, &host)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body.clone()))
            .unwrap_or_else(|e| unreachable!("a valid request: {e}"))
    })
}

/// A signed-up bench user.
pub struct BenchUser {
    pub id: String,
    pub access_token: String,
}

/// Signs `username` up and returns its id and access token.
pub async fn signup(addr: SocketAddr, username: &str, password: &str) -> anyhow::Result<BenchUser> {
    let body = serde_json::json!({
        "username": username,
        "email": format!("{username}@bench.example"),
        "password": password,
    });
    let json = send_json(addr, "POST", "/api/v1/auth/signup", None, Some(&body), 201).await?;
    Ok(BenchUser {
        id: json["user"]["id"]
            .as_str()
            .map(String::from)
            .context("signup gave no user id")?,
        access_token: json["access_token"]
            .as_str()
            .map(String::from)
            .context("signup gave no access_token")?,
    })
}

/// One request on a connection of its own; fails unless it answers `expect`.
pub async fn send_json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
    expect: u16,
) -> anyhow::Result<serde_json::Value> {
    let body = match body {
        Some(body) => Bytes::from(serde_json::to_vec(body)?),
        None => Bytes::new(),
    };
    let bytes = send(addr, method, path, token, body, expect).await?;
    if bytes.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    Ok(serde_json::from_slice(&bytes)?)
}

/// One request on a connection of its own; the answer's body, unless its
/// status is not `expect`.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Bytes,
    expect: u16,
) -> anyhow::Result<Bytes> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, addr.to_string())
        .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = sender.send_request(request.body(Full::new(body))?).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status.as_u16() == expect,
        "{method} {path} answered {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    Ok(bytes)
}
