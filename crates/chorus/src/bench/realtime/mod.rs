//! `chorus bench realtime`: Socket.IO on the `/chat` namespace.
//!
//! 1. A room: `--room-members` users join one group conversation; `--senders`
//!    of them send messages back to back (each waits for its ack), and every
//!    member counts the `new_message` deliveries it receives and how long
//!    each took from send to receipt (the send time rides in the content).
//! 2. Connections held: `--connections` WebSockets connected to `/chat`, at
//!    most `--connect-concurrency` handshakes at a time; the server's resident
//!    memory before and after, per connection.

mod connections;
mod room;
mod wire;

use std::time::Duration;

use clap::Args;

use super::report::{Fact, Report, machine};
use super::server::Server;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Realtime scenario (chorus bench realtime)")]
pub struct RealtimeArgs {
    /// Members of the room whose deliveries are measured.
    #[arg(long, default_value_t = 100)]
    pub room_members: usize,
    /// Members sending at once, each waiting for its ack before the next message.
    #[arg(long, default_value_t = 20)]
    pub senders: usize,
    /// WebSocket connections to hold open (0 skips the phase). Each takes a
    /// file descriptor in this process and one in the server's: the open-file
    /// limit (`ulimit -n`) caps it.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Handshakes in flight while opening the held connections.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
}

/// The server's settings for this scenario: cheap password hashing for the
/// sign-ups, and no per-connection rate limits, since the senders here send
/// as fast as acks come back.
pub fn embedded_env() -> Vec<(String, String)> {
    let mut env = super::social::embedded_env();
    for (key, value) in [
        ("CHORUS_CHAT__RATE_LIMIT_PER_SEC", "1000000"),
        ("CHORUS_CHAT__RATE_LIMIT_BURST", "1000000"),
        ("CHORUS_CHAT__EVENT_RATE_LIMIT_PER_SEC", "1000000"),
        ("CHORUS_CHAT__EVENT_RATE_LIMIT_BURST", "1000000"),
    ] {
        if std::env::var_os(key).is_none() {
            env.push((key.to_string(), value.to_string()));
        }
    }
    env
}

pub async fn run(
    server: &Server,
    duration: Duration,
    args: &RealtimeArgs,
) -> anyhow::Result<Report> {
    anyhow::ensure!(args.room_members >= 2, "--room-members must be at least 2");
    anyhow::ensure!(
        (1..=args.room_members).contains(&args.senders),
        "--senders must be between 1 and --room-members"
    );
    let mut report = Report {
        scenario: "realtime".into(),
        machine: machine(),
        ..Report::default()
    };
    report
        .facts
        .push(Fact::new("room members", args.room_members as u64));
    report.facts.push(Fact::new("senders", args.senders as u64));

    let room = room::run(server.addr, duration, args.room_members, args.senders).await?;
    report.operations.push(room.sends);
    report.operations.push(room.deliveries);
    report.facts.push(Fact::new("messages lost", room.lost));

    if args.connections > 0 {
        let held = connections::run(server, args.connections, args.connect_concurrency).await?;
        report.facts.extend(held.facts);
        report.notes.extend(held.notes);
    }
    Ok(report)
}
