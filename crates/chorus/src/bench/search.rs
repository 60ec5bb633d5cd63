//! The search scenario: queries per second and latency over an index of
//! many posts, and how soon a new post can be found.
//!
//! 1. A fresh `chorus up` signs up the authors and takes a few posts
//!    through the API, so the ordinary flow is exercised.
//! 2. It is stopped, its folder kept, and `--search-posts` synthetic posts
//!    are written straight into its posts database (SQLite), as the posts
//!    service stores them: snowflake ids over the last 30 days, words of a
//!    Zipf-distributed synthetic vocabulary, Zipf-distributed hashtags.
//! 3. `chorus reindex` rebuilds the search index from the databases, timed.
//! 4. `chorus up` starts again on the same folder; then popular queries
//!    (a fixed set, answered from the result cache after the first round),
//!    distinct queries (never the same twice: the index's own speed), and
//!    the lag from a post's `201` until a search finds it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use futures::StreamExt;
use http::Request;
use http_body_util::{BodyExt, Full};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

use super::Server;
use super::http::{BenchUser, phase, send_json, signup};
use super::load::{self, MakeRequest, Measured};
use super::report::{self, Fact, OpReport, Report};

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Search scenario (chorus bench search)")]
pub struct SearchArgs {
    /// Synthetic posts written straight into the posts database before the
    /// index is rebuilt.
    #[arg(long, default_value_t = 1_000_000)]
    pub search_posts: usize,
    /// Authors signed up through the API; the synthetic posts are theirs.
    #[arg(long, default_value_t = 200)]
    pub search_authors: usize,
    /// Posts whose index lag (`201` until a search finds them) is measured.
    #[arg(long, default_value_t = 30)]
    pub search_lag_posts: usize,
}

/// Words in the synthetic vocabulary, and hashtags.
const VOCABULARY: usize = 5_000;
const TAGS: usize = 1_000;
/// Skew of word and hashtag use: rank r is drawn in proportion to r^-ZIPF.
const ZIPF: f64 = 1.0;
/// Rows per transaction, and per INSERT statement.
const ROWS_PER_TRANSACTION: usize = 10_000;
const ROWS_PER_STATEMENT: usize = 1_000;
/// Posts created through the API before the seeding.
const API_POSTS: usize = 20;
/// The seeded posts' time span: the 30 days before the seeding.
const SPAN_MS: i64 = 30 * 24 * 3600 * 1000;
/// The node id in the seeded posts' ids (servers pick theirs at random).
const SEED_NODE: u16 = 1_023;
const LIMIT: usize = 20;
/// Distinct queries read back after the run, to tell what they find.
const DISTINCT_SAMPLE: u64 = 200;
const LAG_POLL: Duration = Duration::from_millis(5);
const LAG_TIMEOUT: Duration = Duration::from_secs(10);
const PASSWORD: &str = "correct horse battery staple";

/// The server settings this scenario needs: cheap signups and long-lived
/// tokens, as the social scenario's.
pub fn embedded_env() -> Vec<(String, String)> {
    super::social::embedded_env()
}

