//! `chorus bench`: load tests against the gateway over HTTP, reported as
//! JSON and Markdown. Rates are compared as ratios measured side by side in
//! one run, since a shared machine's absolute numbers drift.

mod auth;
mod http;
mod load;
mod posts;
mod report;
mod server;

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
    /// Concurrent connections for the request-rate phases.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Where the JSON and Markdown reports go.
    #[arg(long, default_value = "bench-results")]
    pub out: PathBuf,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let server = match &args.url {
        Some(url) => Server::external(url).await?,
        None => Server::embedded().await?,
    };
    let duration = Duration::from_secs(args.duration.max(1));
    let result = match args.scenario {
        Scenario::Auth => auth::run(server.addr, duration, args.concurrency).await,
        Scenario::Posts => posts::run(server.addr, duration, args.concurrency).await,
    };
    server.stop().await;
    let mut report = result?;
    report.command = std::env::args().collect::<Vec<_>>().join(" ");
    write(&args.out, &report)?;
    println!("{}", report.markdown());
    Ok(())
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
    Ok(())
}
