//! Connections held: how many `/chat` sockets one server keeps, and what
//! each costs it in memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::Semaphore;

use super::wire::Connection;
use crate::bench::http::signup;
use crate::bench::report::Fact;
use crate::bench::server::Server;

/// How long the connections are held once open: past one engine.io ping
/// interval (25 s), so every one of them has answered a ping.
const HOLD: Duration = Duration::from_secs(30);

/// Users the connections are spread over.
const USERS: usize = 10;

pub struct Held {
    pub facts: Vec<Fact>,
    pub notes: Vec<String>,
}

pub async fn run(server: &Server, count: usize, concurrency: usize) -> anyhow::Result<Held> {
    let addr = server.addr;
    let run_id = rand::random::<u32>();
    let mut users = Vec::new();
    for i in 0..USERS {
        users.push(signup(addr, &format!("hold{run_id:08x}_{i}"), "bench password 123").await?);
    }
    // Settle first, so the baseline holds what the room phase left behind.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = server.memory();

    eprintln!("realtime: opening {count} connections, {concurrency} at a time");
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let results: Vec<anyhow::Result<Connection>> = futures::stream::iter(0..count)
        .map(|i| {
            let token = users[i % USERS].access_token.clone();
            let gate = gate.clone();
            async move {
                let _permit = gate.acquire().await?;
                Connection::connect(addr, "/chat", &token).await
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let opening = started.elapsed();
    let mut failures = Vec::new();
    let mut open = Vec::new();
    for result in results {
        match result {
            Ok(connection) => open.push(connection),
            Err(error) => failures.push(error.to_string()),
        }
    }
    eprintln!(
        "realtime: {} open, {} failed in {:.1} s; holding {} s",
        open.len(),
        failures.len(),
        opening.as_secs_f64(),
        HOLD.as_secs()
    );
    tokio::time::sleep(HOLD).await;
    let after = server.memory();
    // Every held connection must still be usable: one that was dropped
    // while held would show here as closed.
    let mut alive = 0;
    for connection in &open {
        if connection
            .emit("typing", &serde_json::json!({ "roomId": "0" }))
            .is_ok()
        {
            alive += 1;
        }
    }

    let mut facts = vec![
        Fact::new("connections asked", count as u64),
        Fact::new("connections open after holding", alive as u64),
        Fact::new("connection failures", failures.len() as u64),
        Fact::new(
            "connections opened per second",
            open.len() as f64 / opening.as_secs_f64(),
        ),
    ];
    let mut notes = Vec::new();
    if let Some(first) = failures.first() {
        notes.push(format!("first connection failure: {first}"));
    }
    match (before, after) {
        (Some(before), Some(after)) => {
            let grown = after.rss_kib.saturating_sub(before.rss_kib);
            facts.push(Fact::new(
                "server RSS before (MiB)",
                before.rss_kib as f64 / 1024.0,
            ));
            facts.push(Fact::new(
                "server RSS holding them (MiB)",
                after.rss_kib as f64 / 1024.0,
            ));
            if !open.is_empty() {
                facts.push(Fact::new(
                    "server memory per connection (KiB)",
                    grown as f64 / open.len() as f64,
                ));
            }
        }
        _ => notes.push("server memory not measured: the server was given by --url".into()),
    }
    drop(open);
    Ok(Held { facts, notes })
}