pub async fn run(
    server: Server,
    duration: Duration,
    concurrency: usize,
    args: &SearchArgs,
    seed: u64,
) -> anyhow::Result<Report> {
    anyhow::ensure!(
        args.search_authors >= 1,
        "--search-authors must be at least 1"
    );
    let env = server.env().to_vec();
    let words = Words::new(seed);

    // 1. Authors and a few real posts, through the API.
    let started = Instant::now();
    let authors = match authors_and_posts(server.addr, args.search_authors, &words, seed).await {
        Ok(authors) => authors,
        Err(error) => {
            server.stop().await;
            return Err(error);
        }
    };
    let signups = started.elapsed();
    eprintln!(
        "{} authors signed up and {API_POSTS} posts made through the API in {:.1} s",
        authors.len(),
        signups.as_secs_f64()
    );

    // 2–3. Seed the posts database and rebuild the index, server stopped.
    let dir = server.stop_keeping_data().await?;
    let offline = async {
        let author_ids = authors
            .iter()
            .map(|a| a.id.parse::<i64>().context("an author id"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let seeded = seed_posts(&dir, args.search_posts, &author_ids, &words, seed).await?;
        let reindexed = reindex(&dir, &env).await?;
        Ok::<_, anyhow::Error>((seeded, reindexed))
    };
    let (seeded, reindexed) = match offline.await {
        Ok(done) => done,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(error);
        }
    };

    // 4–6. Measured, on a server started again in the same folder.
    let server = match Server::embedded_in(dir.clone(), &env).await {
        Ok(server) => server,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(error.context("starting chorus up again after the reindex"));
        }
    };
    let result = measure(&server, duration, concurrency, args, &words, &authors, seed).await;
    let memory = server.memory();
    let index_bytes = dir_size(&dir.join("data").join("search"));
    server.stop().await;
    let measured = result?;

    let mut facts = vec![
        Fact::new("authors (signed up through the API)", authors.len() as u64),
        Fact::new("posts made through the API", API_POSTS as u64),
        Fact::new("posts seeded into posts.db", seeded.posts as u64),
        Fact::new("hashtag rows seeded", seeded.hashtag_rows as u64),
        Fact::new("seeding s", seeded.elapsed.as_secs_f64()),
        Fact::new(
            "seeding posts/s",
            seeded.posts as f64 / seeded.elapsed.as_secs_f64(),
        ),
        Fact::new("posts indexed (chorus reindex)", reindexed.posts),
        Fact::new("users indexed (chorus reindex)", reindexed.users),
        Fact::new("reindex s", reindexed.elapsed.as_secs_f64()),
        Fact::new(
            "reindex posts/s",
            reindexed.posts as f64 / reindexed.elapsed.as_secs_f64(),
        ),
        Fact::new("index size on disk MiB", index_bytes as f64 / 1_048_576.0),
        Fact::new("vocabulary (words, Zipf 1.0)", VOCABULARY as u64),
        Fact::new("hashtags (Zipf 1.0)", TAGS as u64),
        Fact::new("connections", concurrency as u64),
        Fact::new("results per query (limit)", LIMIT as u64),
    ];
    facts.extend(measured.facts);
    if let Some(memory) = memory {
        facts.push(Fact::new(
            "server RSS after the phases MiB",
            memory.rss_kib as f64 / 1024.0,
        ));
        facts.push(Fact::new(
            "server peak RSS MiB",
            memory.peak_kib as f64 / 1024.0,
        ));
    }
    Ok(Report {
        scenario: "search".into(),
        machine: report::machine(),
        command: String::new(),
        facts,
        operations: measured.operations,
        notes: measured.notes,
        ..Report::default()
    })
}

/// The synthetic vocabulary and hashtags, with Zipf samplers over them.
struct Words {
    words: Vec<String>,
    tags: Vec<String>,
    word_cdf: Vec<f64>,
    tag_cdf: Vec<f64>,
}

impl Words {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x005e_a4c4);
        let mut seen = std::collections::HashSet::new();
        let mut made = Vec::with_capacity(VOCABULARY + TAGS);
        // Consonant-vowel syllables: pronounceable, never English words the
        // analyzer would drop, and no trailing `e` for the stemmer to strip.
        const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
        const VOWELS: &[u8] = b"aiou";
        while made.len() < VOCABULARY + TAGS {
            let syllables = rng.random_range(2..=4);
            let mut word = String::new();
            for _ in 0..syllables {
                word.push(CONSONANTS[rng.random_range(0..CONSONANTS.len())] as char);
                word.push(VOWELS[rng.random_range(0..VOWELS.len())] as char);
            }
            if seen.insert(word.clone()) {
                made.push(word);
            }
        }
        let tags = made.split_off(VOCABULARY);
        Self {
            words: made,
            tags,
            word_cdf: zipf_cdf(VOCABULARY),
            tag_cdf: zipf_cdf(TAGS),
        }
    }

    fn word(&self, rng: &mut impl Rng) -> &str {
        &self.words[sample(&self.word_cdf, rng)]
    }

    fn tag(&self, rng: &mut impl Rng) -> &str {
        &self.tags[sample(&self.tag_cdf, rng)]
    }

    /// A post's text (8–30 words, then 0–2 hashtags as `#tag`) and its
    /// hashtags in order of appearance.
    fn post(&self, rng: &mut impl Rng) -> (String, Vec<String>) {
        let count = rng.random_range(8..=30);
        let mut text = String::with_capacity(count * 8);
        for n in 0..count {
            if n > 0 {
                text.push(' ');
            }
            text.push_str(self.word(rng));
        }
        let mut tags: Vec<String> = Vec::new();
        for _ in 0..rng.random_range(0..=2) {
            let tag = self.tag(rng);
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_string());
            }
        }
        for tag in &tags {
            text.push_str(" #");
            text.push_str(tag);
        }
        (text, tags)
    }
}

