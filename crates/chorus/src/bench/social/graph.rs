//! The follow graphs the social scenario sets up: the Reed98 Facebook graph
//! DeathStarBench uses, or a synthetic power-law graph with a celebrity.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Users `0..users`; `follows` holds (follower, followee) pairs, no self-follows,
/// no duplicates.
#[derive(Debug, Clone)]
pub struct Graph {
    pub name: String,
    pub users: usize,
    pub follows: Vec<(u32, u32)>,
    /// The account every other user follows, if the graph has one.
    pub celebrity: Option<u32>,
}

impl Graph {
    /// Each user's followers.
    pub fn followers(&self) -> Vec<Vec<u32>> {
        let mut followers = vec![Vec::new(); self.users];
        for &(follower, followee) in &self.follows {
            followers[followee as usize].push(follower);
        }
        followers
    }
}

/// Where `--edges` is looked for when not given: relative to the working
/// folder, as the issue states it, then relative to the repository.
pub fn default_edges() -> PathBuf {
    let relative = PathBuf::from("../shared/data/socfb-Reed98.edges");
    if relative.exists() {
        return relative;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/socfb-Reed98.edges")
}

/// Reads an undirected edge list (`a b` per line, 0-based ids; `%` and `#`
/// start comments) and makes each friendship a follow in both directions.
pub fn reed98(path: &Path) -> anyhow::Result<Graph> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the edge list {}", path.display()))?;
    let mut graph = undirected(&text).with_context(|| format!("in {}", path.display()))?;
    graph.name = format!(
        "reed98 ({})",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    Ok(graph)
}

fn undirected(text: &str) -> anyhow::Result<Graph> {
    let mut seen = HashSet::new();
    let mut follows = Vec::new();
    let mut users = 0usize;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('%') || line.starts_with('#') {
            continue;
        }
        let mut ids = line.split_whitespace().map(str::parse::<u32>);
        let (Some(Ok(a)), Some(Ok(b))) = (ids.next(), ids.next()) else {
            anyhow::bail!("line {}: expected two user ids, got {line:?}", number + 1);
        };
        if a == b || !seen.insert((a.min(b), a.max(b))) {
            continue;
        }
        users = users.max(a.max(b) as usize + 1);
        follows.push((a, b));
        follows.push((b, a));
    }
    anyhow::ensure!(!follows.is_empty(), "no edges");
    Ok(Graph {
        name: "edge list".into(),
        users,
        follows,
        celebrity: None,
    })
}

