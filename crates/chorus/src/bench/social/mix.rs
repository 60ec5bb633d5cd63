//! DeathStarBench's mixed workload: which request comes next, as whom, and
//! what it sends; and what a run of it measured, per operation.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::Full;
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::bench::load::Measured;
use crate::bench::report::OpReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    HomeTimeline,
    UserTimeline,
    Compose,
}

impl Op {
    pub const ALL: [Op; 3] = [Op::HomeTimeline, Op::UserTimeline, Op::Compose];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Op::HomeTimeline => "home timeline: GET /api/v1/feed?limit=10",
            Op::UserTimeline => "user timeline: GET /api/v1/users/{id}/posts?limit=10",
            Op::Compose => "compose: POST /api/v1/posts",
        }
    }
}

/// Percentages (any weights, in fact) of home-timeline reads, user-timeline
/// reads and composes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    weights: [u32; 3],
}

impl Mix {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        anyhow::ensure!(
            parts.len() == 3,
            "--mix takes three weights (home,user,compose), e.g. 60,30,10; got {text:?}"
        );
        let mut weights = [0u32; 3];
        for (weight, part) in weights.iter_mut().zip(&parts) {
            *weight = part
                .parse()
                .map_err(|_| anyhow::anyhow!("--mix: {part:?} is not a whole number"))?;
        }
        anyhow::ensure!(
            weights.iter().map(|&w| u64::from(w)).sum::<u64>() > 0
                && weights.iter().map(|&w| u64::from(w)).sum::<u64>() <= u64::from(u32::MAX),
            "--mix weights must add up to more than 0"
        );
        Ok(Self { weights })
    }

    fn total(&self) -> u32 {
        self.weights.iter().sum()
    }

    /// The operation at `point` in `0..total`: the first weight's share of
    /// points, then the second's, then the third's.
    fn at(&self, point: u32) -> Op {
        let [home, user, _] = self.weights;
        if point < home {
            Op::HomeTimeline
        } else if point < home + user {
            Op::UserTimeline
        } else {
            Op::Compose
        }
    }

    pub fn choose(&self, rng: &mut impl Rng) -> Op {
        self.at(rng.random_range(0..self.total()))
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [h, u, c] = self.weights;
        write!(f, "{h},{u},{c}")
    }
}

/// A signed-up user as the load generator needs it.
pub struct Session {
    pub id: String,
    pub username: String,
    pub auth: HeaderValue,
}

/// Builds the mix's requests, each as a uniformly random user.
pub struct Workload {
    pub sessions: Arc<Vec<Session>>,
    pub mix: Mix,
    host: String,
}

impl Workload {
    pub fn new(sessions: Arc<Vec<Session>>, mix: Mix, host: String) -> Self {
        Self {
            sessions,
            mix,
            host,
        }
    }

    pub fn next(&self, rng: &mut impl Rng) -> (Op, Request<Full<Bytes>>) {
        let op = self.mix.choose(rng);
        (op, self.request(op, rng))
    }

    pub fn request(&self, op: Op, rng: &mut impl Rng) -> Request<Full<Bytes>> {
        let me = &self.sessions[rng.random_range(0..self.sessions.len())];
        let request = match op {
            Op::HomeTimeline => Request::get("/api/v1/feed?limit=10"),
            Op::UserTimeline => {
                let other = &self.sessions[rng.random_range(0..self.sessions.len())];
                Request::get(format!("/api/v1/users/{}/posts?limit=10", other.id))
            }
            Op::Compose => Request::post("/api/v1/posts")
                .header(http::header::CONTENT_TYPE, "application/json"),
        };
        let body = match op {
            Op::Compose => Bytes::from(compose_body(rng, self.sessions.len(), |i| {
                &self.sessions[i].username
            })),
            _ => Bytes::new(),
        };
        request
            .header(http::header::HOST, &self.host)
            .header(http::header::AUTHORIZATION, me.auth.clone())
            .body(Full::new(body))
            .unwrap_or_else(|e| unreachable!("a valid request: {e}"))
    }
}

/// A DeathStarBench post: 256 random characters, 1–6 mentions of random
/// users and 1–6 URLs of 64 random characters, public.
/// `username(i)` names user `i` of `users`.
pub fn compose_body<'a>(
    rng: &mut impl Rng,
    users: usize,
    username: impl Fn(usize) -> &'a str,
) -> String {
    let mut text = random_text(rng, 256);
    for _ in 0..rng.random_range(1..=6) {
        text.push_str(" @");
        text.push_str(username(rng.random_range(0..users)));
    }
    for _ in 0..rng.random_range(1..=6) {
        text.push_str(" http://");
        text.push_str(&random_text(rng, 64));
    }
    serde_json::json!({"content": text, "visibility": "public"}).to_string()
}

