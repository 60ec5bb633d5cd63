//! The mix at fixed concurrency: each worker, on its own keep-alive
//! connection, sends a request of a randomly chosen kind, waits for the whole
//! answer, and goes again until the time is up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::mix::{MixMeasured, Workload};
use crate::bench::load::connect;

pub async fn run(
    addr: SocketAddr,
    concurrency: usize,
    duration: Duration,
    workload: Arc<Workload>,
    seed: u64,
) -> MixMeasured {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let rng = StdRng::seed_from_u64(seed.wrapping_add(worker as u64));
            tokio::spawn(worker_loop(addr, deadline, workload.clone(), rng))
        })
        .collect();
    let mut total = MixMeasured::default();
    for worker in workers {
        if let Ok(measured) = worker.await {
            total.merge(measured);
        }
    }
    total.set_elapsed(started.elapsed());
    total
}

async fn worker_loop(
    addr: SocketAddr,
    deadline: Instant,
    workload: Arc<Workload>,
    mut rng: StdRng,
) -> MixMeasured {
    let mut measured = MixMeasured::default();
    let mut connection = None;
    while Instant::now() < deadline {
        let (op, request) = workload.next(&mut rng);
        let sent = Instant::now();
        let ok = exchange(addr, &mut connection, request).await;
        measured.record(op, ok, sent.elapsed());
        if connection.is_none() {
            // Refused or broken: do not spin on a server that is down.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    measured
}

/// Sends `request` on `connection` (connecting first if there is none) and
/// reads the whole answer: whether it was a 2xx. A failed connection is
/// dropped, to be made anew by the next call.
pub async fn exchange(
    addr: SocketAddr,
    connection: &mut Option<SendRequest<Full<Bytes>>>,
    request: Request<Full<Bytes>>,
) -> bool {
    if connection.is_none() {
        *connection = connect(addr).await;
    }
    let Some(sender) = connection.as_mut() else {
        return false;
    };
    match sender.send_request(request).await {
        Ok(response) => {
            let success = response.status().is_success();
            // The answer counts only once it has fully arrived.
            let body = response.into_body().collect().await;
            if body.is_err() {
                *connection = None;
            }
            success && body.is_ok()
        }
        Err(_) => {
            *connection = None;
            false
        }
    }
}
