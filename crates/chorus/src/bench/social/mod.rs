//! The social-network scenario, after DeathStarBench's: a follow graph (the
//! Reed98 Facebook graph, or a synthetic power-law one with a celebrity) set
//! up through the public API, then the 60/30/10 mix of home-timeline reads,
//! user-timeline reads and composes as random users; optionally the same mix
//! at fixed offered rates (latency against load), and the fan-out lag from a
//! post's 201 to its showing in followers' home timelines.

mod api;
mod closed_loop;
mod graph;
mod lag;
mod mix;
mod open_loop;
mod report;
mod setup;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use http::HeaderValue;

use super::http::{SecondsBar, on_own_core};
use super::report::Report;
use super::server::Server;
use api::Api;
use lag::LagSettings;
use mix::{Mix, Session, Workload};
use setup::{Account, Setup};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphKind {
    /// DeathStarBench's Facebook graph of Reed College: 962 users, 37,624 follows.
    Reed98,
    /// A synthetic graph: Zipf-skewed follows plus a celebrity everyone follows.
    Powerlaw,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Social scenario (chorus bench social)")]
pub struct SocialArgs {
    /// The follow graph to set up.
    #[arg(long, value_enum, default_value = "reed98")]
    pub graph: GraphKind,
    /// Reed98's edge list [default: ../shared/data/socfb-Reed98.edges].
    #[arg(long)]
    pub edges: Option<PathBuf>,
    /// Users of the power-law graph, the celebrity included [default: 100000];
    /// notifications: accounts that act and are notified [default: 1000].
    #[arg(long)]
    pub users: Option<usize>,
    /// Average follows per user in the power-law graph, besides the celebrity.
    #[arg(long, default_value_t = 5.0)]
    pub avg_follows: f64,
    /// Skew of the power-law graph: a user of popularity rank r is followed
    /// in proportion to r^-zipf.
    #[arg(long, default_value_t = 0.8)]
    pub zipf: f64,
    /// Seeds the graph, the posts and the mix's choices.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Posts each user writes during the setup.
    #[arg(long, default_value_t = 5)]
    pub posts_per_user: usize,
    /// Requests in flight during the setup.
    #[arg(long, default_value_t = 64)]
    pub setup_concurrency: usize,
    /// Weights of home-timeline reads, user-timeline reads and composes.
    #[arg(long, default_value = "60,30,10")]
    pub mix: String,
    /// Offered rates (req/s) for open-loop runs of the mix, e.g. 1000,2000,4000.
    #[arg(long, value_delimiter = ',')]
    pub rates: Vec<f64>,
    /// Skips the closed-loop run of the mix.
    #[arg(long)]
    pub no_mix: bool,
    /// Measures the fan-out lag on the full sample (a small one runs by default).
    #[arg(long)]
    pub fanout_lag: bool,
    /// Skips the fan-out lag measurement.
    #[arg(long, conflicts_with = "fanout_lag")]
    pub no_lag: bool,
    /// Ordinary users who each post once for the lag measurement.
    #[arg(long, default_value_t = 50)]
    pub lag_posts: usize,
    /// Followers watched per ordinary post, at most.
    #[arg(long, default_value_t = 200)]
    pub lag_followers: usize,
    /// Followers of the celebrity watched (power-law graph).
    #[arg(long, default_value_t = 1000)]
    pub celebrity_followers: usize,
    /// Milliseconds between two reads of one follower's feed.
    #[arg(long, default_value_t = 10)]
    pub lag_poll_ms: u64,
    /// Feed reads in flight while watching for a post.
    #[arg(long, default_value_t = 32)]
    pub lag_pollers: usize,
    /// Seconds after which a follower who has not seen a post counts as never seeing it.
    #[arg(long, default_value_t = 30)]
    pub lag_timeout: u64,
}

/// The server settings the social scenario starts its own `chorus up` with,
/// unless this process's environment sets them: cheap password hashing, so
/// that signing up 100,000 users takes minutes, not hours (the measured mix
/// never hashes), and tokens that outlive a long setup.
pub fn embedded_env() -> Vec<(String, String)> {
    [
        ("CHORUS_AUTH__ARGON2__MEMORY_KIB", "64"),
        ("CHORUS_AUTH__ARGON2__ITERATIONS", "1"),
        ("CHORUS_AUTH__ARGON2__PARALLELISM", "1"),
        ("CHORUS_SECURITY__ACCESS_TTL_SECS", "86400"),
    ]
    .into_iter()
    .filter(|(key, _)| std::env::var_os(key).is_none())
    .map(|(key, value)| (key.to_string(), value.to_string()))
    .collect()
}

pub async fn run(
    server: &Server,
    duration: Duration,
    concurrency: usize,
    args: &SocialArgs,
) -> anyhow::Result<Report> {
    let mix = Mix::parse(&args.mix)?;
    anyhow::ensure!(
        args.rates.iter().all(|r| r.is_finite() && *r >= 1.0),
        "--rates are requests per second, each at least 1"
    );
    let graph = build_graph(args)?;
    eprintln!(
        "graph {}: {} users, {} follows",
        graph.name,
        graph.users,
        graph.follows.len()
    );
    let api = Api::new(server.addr, args.setup_concurrency);
    let tag = format!("b{:07x}", rand::random::<u32>() >> 4);
    let (mut accounts, times) = Setup {
        api: &api,
        graph: &graph,
        tag: &tag,
        posts_per_user: args.posts_per_user,
        concurrency: args.setup_concurrency,
        seed: args.seed,
    }
    .run()
    .await?;
    let mut out = report::Builder::new(&graph, &times, server, args, &mix, concurrency, duration);
    out.memory("after setup", server.memory());

    // Tokens must outlive the measured phases (a server given by URL may issue short-lived ones).
    let phases = 2 + args.rates.len() as u64 + u64::from(!args.no_mix);
    let need = duration * phases as u32 + Duration::from_secs(300);
    setup::refresh_stale(&api, &mut accounts, need, args.setup_concurrency).await?;
    let workload = Arc::new(Workload::new(
        Arc::new(sessions(&accounts)?),
        mix,
        server.addr.to_string(),
    ));

    if !args.no_mix {
        let addr = server.addr;
        let warm = workload.clone();
        let seed = args.seed;
        let clock = SecondsBar::start("warm-up", Duration::from_secs(2));
        on_own_core(move || {
            closed_loop::run(addr, concurrency, Duration::from_secs(2), warm, seed)
        })
        .await;
        clock.finish("warm-up done".into());
        let measured_workload = workload.clone();
        let clock = SecondsBar::start("mix, closed loop", duration);
        let measured = on_own_core(move || {
            closed_loop::run(
                addr,
                concurrency,
                duration,
                measured_workload,
                seed.wrapping_add(1),
            )
        })
        .await;
        clock.finish(format!(
            "mix: {:.0} req/s, {} errors",
            measured.total().throughput(),
            measured.total().errors
        ));
        out.mix(&measured);
    }

    for &rate in &args.rates {
        let addr = server.addr;
        let workload = workload.clone();
        let seed = args.seed.wrapping_add(rate as u64);
        let clock = SecondsBar::start(&format!("open loop, {rate:.0}/s"), duration);
        let point =
            on_own_core(move || open_loop::run(addr, concurrency, rate, duration, workload, seed))
                .await;
        clock.finish(format!(
            "offered {rate:.0}/s: achieved {:.0}/s, {} errors",
            point.achieved,
            point.measured.total().errors
        ));
        out.rate(&point);
    }

    if !args.no_lag {
        let settings = lag_settings(args);
        measure_lag(&api, &accounts, &graph, &settings, &mut out).await;
    }
    out.memory("after the run", server.memory());
    Ok(out.finish())
}

fn build_graph(args: &SocialArgs) -> anyhow::Result<graph::Graph> {
    match args.graph {
        GraphKind::Reed98 => {
            anyhow::ensure!(
                args.users.is_none(),
                "--users is for --graph powerlaw; Reed98 has its own 962"
            );
            let path = args.edges.clone().unwrap_or_else(graph::default_edges);
            graph::reed98(&path)
        }
        GraphKind::Powerlaw => graph::powerlaw(
            args.users.unwrap_or(100_000),
            args.avg_follows,
            args.zipf,
            args.seed,
        ),
    }
}

fn sessions(accounts: &[Account]) -> anyhow::Result<Vec<Session>> {
    accounts
        .iter()
        .map(|a| {
            Ok(Session {
                id: a.id.clone(),
                username: a.username.clone(),
                auth: HeaderValue::from_str(&format!("Bearer {}", a.access_token))?,
            })
        })
        .collect()
}

/// The full sample with `--fanout-lag`, a small one otherwise.
fn lag_settings(args: &SocialArgs) -> LagSettings {
    let small = |n: usize, cap: usize| if args.fanout_lag { n } else { n.min(cap) };
    LagSettings {
        posts: small(args.lag_posts, 10),
        followers: small(args.lag_followers, 50),
        celebrity_followers: small(args.celebrity_followers, 200),
        poll: Duration::from_millis(args.lag_poll_ms.max(1)),
        pollers: args.lag_pollers.max(1),
        timeout: Duration::from_secs(args.lag_timeout.max(1)),
        seed: args.seed,
    }
}

/// Both lag measurements; a failure (the feed route missing, say) is
/// reported in the notes rather than losing the rest of the report.
async fn measure_lag(
    api: &Api,
    accounts: &[Account],
    graph: &graph::Graph,
    settings: &LagSettings,
    out: &mut report::Builder,
) {
    let followers = graph.followers();
    match lag::ordinary(api, accounts, &followers, graph.celebrity, settings).await {
        Ok(sightings) => out.ordinary_lag(&sightings, settings),
        Err(error) => out.note(format!(
            "fan-out lag (ordinary posts) not measured: {error:#}"
        )),
    }
    let Some(celebrity) = graph.celebrity else {
        out.note("this graph has no celebrity: no celebrity lag.".into());
        return;
    };
    match lag::celebrity(
        api,
        accounts,
        &followers[celebrity as usize],
        celebrity,
        settings,
    )
    .await
    {
        Ok(sightings) => out.celebrity_lag(&sightings, followers[celebrity as usize].len()),
        Err(error) => out.note(format!("fan-out lag (celebrity) not measured: {error:#}")),
    }
}