fn random_text(rng: &mut impl Rng, chars: usize) -> String {
    (0..chars)
        .map(|_| char::from(rng.sample(Alphanumeric)))
        .collect()
}

/// What a run of the mix measured, per operation.
#[derive(Debug, Clone)]
pub struct MixMeasured {
    pub ops: [Measured; 3],
}

impl Default for MixMeasured {
    fn default() -> Self {
        Self {
            ops: [Measured::empty(), Measured::empty(), Measured::empty()],
        }
    }
}

impl MixMeasured {
    /// One answer to an `op`, `ok` or not, after `latency`.
    pub fn record(&mut self, op: Op, ok: bool, latency: Duration) {
        let measured = &mut self.ops[op.index()];
        measured.requests += 1;
        if ok {
            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            measured.latency.saturating_record(micros.max(1));
        } else {
            measured.errors += 1;
        }
    }

    pub fn merge(&mut self, other: MixMeasured) {
        for (mine, theirs) in self.ops.iter_mut().zip(other.ops) {
            mine.merge(theirs);
        }
    }

    pub fn set_elapsed(&mut self, elapsed: Duration) {
        for op in &mut self.ops {
            op.elapsed = elapsed;
        }
    }

    pub fn total(&self) -> Measured {
        let mut total = Measured::empty();
        for op in &self.ops {
            total.merge(op.clone());
        }
        total.elapsed = self.ops[0].elapsed;
        total
    }

    /// One line per operation that ran, then the total.
    pub fn reports(&self, prefix: &str) -> Vec<OpReport> {
        let mut reports: Vec<OpReport> = Op::ALL
            .iter()
            .filter(|op| self.ops[op.index()].requests > 0)
            .map(|op| {
                OpReport::from_measured(&format!("{prefix}{}", op.label()), &self.ops[op.index()])
            })
            .collect();
        reports.push(OpReport::from_measured(
            &format!("{prefix}total"),
            &self.total(),
        ));
        reports
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn the_mix_parses_three_weights() -> anyhow::Result<()> {
        assert_eq!(Mix::parse("60,30,10")?.weights, [60, 30, 10]);
        assert_eq!(Mix::parse(" 1, 0 ,0")?.weights, [1, 0, 0]);
        assert_eq!(Mix::parse("60,30,10")?.to_string(), "60,30,10");
        for bad in [
            "60,30",
            "60,30,10,1",
            "a,b,c",
            "-1,30,10",
            "0,0,0",
            "",
            "4294967295,1,0",
        ] {
            assert!(Mix::parse(bad).is_err(), "{bad:?} was accepted");
        }
        Ok(())
    }

    #[test]
    fn each_operation_gets_exactly_its_share_of_points() -> anyhow::Result<()> {
        let mix = Mix::parse("60,30,10")?;
        let mut counts = [0; 3];
        for point in 0..mix.total() {
            counts[mix.at(point).index()] += 1;
        }
        assert_eq!(counts, [60, 30, 10]);
        let only_compose = Mix::parse("0,0,5")?;
        assert!((0..5).all(|p| only_compose.at(p) == Op::Compose));
        Ok(())
    }

    #[test]
    fn random_choices_follow_the_mix() -> anyhow::Result<()> {
        let mix = Mix::parse("60,30,10")?;
        let mut rng = StdRng::seed_from_u64(3);
        let mut counts = [0u32; 3];
        for _ in 0..100_000 {
            counts[mix.choose(&mut rng).index()] += 1;
        }
        for (count, expected) in counts.iter().zip([60_000.0, 30_000.0, 10_000.0]) {
            let off = (f64::from(*count) - expected).abs() / expected;
            assert!(off < 0.03, "{counts:?}");
        }
        Ok(())
    }

    #[test]
    fn a_composed_post_is_shaped_like_deathstarbench_s() -> anyhow::Result<()> {
        let names: Vec<String> = (0..10).map(|i| format!("user_{i}")).collect();
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..50 {
            let body = compose_body(&mut rng, names.len(), |i| &names[i]);
            let body: serde_json::Value = serde_json::from_str(&body)?;
            assert_eq!(body["visibility"], "public");
            let content = body["content"].as_str().unwrap_or_default();
            let words: Vec<&str> = content.split(' ').collect();
            assert_eq!(words[0].len(), 256);
            assert!(words[0].chars().all(|c| c.is_ascii_alphanumeric()));
            let mentions = words.iter().filter(|w| w.starts_with("@user_")).count();
            let urls: Vec<_> = words.iter().filter(|w| w.starts_with("http://")).collect();
            assert!((1..=6).contains(&mentions) && (1..=6).contains(&urls.len()));
            assert!(urls.iter().all(|u| u.len() == "http://".len() + 64));
            assert_eq!(words.len(), 1 + mentions + urls.len());
        }
        Ok(())
    }
}
