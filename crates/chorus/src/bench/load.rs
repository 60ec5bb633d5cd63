//! A closed-loop HTTP load generator: `concurrency` workers, each on its own
//! keep-alive HTTP/1.1 connection, send a request, wait for the whole answer,
//! record the latency, and go again until the time is up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Builds the request a worker sends next (worker index, request number).
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> Request<Full<Bytes>> + Send + Sync>;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds.
    pub latency: Histogram<u64>,
}

impl Measured {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Nothing measured yet.
    pub fn empty() -> Self {
        Self {
            requests: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latency: histogram(),
        }
    }

    pub fn merge(&mut self, other: Measured) {
        self.requests += other.requests;
        self.errors += other.errors;
        let _ = self.latency.add(&other.latency);
    }
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 60 s at 3 significant digits; these bounds are valid constants.
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|e| unreachable!("valid histogram bounds: {e}"))
}

pub async fn run(
    addr: SocketAddr,
    concurrency: usize,
    duration: Duration,
    make: MakeRequest,
) -> Measured {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| tokio::spawn(worker_loop(addr, worker, deadline, make.clone())))
        .collect();
    let mut total = Measured::empty();
    for worker in workers {
        if let Ok(measured) = worker.await {
            total.merge(measured);
        }
    }
    total.elapsed = started.elapsed();
    total
}

async fn worker_loop(
    addr: SocketAddr,
    worker: usize,
    deadline: Instant,
    make: MakeRequest,
) -> Measured {
    let mut measured = Measured::empty();
    let mut sender = None;
    let mut n = 0u64;
    while Instant::now() < deadline {
        if sender.is_none() {
            sender = connect(addr).await;
            if sender.is_none() {
                measured.errors += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        }
        let Some(conn) = sender.as_mut() else {
            continue;
        };
        let request = make(worker, n);
        n += 1;
        let sent = Instant::now();
        let ok = match conn.send_request(request).await {
            Ok(response) => {
                let success = response.status().is_success();
                // The answer counts only once it has fully arrived.
                let body = response.into_body().collect().await;
                success && body.is_ok()
            }
            Err(_) => {
                sender = None;
                false
            }
        };
        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        measured.requests += 1;
        if ok {
            let _ = measured.latency.record(micros.max(1));
        } else {
            measured.errors += 1;
        }
    }
    measured
}

pub async fn connect(
    addr: SocketAddr,
) -> Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await.ok()?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    Some(sender)
}
