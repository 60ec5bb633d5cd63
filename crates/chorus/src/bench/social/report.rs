//! The social scenario's report: settings and setup as facts, the mix per
//! operation, latency against offered load (also as CSV), and fan-out lag.

use std::time::Duration;

use serde_json::{Value, json};

use super::SocialArgs;
use super::graph::Graph;
use super::lag::{self, LagSettings, Sightings};
use super::mix::{Mix, MixMeasured};
use super::open_loop::RatePoint;
use super::setup::SetupTimes;
use crate::bench::report::{self as base, Fact, Report, Table};
use crate::bench::server::{Memory, Server};

pub const CSV_HEADER: &str = "offered_rate,achieved_rate,p50_ms,p90_ms,p99_ms,p999_ms,errors";

pub struct Builder {
    report: Report,
    rates: Vec<Vec<Value>>,
    csv: String,
}

impl Builder {
    pub fn new(
        graph: &Graph,
        times: &SetupTimes,
        server: &Server,
        args: &SocialArgs,
        mix: &Mix,
        concurrency: usize,
        duration: Duration,
    ) -> Self {
        let followers = graph.followers();
        let mut degrees: Vec<usize> = followers
            .iter()
            .enumerate()
            .filter(|&(user, _)| Some(user as u32) != graph.celebrity)
            .map(|(_, f)| f.len())
            .collect();
        degrees.sort_unstable();
        let mut facts = vec![
            Fact::new("graph", graph.name.clone()),
            Fact::new("users", graph.users),
            Fact::new("follows", graph.follows.len()),
            Fact::new(
                "followers per user (median / max, celebrity aside)",
                format!(
                    "{} / {}",
                    degrees.get(degrees.len() / 2).unwrap_or(&0),
                    degrees.last().unwrap_or(&0)
                ),
            ),
        ];
        if let Some(celebrity) = graph.celebrity {
            facts.push(Fact::new(
                "celebrity followers",
                followers[celebrity as usize].len(),
            ));
        }
        let per_second = |n: usize, took: Duration| {
            format!(
                "{n} in {:.1} s ({:.0}/s)",
                took.as_secs_f64(),
                n as f64 / took.as_secs_f64().max(1e-9)
            )
        };
        facts.extend([
            Fact::new("posts preloaded", times.posts_created),
            Fact::new("setup: sign-ups", per_second(graph.users, times.signups)),
            Fact::new(
                "setup: follows",
                per_second(graph.follows.len(), times.follows),
            ),
            Fact::new(
                "setup: posts",
                per_second(times.posts_created as usize, times.posts),
            ),
            Fact::new("setup concurrency", args.setup_concurrency),
            Fact::new("mix (home, user, compose)", mix.to_string()),
            Fact::new("concurrency (connections)", concurrency),
            Fact::new("duration per phase (s)", duration.as_secs()),
            Fact::new("seed", args.seed),
            Fact::new(
                "server",
                match server.pid() {
                    Some(pid) => format!("embedded `chorus up`, pid {pid}"),
                    None => format!("given by URL, {}", server.addr),
                },
            ),
        ]);
        let mut notes = vec![
            "The load generator runs on one core of its own (a single-threaded runtime); \
             requests go as uniformly random users, each with its own bearer token; \
             non-2xx answers and connection failures count as errors, and only \
             successes have latencies."
                .to_string(),
        ];
        let cheap = server
            .env()
            .iter()
            .any(|(key, value)| key == "CHORUS_AUTH__ARGON2__MEMORY_KIB" && value == "64");
        if cheap {
            notes.push(
                "The embedded server hashes passwords cheaply (argon2id 64 KiB, 1 iteration, \
                 1 lane) so that the setup's sign-ups are fast; the measured phases never \
                 hash a password."
                    .into(),
            );
        }
        if let Some(env) = server_env(server) {
            notes.push(format!("Server environment: {env}."));
        }
        Self {
            report: Report {
                scenario: "social".into(),
                machine: base::machine(),
                facts,
                notes,
                ..Report::default()
            },
            rates: Vec::new(),
            csv: format!("{CSV_HEADER}\n"),
        }
    }

    pub fn memory(&mut self, when: &str, memory: Option<Memory>) {
        let mib = |kib: u64| Value::from((kib as f64 / 1024.0 * 10.0).round() / 10.0);
        match memory {
            Some(memory) => {
                self.fact(&format!("server RSS {when} (MiB)"), mib(memory.rss_kib));
                self.fact(
                    &format!("server peak RSS {when} (MiB)"),
                    mib(memory.peak_kib),
                );
            }
            None => self.fact(
                &format!("server RSS {when}"),
                "unknown (not an embedded server)".into(),
            ),
        }
    }

    pub fn mix(&mut self, measured: &MixMeasured) {
        self.report.operations.extend(measured.reports(""));
    }

    pub fn rate(&mut self, point: &RatePoint) {
        let total = base::OpReport::from_measured("", &point.measured.total());
        self.csv.push_str(&format!(
            "{:.0},{:.1},{:.3},{:.3},{:.3},{:.3},{}\n",
            point.offered,
            point.achieved,
            total.p50_ms,
            total.p90_ms,
            total.p99_ms,
            total.p999_ms,
            total.errors
        ));
        self.rates.push(vec![
            json!(point.offered.round() as u64),
            json!(point.achieved.round() as u64),
            json!(total.p50_ms),
            json!(total.p90_ms),
            json!(total.p99_ms),
            json!(total.p999_ms),
            json!(total.errors),
            json!(point.missed),
        ]);
    }

