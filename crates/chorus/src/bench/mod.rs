//! `chorus bench`: load tests against the gateway over HTTP (the
//! notifications scenario: against services in this process), reported as
//! JSON and Markdown. Rates are compared as ratios measured side by side in
//! one run, since a shared machine's absolute numbers drift.

mod auth;
mod http;
mod load;
mod media;
mod notifications;
mod posts;
mod realtime;
mod report;
mod search;
mod server;
mod social;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

pub use load::{Measured, run as run_load};
pub use report::{OpReport, Ratio, Report};
pub use server::Server;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Scenario {
    /// `GET /api/v1/auth/me` against a bare route, and login against raw argon2id hashing.
    Auth,
    /// Create-post and get-post rates against a bare route, and the SQL
    /// queries one GraphQL page of 20 posts with authors costs.
    Posts,
    /// DeathStarBench's social network: a follow graph set up through the
    /// API, then the 60/30/10 mix of home timelines, user timelines and
    /// composes; optionally latency against offered load, and fan-out lag.
    Social,
    /// Socket.IO chat: deliveries per second in one room with send-to-receipt
    /// latency, then connections held by one server and their memory.
    Realtime,
    /// Notification events applied per second by the notifications service
    /// (run in this process beside the users service, on `CHORUS_INFRA__*`
    /// or embedded ports), with publish-to-push latency.
    Notifications,
    /// Upload-and-process throughput for a 2 MB photo: a noisy JPEG made in
    /// memory, uploaded to `POST /api/v1/media` again and again.
    Media,
    /// Search over a big index: `--search-posts` synthetic posts (1,000,000)
    /// written into the posts database and indexed by `chorus reindex` (timed),
    /// then queries per second and latency for popular (cached) and
    /// distinct queries, and the lag from a post's `201` until search finds it.
    Search,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// A running Chorus (`http://127.0.0.1:8080`); by default a fresh `chorus up` is started.
    #[arg(long)]
    pub url: Option<String>,
    /// Seconds per measured phase (notifications: --events instead).
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Concurrent connections for the request-rate phases [default: 64;
    /// social: 256; media: 4]; notifications: events published but not yet applied [default: 64].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Where the JSON and Markdown reports go.
    #[arg(long, default_value = "bench-results")]
    pub out: PathBuf,
    /// A setting for the server this bench starts (repeatable), e.g.
    /// `CHORUS_FEED__CELEBRITY_THRESHOLD=5000`; `CHORUS_*` variables of this
    /// process reach it too.
    #[arg(long = "server-env", value_name = "KEY=VALUE")]
    pub server_env: Vec<String>,
    #[command(flatten)]
    pub social: Box<social::SocialArgs>,
    #[command(flatten)]
    pub realtime: realtime::RealtimeArgs,
    #[command(flatten)]
    pub notifications: notifications::NotificationsArgs,
    #[command(flatten)]
    pub search: search::SearchArgs,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let mut report = match args.scenario {
        Scenario::Notifications => in_process(&args).await?,
        _ => over_http(&args).await?,
    };
    report.command = std::env::args().collect::<Vec<_>>().join(" ");
    write(&args.out, &report)?;
    println!("{}", report.markdown());
    Ok(())
}

/// The notifications scenario: the services run in this process, set up
/// by `CHORUS_*` variables as `chorus up` or `chorus serve` would be.
async fn in_process(args: &BenchArgs) -> anyhow::Result<Report> {
    anyhow::ensure!(
        args.url.is_none(),
        "the notifications scenario runs the services in this process: --url does not apply"
    );
    anyhow::ensure!(
        args.server_env.is_empty(),
        "the notifications scenario starts no server: set CHORUS_* variables (CHORUS_INFRA__BUS_URL…) in this command's environment instead of --server-env"
    );
    let shared = notifications::Shared {
        users: args.social.users.unwrap_or(1_000),
        in_flight: args.concurrency.unwrap_or(64),
        seed: args.social.seed,
    };
    notifications::run(&args.notifications, &shared).await
}

async fn over_http(args: &BenchArgs) -> anyhow::Result<Report> {
    let duration = Duration::from_secs(args.duration.max(1));
    if let Scenario::Search = args.scenario {
        // It stops its server, writes into its databases and starts it again.
        anyhow::ensure!(
            args.url.is_none(),
            "the search scenario seeds the posts database of the server it starts: --url does not apply"
        );
        let server = Server::embedded_with(&server_env(args)?).await?;
        let concurrency = args.concurrency.unwrap_or(64);
        return search::run(
            server,
            duration,
            concurrency,
            &args.search,
            args.social.seed,
        )
        .await;
    }
    let server = match &args.url {
        Some(url) => {
            anyhow::ensure!(
                args.server_env.is_empty(),
                "--server-env is for the server the bench starts, not one given by --url"
            );
            Server::external(url).await?
        }
        None => Server::embedded_with(&server_env(args)?).await?,
    };
    let result = match args.scenario {
        Scenario::Auth => auth::run(server.addr, duration, args.concurrency.unwrap_or(64)).await,
        Scenario::Posts => posts::run(server.addr, duration, args.concurrency.unwrap_or(64)).await,
        Scenario::Social => {
            let concurrency = args.concurrency.unwrap_or(256);
            social::run(&server, duration, concurrency, &args.social).await
        }
        Scenario::Realtime => realtime::run(&server, duration, &args.realtime).await,
        Scenario::Media => media::run(server.addr, duration, args.concurrency.unwrap_or(4)).await,
        Scenario::Notifications | Scenario::Search => Err(anyhow::anyhow!(
            "the {:?} scenario does not run on a server it is given",
            args.scenario
        )),
    };
    server.stop().await;
    result
}

/// The environment of the server the bench starts: the scenario's defaults,
/// then `--server-env`.
fn server_env(args: &BenchArgs) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = match args.scenario {
        Scenario::Social => social::embedded_env(),
        Scenario::Realtime => realtime::embedded_env(),
        Scenario::Media => media::embedded_env(),
        Scenario::Search => search::embedded_env(),
        Scenario::Auth | Scenario::Posts | Scenario::Notifications => Vec::new(),
    };
    for pair in &args.server_env {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("--server-env {pair:?}: expected KEY=VALUE"))?;
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }
    Ok(env)
}

fn write(dir: &std::path::Path, report: &Report) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let base = dir.join(format!("{}-{stamp}", report.scenario));
    std::fs::write(
        base.with_extension("json"),
        serde_json::to_vec_pretty(report)?,
    )?;
    std::fs::write(base.with_extension("md"), report.markdown())?;
    eprintln!("reports written to {}.{{json,md}}", base.display());
    for (suffix, contents) in &report.attachments {
        let path = dir.join(format!("{}-{stamp}-{suffix}", report.scenario));
        std::fs::write(&path, contents)?;
        eprintln!("and {}", path.display());
    }
    Ok(())
}