fn zipf_cdf(n: usize) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|rank| {
            total += (rank as f64).powf(-ZIPF);
            total
        })
        .collect()
}

fn sample(cdf: &[f64], rng: &mut impl Rng) -> usize {
    let total = cdf.last().copied().unwrap_or(1.0);
    let point = rng.random::<f64>() * total;
    cdf.partition_point(|&c| c < point).min(cdf.len() - 1)
}

/// Signs the authors up, then has a few of them post through the API.
async fn authors_and_posts(
    addr: SocketAddr,
    count: usize,
    words: &Words,
    seed: u64,
) -> anyhow::Result<Vec<BenchUser>> {
    let tag = format!("{:x}", rand::random::<u32>());
    let bar = bar(count as u64, "signing up authors");
    let authors: Vec<BenchUser> = futures::stream::iter(0..count)
        .map(|n| {
            let username = format!("s{tag}_{n}");
            let bar = bar.clone();
            async move {
                let user = signup(addr, &username, PASSWORD).await;
                bar.inc(1);
                user
            }
        })
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    bar.finish();
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1));
    for n in 0..API_POSTS {
        let author = &authors[n % authors.len()];
        let (text, _) = words.post(&mut rng);
        let body = serde_json::json!({"content": text, "visibility": "public"});
        send_json(
            addr,
            "POST",
            "/api/v1/posts",
            Some(&author.access_token),
            Some(&body),
            201,
        )
        .await
        .context("creating a post through the API")?;
    }
    Ok(authors)
}

fn bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:28} [{bar:30}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message.to_string());
    bar
}

struct Seeded {
    posts: usize,
    hashtag_rows: usize,
    elapsed: Duration,
}

/// Writes `count` synthetic posts into `<dir>/data/posts.db` as the posts
/// service stores them (rows of `posts` and of `post_hashtags`).
async fn seed_posts(
    dir: &Path,
    count: usize,
    authors: &[i64],
    words: &Words,
    seed: u64,
) -> anyhow::Result<Seeded> {
    let path = dir.join("data").join("posts.db");
    anyhow::ensure!(
        path.exists(),
        "{} does not exist: did chorus up keep the posts database elsewhere?",
        path.display()
    );
    let mut db = SqliteConnectOptions::new()
        .filename(&path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(2));
    let now_ms = chrono::Utc::now().timestamp_millis();
    let first_ms = now_ms - SPAN_MS;
    let step = SPAN_MS / count.max(1) as i64;
    let (mut last_ms, mut sequence) = (i64::MIN, 0i64);
    let mut hashtag_rows = 0;
    let bar = bar(count as u64, "seeding posts.db");
    let mut done = 0;
    while done < count {
        let batch = (count - done).min(ROWS_PER_TRANSACTION);
        let mut rows = Vec::with_capacity(batch);
        for n in done..done + batch {
            let base = first_ms + (n as i128 * SPAN_MS as i128 / count as i128) as i64;
            let ms = base
                + if step > 1 {
                    rng.random_range(0..step)
                } else {
                    0
                };
            let ms = ms.max(last_ms);
            if ms == last_ms {
                sequence += 1;
            } else {
                sequence = 0;
            }
            last_ms = ms;
            let id = chorus_core::Id::from_parts(ms, SEED_NODE, sequence)
                .context("too many posts in one millisecond")?
                .as_i64();
            let author = authors[rng.random_range(0..authors.len())];
            let visibility = match rng.random_range(0..100) {
                0..90 => "public",
                90..98 => "followers",
                _ => "private",
            };
            let (content, tags) = words.post(&mut rng);
            let created_at = ms * 1_000 + rng.random_range(0..1_000);
            rows.push((id, author, content, visibility, tags, created_at));
        }
        let mut tx = db.begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO posts (id, author_id, content, visibility, repost_of, hashtags, mentions, \
                 comment_count, repost_count, created_at, edited_at) VALUES ",
            );
            for n in 0..chunk.len() {
                if n > 0 {
                    sql.push(',');
                }
                sql.push_str("(?, ?, ?, ?, NULL, ?, '[]', 0, 0, ?, NULL)");
            }
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (id, author, content, visibility, tags, created_at) in chunk {
                query = query
                    .bind(*id)
                    .bind(*author)
                    .bind(content.as_str())
                    .bind(*visibility)
                    .bind(serde_json::to_string(tags)?)
                    .bind(*created_at);
            }
            query.execute(&mut *tx).await.context("inserting posts")?;
        }
        let tagged: Vec<(i64, &str)> = rows
            .iter()
            .flat_map(|(id, _, _, _, tags, _)| tags.iter().map(move |t| (*id, t.as_str())))
            .collect();
        for chunk in tagged.chunks(ROWS_PER_STATEMENT * 4) {
            let mut sql = String::from("INSERT INTO post_hashtags (post_id, tag) VALUES ");
            for n in 0..chunk.len() {
                if n > 0 {
                    sql.push(',');
                }
                sql.push_str("(?, ?)");
            }
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (id, tag) in chunk {
                query = query.bind(*id).bind(*tag);
            }
            query
                .execute(&mut *tx)
                .await
                .context("inserting post_hashtags")?;
        }
        tx.commit().await?;
        hashtag_rows += tagged.len();
        done += batch;
        bar.set_position(done as u64);
    }
    bar.finish();
    // A clean close checkpoints the write-ahead log into the database.
    db.close().await?;
    let elapsed = started.elapsed();
    eprintln!(
        "seeded {count} posts ({hashtag_rows} hashtag rows) in {:.1} s",
        elapsed.as_secs_f64()
    );
    Ok(Seeded {
        posts: count,
        hashtag_rows,
        elapsed,
    })
}

