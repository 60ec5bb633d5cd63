//! Deliveries in one room: every member receives every message.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures::future::try_join_all;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::wire::{Connection, Incoming};
use crate::bench::Measured;
use crate::bench::http::{BenchUser, send_json, signup};
use crate::bench::report::OpReport;

pub struct RoomResult {
    pub sends: OpReport,
    pub deliveries: OpReport,
    /// Deliveries expected (every message to every member) but not seen
    /// within the drain time after the run.
    pub lost: u64,
}

/// How long receivers keep counting after the last send.
const DRAIN: Duration = Duration::from_secs(5);

pub async fn run(
    addr: SocketAddr,
    duration: Duration,
    members: usize,
    senders: usize,
) -> anyhow::Result<RoomResult> {
    eprintln!("realtime: signing up {members} members and creating their room");
    let run_id = rand::random::<u32>();
    let users = try_join_all((0..members).map(|i| {
        let name = format!("rt{run_id:08x}_{i}");
        async move { signup(addr, &name, "bench password 123").await }
    }))
    .await?;
    let room = create_room(addr, &users).await?;

    eprintln!("realtime: {members} members join the room");
    let mut connections = try_join_all(users.iter().map(|user| async {
        let mut connection = Connection::connect(addr, "/chat", &user.access_token).await?;
        let joined = connection
            .call("join_room", &json!({ "roomId": room }))
            .await?;
        anyhow::ensure!(joined["ok"] == true, "join_room refused: {joined}");
        Ok::<_, anyhow::Error>(connection)
    }))
    .await?;

    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let drained = CancellationToken::new();
    let mut tasks = JoinSet::new();
    for (index, connection) in connections.drain(..).enumerate() {
        let stop = stop.clone();
        let drained = drained.clone();
        let room = room.clone();
        // Senders receive too: every member counts its own deliveries.
        let sends = index < senders;
        tasks.spawn(async move { member(connection, &room, sends, &stop, &drained).await });
    }
    eprintln!("realtime: {senders} senders for {} s", duration.as_secs());
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let send_elapsed = started.elapsed();
    tokio::time::sleep(DRAIN).await;
    drained.cancel();

    let mut sends = Histogram::<u64>::new(3)?;
    let mut send_errors = 0;
    let mut delivery_latency = Histogram::<u64>::new(3)?;
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.context("a member panicked")??;
        sends.add(&outcome.ack_latency)?;
        delivery_latency.add(&outcome.delivered)?;
        send_errors += outcome.errors;
    }
    let sent = sends.len();
    let delivered = delivery_latency.len();
    let expected = sent * members as u64;
    let sends = Measured {
        requests: sent,
        errors: send_errors,
        elapsed: send_elapsed,
        latency: sends,
    };
    let deliveries = Measured {
        requests: delivered,
        errors: 0,
        elapsed: send_elapsed,
        latency: delivery_latency,
    };
    Ok(RoomResult {
        sends: OpReport::from_measured("send_message (ack)", &sends),
        deliveries: OpReport::from_measured(
            &format!("new_message deliveries (send to receipt, {members} members)"),
            &deliveries,
        ),
        lost: expected.saturating_sub(delivered),
    })
}

async fn create_room(addr: SocketAddr, users: &[BenchUser]) -> anyhow::Result<String> {
    let (owner, others) = users.split_first().context("no members")?;
    let member_ids: Vec<&str> = others.iter().map(|user| user.id.as_str()).collect();
    let body = json!({ "member_ids": member_ids, "title": "bench room" });
    let created = send_json(
        addr,
        "POST",
        "/api/v1/conversations",
        Some(&owner.access_token),
        Some(&body),
        201,
    )
    .await?;
    created["id"]
        .as_str()
        .map(String::from)
        .context("the conversation has no id")
}

/// What one member saw.
struct MemberOutcome {
    /// Send-to-ack times of its messages (none unless it sends).
    ack_latency: Histogram<u64>,
    /// Send-to-receipt times of the messages delivered to it.
    delivered: Histogram<u64>,
    /// Its sends that were refused.
    errors: u64,
}

/// One member: sends back to back until `stop` if it `sends`, and counts its
/// deliveries until `drained`.
async fn member(
    mut connection: Connection,
    room: &str,
    sends: bool,
    stop: &AtomicBool,
    drained: &CancellationToken,
) -> anyhow::Result<MemberOutcome> {
    let mut outcome = MemberOutcome {
        ack_latency: Histogram::new(3)?,
        delivered: Histogram::new(3)?,
        errors: 0,
    };
    while sends && !stop.load(Ordering::Relaxed) {
        let began = Instant::now();
        let content = format!("t{}", now_micros());
        let answer = connection
            .call(
                "send_message",
                &json!({ "roomId": room, "message": content }),
            )
            .await?;
        if answer["ok"] == true {
            outcome
                .ack_latency
                .record(began.elapsed().as_micros() as u64)?;
        } else {
            outcome.errors += 1;
        }
        // Deliveries that came in while waiting for the ack.
        while let Ok(Some(packet)) = tokio::time::timeout(Duration::ZERO, connection.next()).await {
            if let Some(latency) = delivery_latency(&packet) {
                outcome.delivered.record(latency)?;
            }
        }
    }
    loop {
        let packet = tokio::select! {
            _ = drained.cancelled() => break,
            packet = connection.next() => packet,
        };
        let Some(packet) = packet else { break };
        if let Some(latency) = delivery_latency(&packet) {
            outcome.delivered.record(latency)?;
        }
    }
    Ok(outcome)
}

/// For a `new_message` whose content is `t<send time in µs>`: how long it took.
fn delivery_latency(packet: &Incoming) -> Option<u64> {
    let Incoming::Event { name, data } = packet else {
        return None;
    };
    if name != "new_message" {
        return None;
    }
    let sent: u64 = data
        .get("content")
        .and_then(Value::as_str)?
        .strip_prefix('t')?
        .parse()
        .ok()?;
    Some(now_micros().saturating_sub(sent).max(1))
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_micros() as u64)
        .unwrap_or(0)
}