    pub fn ordinary_lag(&mut self, posts: &[Sightings], settings: &LagSettings) {
        let watched: usize = posts.iter().map(|s| s.seen.len()).sum();
        let per_post: Vec<Duration> = posts.iter().filter_map(Sightings::all_seen_after).collect();
        let per_follower: Vec<Duration> = posts
            .iter()
            .flat_map(|s| s.seen.iter().flatten().copied())
            .collect();
        let unseen: usize = posts.iter().map(Sightings::unseen).sum();
        let first: usize = posts.iter().map(|s| s.first_read).sum();
        let errors: u64 = posts.iter().map(|s| s.errors).sum();
        self.lag_row(
            "ordinary posts: until every watched follower has it (per post)",
            posts.len(),
            watched,
            &per_post,
            unseen,
            format!("{first}/{watched}"),
        );
        self.lag_row(
            "ordinary posts: per follower",
            posts.len(),
            watched,
            &per_follower,
            unseen,
            format!("{first}/{watched}"),
        );
        self.note(format!(
            "Fan-out lag: each post's followers (at most {} per post) are read in turn by {} \
             pollers, each follower at most every {} ms, until all have it or {} s pass; a \
             sighting is timed at the end of the read that saw it, so it is an upper bound: \
             when a follower saw the post on its first read, fan-out had finished before \
             that read and the figure is the time the pollers took to get to it. \
             {errors} feed reads failed and were retried.",
            settings.followers,
            settings.pollers,
            settings.poll.as_millis(),
            settings.timeout.as_secs()
        ));
    }

    pub fn celebrity_lag(&mut self, sightings: &Sightings, followers: usize) {
        let seen: Vec<Duration> = sightings.seen.iter().flatten().copied().collect();
        let watched = sightings.seen.len();
        let all = if sightings.first_read == watched {
            "all"
        } else {
            "not all"
        };
        self.lag_row(
            &format!("celebrity post ({followers} followers): per follower"),
            1,
            watched,
            &seen,
            sightings.unseen(),
            format!("{}/{watched} ({all})", sightings.first_read),
        );
        self.fact(
            "celebrity post: every watched follower saw it on the first read",
            Value::from(sightings.first_read == watched),
        );
    }

    fn lag_row(
        &mut self,
        name: &str,
        posts: usize,
        watched: usize,
        lags: &[Duration],
        unseen: usize,
        first_read: String,
    ) {
        let table = self.lag_table();
        table.rows.push(vec![
            json!(name),
            json!(posts),
            json!(watched),
            json!(lag::quantile_ms(lags, 0.5)),
            json!(lag::quantile_ms(lags, 0.99)),
            json!(lag::quantile_ms(lags, 1.0)),
            json!(unseen),
            json!(first_read),
        ]);
    }

    fn lag_table(&mut self) -> &mut Table {
        const TITLE: &str = "Fan-out lag: from a post's 201 to its showing on the first page \
                             (GET /api/v1/feed?limit=20) of a follower's home timeline";
        let index = match self.report.tables.iter().position(|t| t.title == TITLE) {
            Some(index) => index,
            None => {
                self.report.tables.push(Table {
                    title: TITLE.into(),
                    columns: [
                        "measurement",
                        "posts",
                        "followers watched",
                        "p50 ms",
                        "p99 ms",
                        "max ms",
                        "never seen",
                        "seen on first read",
                    ]
                    .map(String::from)
                    .to_vec(),
                    rows: Vec::new(),
                });
                self.report.tables.len() - 1
            }
        };
        &mut self.report.tables[index]
    }

    pub fn note(&mut self, note: String) {
        self.report.notes.push(note);
    }

    fn fact(&mut self, name: &str, value: Value) {
        self.report.facts.push(Fact::new(name, value));
    }

    pub fn finish(mut self) -> Report {
        if !self.rates.is_empty() {
            self.report.tables.insert(
                0,
                Table {
                    title: "Latency against offered load: the mix in open loop (wrk2-style), \
                            latency from each request's scheduled send time"
                        .into(),
                    columns: [
                        "offered req/s",
                        "achieved req/s",
                        "p50 ms",
                        "p90 ms",
                        "p99 ms",
                        "p99.9 ms",
                        "errors",
                        "sends missed",
                    ]
                    .map(String::from)
                    .to_vec(),
                    rows: self.rates,
                },
            );
            self.report
                .attachments
                .push(("latency.csv".into(), self.csv));
            self.report.notes.push(
                "Sends missed: sends due within the run that a connection, still waiting \
                 for earlier answers, never made; an achieved rate below the offered one \
                 means the server (or the connections) could not keep up."
                    .into(),
            );
        }
        self.report
    }
}

/// The `CHORUS_*` variables the embedded server runs with (inherited, then
/// set by the bench), secrets hidden.
fn server_env(server: &Server) -> Option<String> {
    server.pid()?;
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(key, _)| key.starts_with("CHORUS_"))
        .filter(|(key, _)| !server.env().iter().any(|(k, _)| k == key))
        .chain(server.env().iter().cloned())
        .collect();
    vars.sort();
    let shown: Vec<String> = vars
        .into_iter()
        .map(|(key, value)| {
            let secret = ["SECRET", "KEY", "PASSWORD", "TOKEN"]
                .iter()
                .any(|word| key.contains(word));
            if secret {
                format!("`{key}=…`")
            } else {
                format!("`{key}={value}`")
            }
        })
        .collect();
    (!shown.is_empty()).then(|| shown.join(", "))
}