/// A synthetic graph of `users` accounts: user 0 is a celebrity every other
/// user follows; besides, each user follows on average `avg_follows` others
/// (geometric out-degree, at least 1), picked with probability proportional
/// to a Zipf weight `rank^-exponent` over a random ranking, which makes
/// in-degrees heavy-tailed as in real follow graphs.
pub fn powerlaw(users: usize, avg_follows: f64, exponent: f64, seed: u64) -> anyhow::Result<Graph> {
    anyhow::ensure!(
        (3..=u32::MAX as usize).contains(&users),
        "--users must be at least 3"
    );
    anyhow::ensure!(
        avg_follows >= 1.0,
        "--avg-follows must be at least 1, got {avg_follows}"
    );
    anyhow::ensure!(
        exponent.is_finite() && exponent >= 0.0,
        "--zipf must be a non-negative number"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    // Ranks over the ordinary users 1..users; the celebrity is followed anyway.
    let mut ranked: Vec<u32> = (1..users as u32).collect();
    ranked.shuffle(&mut rng);
    let mut cumulative = Vec::with_capacity(ranked.len());
    let mut sum = 0.0;
    for rank in 1..=ranked.len() {
        sum += (rank as f64).powf(-exponent);
        cumulative.push(sum);
    }
    let pick = |rng: &mut StdRng| {
        let x = rng.random::<f64>() * sum;
        let rank = cumulative.partition_point(|&c| c < x).min(ranked.len() - 1);
        ranked[rank]
    };

    let most = users - 2; // everyone but oneself and the celebrity
    let mut follows = Vec::with_capacity((users as f64 * (avg_follows + 1.0)) as usize);
    let mut chosen = HashSet::new();
    for user in 1..users as u32 {
        follows.push((user, 0));
        let degree = geometric(&mut rng, avg_follows).min(most);
        chosen.clear();
        // A very skewed ranking makes distinct picks scarce: give up after a while.
        let mut attempts = 0;
        while chosen.len() < degree && attempts < 50 * degree + 100 {
            attempts += 1;
            let followee = pick(&mut rng);
            if followee != user && chosen.insert(followee) {
                follows.push((user, followee));
            }
        }
    }
    Ok(Graph {
        name: format!("powerlaw (avg {avg_follows} follows, zipf {exponent}, seed {seed})"),
        users,
        follows,
        celebrity: Some(0),
    })
}

/// A draw from the geometric distribution on 1, 2, … with the given mean.
fn geometric(rng: &mut StdRng, mean: f64) -> usize {
    if mean <= 1.0 {
        return 1;
    }
    let p = 1.0 / mean;
    // 1 - random() lies in (0, 1], so the logarithm is finite.
    let u = 1.0 - rng.random::<f64>();
    1 + (u.ln() / (1.0 - p).ln()).floor() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_degrees(graph: &Graph) -> Vec<usize> {
        graph.followers().iter().map(Vec::len).collect()
    }

    fn assert_simple(graph: &Graph) {
        let unique: HashSet<_> = graph.follows.iter().collect();
        assert_eq!(unique.len(), graph.follows.len(), "duplicate follows");
        assert!(graph.follows.iter().all(|(a, b)| a != b), "self-follows");
        assert!(
            graph
                .follows
                .iter()
                .all(|&(a, b)| (a as usize) < graph.users && (b as usize) < graph.users)
        );
    }

    #[test]
    fn an_edge_list_becomes_follows_both_ways() -> anyhow::Result<()> {
        let graph = undirected("% comment\n1 0\n2 0\n\n2 1\n1 2\n")?;
        assert_eq!(graph.users, 3);
        assert_eq!(graph.follows.len(), 6, "a repeated friendship counts once");
        assert_simple(&graph);
        assert!(undirected("1 x\n").is_err());
        assert!(undirected("").is_err());
        Ok(())
    }

    #[test]
    fn reed98_has_962_users_and_37624_follows() -> anyhow::Result<()> {
        let path = default_edges();
        if !path.exists() {
            eprintln!("skipping: {} is not here", path.display());
            return Ok(());
        }
        let graph = reed98(&path)?;
        assert_eq!(graph.users, 962);
        assert_eq!(graph.follows.len(), 37_624);
        assert_simple(&graph);
        let degrees = in_degrees(&graph);
        assert_eq!(degrees.iter().min(), Some(&1));
        assert_eq!(degrees.iter().max(), Some(&313));
        Ok(())
    }

    #[test]
    fn powerlaw_everyone_follows_the_celebrity() -> anyhow::Result<()> {
        let graph = powerlaw(5_000, 5.0, 0.8, 7)?;
        assert_simple(&graph);
        assert_eq!(graph.celebrity, Some(0));
        let followers = graph.followers();
        assert_eq!(followers[0].len(), 4_999);
        let out = graph.follows.len() as f64 / 4_999.0 - 1.0;
        assert!((4.5..5.5).contains(&out), "average follows {out}");
        Ok(())
    }

    #[test]
    fn powerlaw_in_degrees_are_heavy_tailed() -> anyhow::Result<()> {
        let graph = powerlaw(20_000, 5.0, 0.8, 1)?;
        let mut degrees = in_degrees(&graph);
        degrees.remove(0);
        degrees.sort_unstable_by(|a, b| b.cmp(a));
        let total: usize = degrees.iter().sum();
        let mean = total as f64 / degrees.len() as f64;
        assert!(
            degrees[0] as f64 > 50.0 * mean,
            "max {} vs mean {mean}",
            degrees[0]
        );
        let top: usize = degrees[..degrees.len() / 100].iter().sum();
        assert!(
            top as f64 > 0.15 * total as f64,
            "the top 1% hold {top} of {total}"
        );
        let median = degrees[degrees.len() / 2];
        assert!((median as f64) < mean, "median {median} vs mean {mean}");
        Ok(())
    }

    #[test]
    fn powerlaw_is_deterministic_with_a_seed() -> anyhow::Result<()> {
        let a = powerlaw(2_000, 5.0, 0.8, 42)?;
        let b = powerlaw(2_000, 5.0, 0.8, 42)?;
        let c = powerlaw(2_000, 5.0, 0.8, 43)?;
        assert_eq!(a.follows, b.follows);
        assert_ne!(a.follows, c.follows);
        Ok(())
    }

    #[test]
    fn powerlaw_refuses_bad_settings() {
        assert!(powerlaw(2, 5.0, 0.8, 0).is_err());
        assert!(powerlaw(100, 0.5, 0.8, 0).is_err());
        assert!(powerlaw(100, 5.0, f64::NAN, 0).is_err());
    }
}
