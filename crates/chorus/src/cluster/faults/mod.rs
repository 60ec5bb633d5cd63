//! `chorus cluster faults`: drives a steady mix through a running cluster
//! and injects faults in turn (SIGKILL of one instance of each service and
//! of a gateway, a RabbitMQ restart, Redis stopped for 30 s, a PostgreSQL
//! restart). For each: the requests and errors from the fault until the
//! load settled after it, how long errors went on after the repair, and
//! whether every acknowledged write is readable, every event arrived and
//! nothing was applied twice. Prints a table; `--report` keeps it in a
//! Markdown file.

mod inject;
mod load;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::State;
use inject::{Fault, ServerCommands};
use load::Mix;

#[derive(Args)]
pub struct FaultArgs {
    /// `all`, or a comma-separated list of `kill`, `kill:<service>`,
    /// `rabbitmq`, `redis`, `postgres`.
    #[arg(long, default_value = "all")]
    pub faults: String,
    /// The faults whose failure fails the run (same syntax as `--faults`);
    /// the others are run and reported only.
    #[arg(long, default_value = "all")]
    pub gate: String,
    /// Operations a second in the steady mix.
    #[arg(long, default_value_t = 50)]
    pub rate: u32,
    /// Users signed up before the faults (more come during the mix).
    #[arg(long, default_value_t = 24)]
    pub users: usize,
    /// Seconds of load before each fault (not counted).
    #[arg(long, default_value_t = 3)]
    pub lead_secs: u64,
    /// Seconds of load after each repair, counted with the fault: the
    /// window whose errors are weighed runs from the fault to this long
    /// after its repair.
    #[arg(long, default_value_t = 8)]
    pub settle_secs: u64,
    /// How long Redis stays stopped.
    #[arg(long, default_value_t = 30)]
    pub redis_down_secs: u64,
    /// Keeps the table in this Markdown file, between
    /// `<!-- faults:start -->` and `<!-- faults:end -->`.
    #[arg(long)]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub servers: ServerCommands,
}

/// Errors may stay under this share of the requests during a fault…
const MOST_ERRORS: f64 = 0.01;
/// …and stop within this long after its repair.
const MOST_RECOVERY: Duration = Duration::from_secs(5);

struct Row {
    fault: Fault,
    requests: usize,
    errors: usize,
    recovery: Duration,
    problems: Vec<String>,
    converged_in: Duration,
    /// For PostgreSQL: did a service's `/ready` say 503 while it was down?
    ready_503: Option<bool>,
}

impl Row {
    fn error_share(&self) -> f64 {
        self.errors as f64 / self.requests.max(1) as f64
    }

    /// PostgreSQL's restart is excepted from the error and recovery bounds.
    fn passed(&self) -> bool {
        let bounded = self.fault == Fault::Postgres
            || (self.error_share() < MOST_ERRORS && self.recovery < MOST_RECOVERY);
        bounded && self.problems.is_empty()
    }
}

pub async fn run(state: &State, args: FaultArgs) -> anyhow::Result<()> {
    let faults = Fault::parse_list(&args.faults)?;
    let gated = Fault::parse_list(&args.gate)?;
    let mut state = state.clone();
    let settle = Duration::from_secs(args.settle_secs);
    let mix = Mix::new(&format!("http://{}", state.plan.listen))?;
    mix.setup(args.users)
        .await
        .context("setting up users, follows and conversations")?;
    let search: Vec<String> = state
        .plan
        .members()
        .into_iter()
        .filter(|m| m.target == "search")
        .map(|m| m.url())
        .collect();
    let mut rows = Vec::new();
    for fault in faults {
        eprintln!("faults: {}", fault.name());
        let stop = CancellationToken::new();
        let driver = tokio::spawn(Arc::clone(&mix).drive(args.rate, stop.clone()));
        tokio::time::sleep(Duration::from_secs(args.lead_secs)).await;
        let injected = Instant::now();
        let watcher = (fault == Fault::Postgres).then(|| watch_ready(&state));
        let repaired = inject::inject(
            &fault,
            &mut state,
            &args.servers,
            Duration::from_secs(args.redis_down_secs),
        )
        .await
        .with_context(|| format!("injecting {}", fault.name()))?;
        tokio::time::sleep(settle).await;
        stop.cancel();
        driver.await.context("the load driver")?;
        let ready_503 = match watcher {
            Some((stop, task)) => {
                stop.cancel();
                Some(task.await.unwrap_or(false))
            }
            None => None,
        };
        let (requests, errors, last_error) = window(&mix, injected);
        // Recovered once requests sent after the repair stop failing.
        let recovery =
            last_error.map_or(Duration::ZERO, |at| at.saturating_duration_since(repaired));
        let (problems, converged_in) =
            verify::converge(&mix, &search, injected, Duration::from_secs(30)).await;
        let row = Row {
            fault,
            requests,
            errors,
            recovery,
            problems,
            converged_in,
            ready_503,
        };
        eprintln!("{}", line(&row));
        rows.push(row);
    }
    let table = table(&rows, &args, &mix);
    println!("{table}");
    if let Some(path) = &args.report {
        keep_in(path, &table)?;
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|row| !row.passed() && gated.contains(&row.fault))
        .map(|row| {
            let mut why = row.fault.name();
            for problem in row.problems.iter().take(5) {
                why.push_str(&format!("\n    {problem}"));
            }
            why
        })
        .collect();
    anyhow::ensure!(
        failed.is_empty(),
        "faults not survived:\n  {}",
        failed.join("\n  ")
    );
    Ok(())
}

