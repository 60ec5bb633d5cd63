//! The faults: an instance killed and started again as a supervisor would,
//! and the servers under the cluster stopped and started with the commands
//! this machine starts them with (each one a flag, for other machines).

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use crate::cluster::{self, State};

#[derive(Args, Clone)]
pub struct ServerCommands {
    #[arg(long, default_value = "rabbitmqctl stop")]
    pub rabbitmq_stop: String,
    #[arg(long, default_value = "rabbitmq-server -detached")]
    pub rabbitmq_start: String,
    #[arg(long, default_value = "redis-cli -p 6379 shutdown nosave")]
    pub redis_stop: String,
    #[arg(
        long,
        default_value = "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
    )]
    pub redis_start: String,
    #[arg(
        long,
        default_value = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n 1) main restart"
    )]
    pub postgres_restart: String,
}

/// One fault, by name: `kill:<service>`, `rabbitmq`, `redis`, `postgres`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Kill(String),
    RabbitMq,
    Redis,
    Postgres,
}

impl Fault {
    pub fn name(&self) -> String {
        match self {
            Fault::Kill(target) => format!("SIGKILL {target}/1, restart"),
            Fault::RabbitMq => "restart RabbitMQ".into(),
            Fault::Redis => "stop Redis".into(),
            Fault::Postgres => "restart PostgreSQL".into(),
        }
    }

    /// `all`, or a comma-separated list of `kill` (every target), `kill:posts`,
    /// `rabbitmq`, `redis`, `postgres`.
    pub fn parse_list(list: &str) -> anyhow::Result<Vec<Fault>> {
        let mut faults = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "all" => {
                    faults.extend(every_kill());
                    faults.extend([Fault::RabbitMq, Fault::Redis, Fault::Postgres]);
                }
                "kill" => faults.extend(every_kill()),
                "rabbitmq" => faults.push(Fault::RabbitMq),
                "redis" => faults.push(Fault::Redis),
                "postgres" => faults.push(Fault::Postgres),
                other => match other.strip_prefix("kill:") {
                    Some(target) if every_kill().contains(&Fault::Kill(target.into())) => {
                        faults.push(Fault::Kill(target.into()));
                    }
                    _ => anyhow::bail!(
                        "--faults: {other:?} is none of all, kill, kill:<service or gateway>, rabbitmq, redis, postgres"
                    ),
                },
            }
        }
        Ok(faults)
    }
}

fn every_kill() -> Vec<Fault> {
    let mut targets: Vec<String> = cluster::layout::services()
        .into_iter()
        .map(str::to_string)
        .collect();
    targets.push("gateway".into());
    targets.into_iter().map(Fault::Kill).collect()
}

/// Injects `fault` and repairs it; returns when it was repaired (the
/// instance or server back).
pub async fn inject(
    fault: &Fault,
    state: &mut State,
    commands: &ServerCommands,
    redis_down: Duration,
) -> anyhow::Result<Instant> {
    match fault {
        Fault::Kill(target) => {
            let label = format!("{target}/1");
            cluster::kill_instance(state, &label, true).await?;
            cluster::start_instance(state, &label).await?;
        }
        Fault::RabbitMq => {
            shell(&commands.rabbitmq_stop).await?;
            wait_port(5672, false, Duration::from_secs(60)).await?;
            shell(&commands.rabbitmq_start).await?;
            // A broker recovering many durable queues is slow to listen.
            wait_port(5672, true, Duration::from_secs(300)).await?;
        }
        Fault::Redis => {
            shell(&commands.redis_stop).await?;
            wait_port(6379, false, Duration::from_secs(10)).await?;
            tokio::time::sleep(redis_down).await;
            shell(&commands.redis_start).await?;
            wait_port(6379, true, Duration::from_secs(30)).await?;
        }
        Fault::Postgres => {
            shell(&commands.postgres_restart).await?;
            wait_port(5432, true, Duration::from_secs(60)).await?;
        }
    }
    Ok(Instant::now())
}

async fn shell(command: &str) -> anyhow::Result<()> {
    let output = tokio::process::Command::new("sh")
        .args(["-c", command])
        .output()
        .await
        .with_context(|| format!("running {command}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{command} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// Waits until port `port` on loopback is open (`open`) or closed.
async fn wait_port(port: u16, open: bool, patience: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + patience;
    loop {
        let is_open = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok();
        if is_open == open {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "port {port} did not {} within {patience:?}",
            if open { "open" } else { "close" }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