struct Reindexed {
    posts: u64,
    users: u64,
    elapsed: Duration,
}

/// Runs `chorus reindex` in `dir` as the server would be run, timed.
async fn reindex(dir: &Path, env: &[(String, String)]) -> anyhow::Result<Reindexed> {
    eprintln!("chorus reindex…");
    let started = Instant::now();
    let output = Server::command_in(dir, env)?
        .arg("reindex")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .context("running chorus reindex")?;
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "chorus reindex failed ({}): {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // "reindexed search slot 1: N posts, M users", one line per slot.
    let (mut posts, mut users) = (0, 0);
    for line in stdout.lines() {
        let Some((_, counts)) = line.split_once(": ") else {
            continue;
        };
        let numbers: Vec<u64> = counts
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        if let [p, u] = numbers[..] {
            posts += p;
            users += u;
        }
    }
    anyhow::ensure!(posts > 0, "chorus reindex indexed no posts: {stdout}");
    eprintln!(
        "reindexed {posts} posts and {users} users in {:.1} s",
        elapsed.as_secs_f64()
    );
    Ok(Reindexed {
        posts,
        users,
        elapsed,
    })
}

struct Measures {
    operations: Vec<OpReport>,
    facts: Vec<Fact>,
    notes: Vec<String>,
}

