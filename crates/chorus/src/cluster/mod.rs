//! `chorus cluster`: the distributed deployment on one machine, with one
//! command. Two instances of every service and two gateways (each its own
//! `chorus serve` process), nginx in front, on the local PostgreSQL (a
//! database per service), Redis, RabbitMQ and S3 server.
//!
//! `up` starts it under a folder (configs, logs, data, `cluster.json`);
//! `status` says what answers; `restart`, `kill` and `start` act on one
//! instance; `down`
//! stops it all (`--purge` also drops its data and databases); `faults`
//! runs the fault suite against it.

pub mod faults;
mod layout;
mod needs;
mod nginx;
mod procs;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

pub use layout::{Member, Plan};
pub use procs::State;

#[derive(Args)]
pub struct ClusterArgs {
    /// The folder the cluster keeps its configs, logs, data and state in.
    #[arg(
        long,
        global = true,
        env = "CHORUS_CLUSTER_DIR",
        default_value = ".chorus-cluster"
    )]
    pub dir: PathBuf,
    #[command(subcommand)]
    pub command: ClusterCommand,
}

#[derive(Subcommand)]
pub enum ClusterCommand {
    /// Starts the cluster; returns once it answers through nginx.
    Up(UpArgs),
    /// Says which processes run and answer; fails if any does not.
    Status,
    /// Stops and starts one instance again (`users/1`, `gateway/2`…).
    Restart {
        instance: String,
        /// SIGKILL instead of SIGTERM, as a crash would.
        #[arg(long)]
        kill: bool,
    },
    /// Kills one instance with SIGKILL, as a crash would, and leaves it down.
    Kill { instance: String },
    /// Starts one instance that is down, where it was.
    Start { instance: String },
    /// Stops every process of the cluster.
    Down {
        /// Also deletes the folder and drops the cluster's databases.
        #[arg(long)]
        purge: bool,
    },
    /// Runs the fault suite against the running cluster.
    Faults(faults::FaultArgs),
}

#[derive(Args)]
pub struct UpArgs {
    /// Where nginx listens: the cluster's public address.
    #[arg(long, env = "CHORUS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Gateways listen from this port on, services from 10 above it.
    #[arg(long, default_value_t = 18000)]
    pub base_port: u16,
    /// Instances of every service, and gateways.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=9))]
    pub instances: u16,
    /// Names the databases (`<name>_<service>`) and namespaces queues and keys.
    #[arg(long, default_value = "chorus_cluster")]
    pub name: String,
    /// An administrative connection: each service's database is created through it.
    #[arg(long, default_value = "postgres://root@127.0.0.1:5432/postgres")]
    pub postgres: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis: String,
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    pub amqp: String,
    /// Where media goes (default: the SeaweedFS that scripts/services.sh
    /// runs, under a prefix named after the cluster).
    #[arg(long)]
    pub blobs: Option<String>,
}

pub async fn run(args: ClusterArgs) -> anyhow::Result<()> {
    match args.command {
        ClusterCommand::Up(up_args) => {
            let state = up(&args.dir, up_args).await?;
            println!("chorus cluster listening on http://{}", state.plan.listen);
            print_status(&state).await;
            Ok(())
        }
        ClusterCommand::Status => {
            let state = load(&args.dir)?;
            anyhow::ensure!(print_status(&state).await, "some of the cluster is down");
            Ok(())
        }
        ClusterCommand::Restart { instance, kill } => {
            let mut state = load(&args.dir)?;
            restart(&mut state, &instance, kill).await?;
            println!("{instance} restarted");
            Ok(())
        }
        ClusterCommand::Kill { instance } => {
            kill_instance(&load(&args.dir)?, &instance, true).await
        }
        ClusterCommand::Start { instance } => {
            let mut state = load(&args.dir)?;
            start_instance(&mut state, &instance).await
        }
        ClusterCommand::Down { purge } => down(&args.dir, purge).await,
        ClusterCommand::Faults(fault_args) => {
            let state = load(&args.dir)?;
            faults::run(&state, fault_args).await
        }
    }
}

fn load(dir: &Path) -> anyhow::Result<State> {
    State::load(dir)?.with_context(|| {
        format!(
            "no cluster in {} (start one with `chorus cluster up`)",
            dir.display()
        )
    })
}

/// Starts every process; on a failure, stops what started and says why.
pub async fn up(dir: &Path, args: UpArgs) -> anyhow::Result<State> {
    if let Some(state) = State::load(dir)?
        && state.running.iter().any(|r| procs::alive(r.pid))
    {
        anyhow::bail!(
            "a cluster already runs from {} (`chorus cluster status`, `chorus cluster down`)",
            dir.display()
        );
    }
    for sub in ["config", "logs", "data", "nginx"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("creating {}", dir.join(sub).display()))?;
    }
    let dir = std::fs::canonicalize(dir)?;
    let (jwt_secret, internal_key) = secrets(&dir)?;
    let blobs = args.blobs.unwrap_or_else(|| {
        format!(
            "s3://chorus-test/{}?endpoint=http://127.0.0.1:8333&access_key_id=chorus&secret_access_key=chorus-secret",
            args.name
        )
    });
    let plan = Plan {
        name: args.name,
        dir,
        listen: args.listen,
        base_port: args.base_port,
        instances: usize::from(args.instances),
        postgres: args.postgres,
        redis: args.redis,
        amqp: args.amqp,
        blobs,
        jwt_secret,
        internal_key,
    };
    needs::check(&plan).await?;
    needs::create_databases(&plan, &layout::services()).await?;
    let mut state = State {
        plan,
        running: Vec::new(),
    };
    match start_all(&mut state).await {
        Ok(()) => Ok(state),
        Err(error) => {
            stop_all(&state).await;
            let _ = std::fs::remove_file(State::path(&state.plan.dir));
            Err(error)
        }
    }
}