/// Requests that ended from `since` on (those in flight when the fault
/// struck included), how many failed, and when the last failed one started.
fn window(mix: &Mix, since: Instant) -> (usize, usize, Option<Instant>) {
    let outcomes = mix.outcomes.lock().expect("outcomes");
    let in_window: Vec<_> = outcomes.iter().filter(|o| o.ended >= since).collect();
    let failed: Vec<_> = in_window.iter().filter(|o| !o.ok).collect();
    (
        in_window.len(),
        failed.len(),
        failed.iter().map(|o| o.started).max(),
    )
}

/// Polls the first posts instance's `/ready` until stopped; true if it said 503.
fn watch_ready(state: &State) -> (CancellationToken, tokio::task::JoinHandle<bool>) {
    let stop = CancellationToken::new();
    let port = state
        .plan
        .members()
        .into_iter()
        .find(|m| m.target == "posts")
        .map_or(0, |m| m.port);
    let url = format!("http://127.0.0.1:{port}/ready");
    let until = stop.clone();
    let task = tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut seen = false;
        while !until.is_cancelled() {
            if let Ok(response) = client
                .get(&url)
                .timeout(Duration::from_secs(1))
                .send()
                .await
            {
                seen |= response.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        seen
    });
    (stop, task)
}

fn line(row: &Row) -> String {
    format!(
        "| {} | {} | {} | {:.2}% | {:.1} s | {} | {} |",
        row.fault.name(),
        row.requests,
        row.errors,
        row.error_share() * 100.0,
        row.recovery.as_secs_f64(),
        match (row.problems.len(), row.ready_503) {
            (0, Some(true)) => format!(
                "all hold ({:.1} s); /ready said 503",
                row.converged_in.as_secs_f64()
            ),
            (0, _) => format!("all hold ({:.1} s)", row.converged_in.as_secs_f64()),
            (n, _) => format!("{n} failed: {}", row.problems[0]),
        },
        if row.passed() { "pass" } else { "FAIL" },
    )
}

fn table(rows: &[Row], args: &FaultArgs, mix: &Mix) -> String {
    let mut text = format!(
        "Steady mix of {} operations/s (25% feed reads, 15% post reads, 15% posts, 12% comments, 15% likes, 5% follows, 10% chat messages, 3% signups) through nginx. A fault's window runs from the fault to {} s after its repair (an instance restarted, a server back); its requests are those that ended in it. Redis stopped {} s.\n\n",
        args.rate, args.settle_secs, args.redis_down_secs
    );
    text.push_str("| fault | requests | errors | error share | errors after repair | acknowledged writes, events, no doubles | verdict |\n");
    text.push_str("|---|---:|---:|---:|---:|---|---|\n");
    for row in rows {
        text.push_str(&line(row));
        text.push('\n');
    }
    let deferred = mix.deferred.load(std::sync::atomic::Ordering::Relaxed);
    text.push_str(&format!(
        "\nThe mix's client honours `Retry-After` as the API asks (tries again after it, for up to 10 s): {deferred} answers in the whole run said to try again later (a user's profile not yet made from their sign-up event, say); only requests that still failed count as errors.\n"
    ));
    let errors = mix.errors.lock().expect("errors");
    if !errors.is_empty() {
        text.push_str("\nErrors seen, by operation and status:\n\n");
        for (what, count) in errors.iter() {
            text.push_str(&format!("- {what}: {count}\n"));
        }
    }
    text
}

const START: &str = "<!-- faults:start -->";
const END: &str = "<!-- faults:end -->";

/// Replaces the section between the markers in `path` (or appends one).
fn keep_in(path: &std::path::Path, table: &str) -> anyhow::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let section = format!("{START}\n{table}\n{END}");
    let new = match (old.find(START), old.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{section}{}", &old[..start], &old[end + END.len()..])
        }
        _ => format!("{old}\n{section}\n"),
    };
    std::fs::write(path, new).with_context(|| format!("writing {}", path.display()))
}