async fn measure(
    server: &Server,
    duration: Duration,
    concurrency: usize,
    args: &SearchArgs,
    words: &Words,
    authors: &[BenchUser],
    seed: u64,
) -> anyhow::Result<Measures> {
    let addr = server.addr;
    let host = addr.to_string();

    // A query that must find something before anything is measured.
    let sample = search_path(&words.words[0]);
    let (status, body) = get_once(addr, &sample, None)
        .await
        .with_context(|| format!("the check before measuring: GET {sample}"))?;
    anyhow::ensure!(
        status == 200,
        "GET {sample} answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let found: serde_json::Value = serde_json::from_slice(&body)?;
    let items = found["items"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(
        items > 0,
        "GET {sample} found nothing after the reindex: the index is empty or not served ({})",
        String::from_utf8_lossy(&body)
    );

    let popular = popular_queries(words, seed);
    let popular_paths: Arc<Vec<String>> =
        Arc::new(popular.iter().map(|q| search_path(q)).collect());
    let make_popular: MakeRequest = {
        let paths = popular_paths.clone();
        let host = host.clone();
        Arc::new(move |worker, n| {
            let k = n as usize * concurrency + worker;
            get_request(&host, &paths[k % paths.len()])
        })
    };
    let popular_run = phase("popular queries", duration, concurrency, addr, make_popular).await;

    let make_distinct: MakeRequest = {
        let vocabulary: Arc<Vec<String>> = Arc::new(words.words.clone());
        let host = host.clone();
        Arc::new(move |worker, n| {
            let k = n * concurrency as u64 + worker as u64;
            let query = distinct_query(&vocabulary, k, seed);
            get_request(&host, &search_path(&query))
        })
    };
    let distinct_run = phase(
        "distinct queries",
        duration,
        concurrency,
        addr,
        make_distinct.clone(),
    )
    .await;

    let mut notes = vec![
        format!(
            "Popular queries: {} fixed queries (single common words, two words, rare words, quoted \
             two-word phrases, #hashtags, a word with an -exclusion), anonymous, limit {LIMIT}, cycled \
             through by every connection; after the first round they come from the result cache.",
            popular.len()
        ),
        format!(
            "Distinct queries: two words each, never the same query twice (the first among the \
             500 most used words, the second any of the {VOCABULARY}), so the cache never answers; \
             anonymous, limit {LIMIT}."
        ),
        "Any answer other than 200 counts as an error.".to_string(),
        format!("The popular set: {}", popular.join(" · ")),
    ];
    for (name, run, path) in [
        ("popular queries", &popular_run, popular_paths[0].clone()),
        (
            "distinct queries",
            &distinct_run,
            search_path(&distinct_query(&words.words, u64::MAX / 2, seed)),
        ),
    ] {
        if run.errors > 0 {
            let (status, body) = get_once(addr, &path, None)
                .await
                .with_context(|| format!("{name}: GET {path} after the run"))?;
            notes.push(format!(
                "{name}: {} errors; GET {path} after the run answered {status}: {}",
                run.errors,
                String::from_utf8_lossy(&body)
            ));
        }
    }

    // What the distinct queries find, from a sample after the run (the load
    // generator does not read the answers).
    let (mut hits, mut items) = (0u64, 0u64);
    let mut sender = load::connect(addr)
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    for k in 0..DISTINCT_SAMPLE {
        let path = search_path(&distinct_query(&words.words, k * 7_919, seed));
        let (status, body) = exchange(&mut sender, &host, &path, None)
            .await
            .with_context(|| format!("sampling distinct queries: GET {path}"))?;
        if status == 200 {
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            let found = page["items"].as_array().map_or(0, Vec::len) as u64;
            hits += u64::from(found > 0);
            items += found;
        }
    }

    let lag = index_lag(addr, &authors[0], args.search_lag_posts, words, seed).await?;
    let mut facts = Vec::new();
    for (name, run) in [("popular", &popular_run), ("distinct", &distinct_run)] {
        facts.push(Fact::new(&format!("{name} queries max ms"), max_ms(run)));
    }
    facts.push(Fact::new(
        &format!("distinct queries finding ≥ 1 post (sample of {DISTINCT_SAMPLE})"),
        hits,
    ));
    facts.push(Fact::new(
        "distinct queries: posts per page, mean of the sample",
        items as f64 / DISTINCT_SAMPLE as f64,
    ));
    facts.push(Fact::new("index lag posts", lag.len() as u64));
    facts.push(Fact::new("index lag p50 ms", quantile_ms(&lag, 0.5)));
    facts.push(Fact::new("index lag p99 ms", quantile_ms(&lag, 0.99)));
    facts.push(Fact::new("index lag max ms", quantile_ms(&lag, 1.0)));
    let met = distinct_run.throughput() >= 2_000.0
        && distinct_run.errors == 0
        && distinct_run.latency.value_at_quantile(0.99) < 50_000;
    facts.push(Fact::new(
        "target: ≥ 2,000 distinct queries/s, p99 < 50 ms",
        if met { "met" } else { "not met" },
    ));
    notes.push(format!(
        "Index lag: {} posts, each with a word of its own, created by a signed-up author; from the \
         201 of `POST /api/v1/posts` until `GET /api/v1/search?q=<word>` (polled every {} ms by \
         the author) lists it.",
        lag.len(),
        LAG_POLL.as_millis()
    ));

    Ok(Measures {
        operations: vec![
            OpReport::from_measured(
                &format!("GET /api/v1/search, {} popular queries", popular.len()),
                &popular_run,
            ),
            OpReport::from_measured(
                "GET /api/v1/search, distinct two-word queries",
                &distinct_run,
            ),
        ],
        facts,
        notes,
    })
}

/// About 50 queries of the kinds people type, from the vocabulary's ranks.
fn popular_queries(words: &Words, seed: u64) -> Vec<String> {
    let w = |rank: usize| words.words[rank].as_str();
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(3));
    let mut queries = Vec::new();
    // Single common words.
    for rank in 0..10 {
        queries.push(w(rank).to_string());
    }
    // Two words, both among the 100 most used.
    for _ in 0..10 {
        let (a, b) = (rng.random_range(0..100), rng.random_range(0..100));
        queries.push(format!("{} {}", w(a), w((b + usize::from(a == b)) % 100)));
    }
    // Rare words.
    for _ in 0..8 {
        queries.push(w(rng.random_range(3_000..VOCABULARY)).to_string());
    }
    // Quoted two-word phrases of common words.
    for _ in 0..8 {
        let (a, b) = (rng.random_range(0..20), rng.random_range(0..20));
        queries.push(format!("\"{} {}\"", w(a), w(b)));
    }
    // Hashtags.
    for rank in 0..8 {
        queries.push(format!("#{}", words.tags[rank * 3]));
    }
    // A word with an exclusion.
    for _ in 0..6 {
        let (a, b) = (rng.random_range(0..50), rng.random_range(0..50));
        queries.push(format!("{} -{}", w(a), w((b + usize::from(a == b)) % 50)));
    }
    queries
}

/// The `k`-th distinct query: a pair (one of the 500 most used words, any
/// word) visited in a scrambled order that repeats only after 2,500,000.
fn distinct_query(vocabulary: &[String], k: u64, seed: u64) -> String {
    const FIRST: u64 = 500;
    let pairs = FIRST * vocabulary.len() as u64;
    // 1,000,003 is prime, so coprime with the count of pairs: a bijection.
    let index = (k.wrapping_add(seed) % pairs) * 1_000_003 % pairs;
    let a = (index / vocabulary.len() as u64) as usize;
    let mut b = (index % vocabulary.len() as u64) as usize;
    if a == b {
        b = (b + 1) % vocabulary.len();
    }
    format!("{} {}", vocabulary[a], vocabulary[b])
}

fn search_path(query: &str) -> String {
    format!(
        "/api/v1/search?q={}&type=posts&limit={LIMIT}",
        percent_encode(query)
    )
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn get_request(host: &str, path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header(http::header::HOST, host)
        .body(Full::new(Bytes::new()))
        .unwrap_or_else(|e| unreachable!("a valid request: {e}"))
}

/// One GET on a connection of its own: its status and body.
async fn get_once(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<(u16, Bytes)> {
    let mut sender = load::connect(addr)
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    exchange(&mut sender, &addr.to_string(), path, token).await
}

async fn exchange(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    host: &str,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<(u16, Bytes)> {
    let mut request = Request::get(path).header(http::header::HOST, host);
    if let Some(token) = token {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    // A kept-alive connection must be ready again before its next request.
    sender.ready().await?;
    let response = sender
        .send_request(request.body(Full::new(Bytes::new()))?)
        .await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// From each post's `201` until a search for its own word lists it.
async fn index_lag(
    addr: SocketAddr,
    author: &BenchUser,
    posts: usize,
    words: &Words,
    seed: u64,
) -> anyhow::Result<Vec<Duration>> {
    let host = addr.to_string();
    let mut sender = load::connect(addr)
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(4));
    let run = format!("{:x}", rand::random::<u32>());
    let mut lags = Vec::with_capacity(posts);
    for n in 0..posts {
        // Letters only, so the analyzer keeps it one term of its own.
        let word = format!("lagprobe{}{}", letters(&run), letters(&n.to_string()));
        let content = format!("{} {word} {}", words.word(&mut rng), words.word(&mut rng));
        let body = serde_json::json!({"content": content, "visibility": "public"});
        let created = send_json(
            addr,
            "POST",
            "/api/v1/posts",
            Some(&author.access_token),
            Some(&body),
            201,
        )
        .await
        .context("creating a post for the index lag")?;
        let acknowledged = Instant::now();
        let id = created["id"].as_str().context("a post id")?.to_string();
        let path = search_path(&word);
        loop {
            let (status, body) = exchange(&mut sender, &host, &path, Some(&author.access_token))
                .await
                .with_context(|| format!("index lag: GET {path}"))?;
            anyhow::ensure!(
                status == 200,
                "GET {path} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            let listed = page["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|item| item["id"] == id.as_str()));
            if listed {
                lags.push(acknowledged.elapsed());
                break;
            }
            anyhow::ensure!(
                acknowledged.elapsed() < LAG_TIMEOUT,
                "post {id} was not found by searching {word:?} within {} s",
                LAG_TIMEOUT.as_secs()
            );
            tokio::time::sleep(LAG_POLL).await;
        }
    }
    Ok(lags)
}

/// Hex or decimal digits spelled as letters (`0` → `a` …).
fn letters(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(16) {
            Some(d) => (b'a' + d as u8) as char,
            None => c,
        })
        .collect()
}

fn quantile_ms(values: &[Duration], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let index = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

fn max_ms(run: &Measured) -> f64 {
    run.latency.max() as f64 / 1000.0
}

/// Bytes in the files under `dir`, recursively.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => dir_size(&entry.path()),
            Ok(_) => entry.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}