async fn start_all(state: &mut State) -> anyhow::Result<()> {
    let members = state.plan.members();
    for (position, member) in members.iter().enumerate() {
        let pid = procs::start(&state.plan, member, node_id(position)).await?;
        state.record(member, pid);
        state.save()?;
    }
    let gateways: Vec<u16> = members
        .iter()
        .filter(|m| m.target == "gateway")
        .map(|m| m.port)
        .collect();
    let pid = nginx::start(&state.plan, &gateways).await?;
    let front: SocketAddr = state
        .plan
        .listen
        .parse()
        .with_context(|| format!("--listen {} is no address", state.plan.listen))?;
    state.record(&nginx_member(front.port()), pid);
    state.save()?;
    for _ in 0..600 {
        if answers(front, "/ready").await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the cluster did not become ready within 60 s through nginx on {front}")
}

/// Ids must differ between every instance: a distinct node per process.
fn node_id(position: usize) -> u16 {
    u16::try_from(position + 1).unwrap_or(u16::MAX)
}

fn nginx_member(port: u16) -> Member {
    Member {
        target: "nginx".into(),
        index: 0,
        port,
    }
}

/// The cluster's secrets, made once and kept in its folder.
fn secrets(dir: &Path) -> anyhow::Result<(String, String)> {
    let path = dir.join("secrets.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let kept: (String, String) = serde_json::from_str(&text)
            .with_context(|| format!("{} is damaged", path.display()))?;
        return Ok(kept);
    }
    let fresh = (random_secret(), random_secret());
    std::fs::write(&path, serde_json::to_string(&fresh)?)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(fresh)
}

fn random_secret() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Stops (gracefully, or with SIGKILL as a crash) and starts one instance.
pub async fn restart(state: &mut State, label: &str, kill: bool) -> anyhow::Result<()> {
    kill_instance(state, label, kill).await?;
    start_instance(state, label).await
}

/// Stops one instance (SIGKILL when `kill`), leaving it down.
pub async fn kill_instance(state: &State, label: &str, kill: bool) -> anyhow::Result<()> {
    let running = state
        .find(label)
        .with_context(|| format!("no instance {label} in this cluster"))?;
    anyhow::ensure!(
        running.member.target != "nginx",
        "nginx is not restarted this way"
    );
    if kill {
        procs::signal(running.pid, "KILL");
        procs::wait_gone(running.pid, Duration::from_secs(5)).await;
    } else {
        procs::stop(running.pid, Duration::from_secs(30)).await;
    }
    Ok(())
}

/// Starts one (stopped) instance again where it was.
pub async fn start_instance(state: &mut State, label: &str) -> anyhow::Result<()> {
    let members = state.plan.members();
    let position = members
        .iter()
        .position(|m| m.label() == label)
        .with_context(|| format!("no instance {label} in this cluster"))?;
    let member = &members[position];
    let pid = procs::start(&state.plan, member, node_id(position)).await?;
    state.record(member, pid);
    state.save()
}

async fn stop_all(state: &State) {
    // The front first, then gateways, then services: nothing is sent to a
    // process that is already gone.
    for tier in 0..3 {
        let stops = state
            .running
            .iter()
            .filter(|r| stop_tier(&r.member.target) == tier)
            .map(|r| procs::stop(r.pid, Duration::from_secs(20)));
        futures::future::join_all(stops).await;
    }
}

fn stop_tier(target: &str) -> u8 {
    match target {
        "nginx" => 0,
        "gateway" => 1,
        _ => 2,
    }
}

async fn down(dir: &Path, purge: bool) -> anyhow::Result<()> {
    let Some(state) = State::load(dir)? else {
        println!("no cluster in {}", dir.display());
        return Ok(());
    };
    stop_all(&state).await;
    std::fs::remove_file(State::path(dir))?;
    if purge {
        needs::drop_databases(&state.plan, &layout::services()).await?;
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    println!("cluster stopped{}", if purge { " and purged" } else { "" });
    Ok(())
}

/// Prints a line per process; true if every one runs and answers.
async fn print_status(state: &State) -> bool {
    let mut all_up = true;
    for running in &state.running {
        let member = &running.member;
        let path = if member.target == "nginx" {
            "/ready"
        } else {
            "/health"
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], member.port));
        let verdict = if !procs::alive(running.pid) {
            "stopped"
        } else if answers(addr, path).await {
            "up"
        } else {
            "not answering"
        };
        all_up &= verdict == "up";
        println!(
            "{:<16} pid {:<8} {:<24} {verdict}",
            member.label(),
            running.pid,
            member.url()
        );
    }
    all_up
}

/// Does `path` answer 200 within 2 s?
pub async fn answers(addr: SocketAddr, path: &str) -> bool {
    let ask = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .timeout(Duration::from_secs(2))
        .send();
    matches!(ask.await, Ok(response) if response.status() == reqwest::StatusCode::OK)
}
