//! `chorus bench`: load tests against the gateway over HTTP, reported as
//! JSON and Markdown. Rates are compared as ratios measured side by side in
//! one run, since a shared machine's absolute numbers drift.

mod auth;
mod http;
mod load;
mod posts;
mod report;
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
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// A running Chorus (`http://127.0.0.1:8080`); by default a fresh `chorus up` is started.
    #[arg(long)]
    pub url: Option<String>,
    /// Seconds per measured phase.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Concurrent connections for the request-rate phases [default: 64; social: 256].
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
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let server = match &args.url {
        Some(url) => {
            anyhow::ensure!(
                args.server_env.is_empty(),
                "--server-env is for the server the bench starts, not one given by --url"
            );
            Server::external(url).await?
        }
        None => Server::embedded_with(&server_env(&args)?).await?,
    };
    let duration = Duration::from_secs(args.duration.max(1));
    let result = match args.scenario {
        Scenario::Auth => auth::run(server.addr, duration, args.concurrency.unwrap_or(64)).await,
        Scenario::Posts => posts::run(server.addr, duration, args.concurrency.unwrap_or(64)).await,
        Scenario::Social => {
            let concurrency = args.concurrency.unwrap_or(256);
            social::run(&server, duration, concurrency, &args.social).await
        }
    };
    server.stop().await;
    let mut report = result?;
    report.command = std::env::args().collect::<Vec<_>>().join(" ");
    write(&args.out, &report)?;
    println!("{}", report.markdown());
    Ok(())
}

/// The environment of the server the bench starts: the scenario's defaults,
/// then `--server-env`.
fn server_env(args: &BenchArgs) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = match args.scenario {
        Scenario::Social => social::embedded_env(),
        Scenario::Auth | Scenario::Posts => Vec::new(),
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
