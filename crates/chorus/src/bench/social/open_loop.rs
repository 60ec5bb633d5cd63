//! The mix at a constant offered rate, as wrk2 does it: each connection has a
//! schedule of send times, and a request's latency runs from its scheduled
//! time, not from when a connection got free to send it. A slow answer thus
//! counts against every request that had to wait behind it (no coordinated
//! omission).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::closed_loop::exchange;
use super::mix::{MixMeasured, Workload};
use crate::bench::load::connect;

/// One offered rate and what came of it.
#[derive(Debug, Clone)]
pub struct RatePoint {
    pub offered: f64,
    /// Answers per second over the run (errors included).
    pub achieved: f64,
    pub measured: MixMeasured,
    /// Sends scheduled within the run that never went out: their connection
    /// was still waiting for earlier answers when the time was up.
    pub missed: u64,
}

pub async fn run(
    addr: SocketAddr,
    connections: usize,
    rate: f64,
    duration: Duration,
    workload: Arc<Workload>,
    seed: u64,
) -> RatePoint {
    let connections = connections.max(1);
    let interval = Duration::from_secs_f64(connections as f64 / rate);
    // Time for every connection to be made before the first send is due.
    let start = Instant::now() + Duration::from_millis(500);
    let deadline = start + duration;
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let rng = StdRng::seed_from_u64(seed.wrapping_add(worker as u64));
            let first = start + interval.mul_f64(worker as f64 / connections as f64);
            let schedule = Schedule {
                first,
                interval,
                deadline,
            };
            tokio::spawn(worker_loop(addr, schedule, workload.clone(), rng))
        })
        .collect();
    let mut measured = MixMeasured::default();
    let mut missed = 0;
    for worker in workers {
        if let Ok((theirs, their_missed)) = worker.await {
            measured.merge(theirs);
            missed += their_missed;
        }
    }
    let elapsed = start.elapsed().max(duration);
    measured.set_elapsed(elapsed);
    let answers = measured.total().requests;
    RatePoint {
        offered: rate,
        achieved: answers as f64 / elapsed.as_secs_f64(),
        measured,
        missed,
    }
}

#[derive(Debug, Clone, Copy)]
struct Schedule {
    first: Instant,
    interval: Duration,
    deadline: Instant,
}

async fn worker_loop(
    addr: SocketAddr,
    schedule: Schedule,
    workload: Arc<Workload>,
    mut rng: StdRng,
) -> (MixMeasured, u64) {
    let mut measured = MixMeasured::default();
    let mut connection = connect(addr).await;
    let mut scheduled = schedule.first;
    while scheduled < schedule.deadline {
        let now = Instant::now();
        if now >= schedule.deadline {
            let left = schedule.deadline - scheduled;
            let missed = (left.as_secs_f64() / schedule.interval.as_secs_f64()).ceil() as u64;
            return (measured, missed);
        }
        tokio::time::sleep_until(scheduled.into()).await;
        let (op, request) = workload.next(&mut rng);
        let ok = exchange(addr, &mut connection, request).await;
        measured.record(op, ok, scheduled.elapsed());
        scheduled += schedule.interval;
    }
    (measured, 0)
}
