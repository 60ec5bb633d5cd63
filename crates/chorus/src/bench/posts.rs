//! The posts scenario: how fast posts are written and read through the
//! gateway, next to a bare route measured in the same run, and how many SQL
//! queries a GraphQL page of posts with their authors costs.
//!
//! - `POST /api/v1/posts` (validated, parsed, stored with its event; in
//!   `chorus up` it answers once the event is applied) and
//!   `GET /api/v1/posts/{id}` (visibility checked, hydrated) against
//!   `GET /health`, alternated twice so drift hits all three.
//! - `chorus_db_queries_total` (from `/metrics`) around single GraphQL
//!   requests for pages of 5 and of 20 posts: the count must not grow with
//!   the page.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use serde_json::json;

use super::http::{BenchUser, best, get, phase, send, send_json, signup};
use super::load::MakeRequest;
use super::report::{self, OpReport, Ratio, Report};

/// Posts created before the read phase, read in turn.
const SEEDED_POSTS: usize = 200;

pub async fn run(
    addr: SocketAddr,
    duration: Duration,
    concurrency: usize,
) -> anyhow::Result<Report> {
    let password = "correct horse battery staple";
    let tag = format!("{:x}", rand::random::<u32>());
    let author = signup(addr, &format!("bench_a{tag}"), password).await?;
    let reader = signup(addr, &format!("bench_r{tag}"), password).await?;
    let mut post_ids = Vec::with_capacity(SEEDED_POSTS);
    for n in 0..SEEDED_POSTS {
        let body = json!({"content": format!("seed post {n} #bench @bench_r{tag}"), "visibility": "public"});
        let post = send_json(
            addr,
            "POST",
            "/api/v1/posts",
            Some(&author.access_token),
            Some(&body),
            201,
        )
        .await?;
        post_ids.push(post["id"].as_str().context("a post id")?.to_string());
    }

    let host = addr.to_string();
    let hello = get(&host, "/health", None);
    let read = get_post(&host, &reader, Arc::new(post_ids));
    let write = create_post(&host, &author);
    phase(
        "warm-up",
        Duration::from_secs(2),
        concurrency,
        addr,
        read.clone(),
    )
    .await;

    let (mut hello_runs, mut read_runs, mut write_runs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=2 {
        hello_runs.push(
            phase(
                &format!("bare route, round {round}"),
                duration,
                concurrency,
                addr,
                hello.clone(),
            )
            .await,
        );
        read_runs.push(
            phase(
                &format!("get post, round {round}"),
                duration,
                concurrency,
                addr,
                read.clone(),
            )
            .await,
        );
        write_runs.push(
            phase(
                &format!("create post, round {round}"),
                duration,
                concurrency,
                addr,
                write.clone(),
            )
            .await,
        );
    }
    let hello = OpReport::from_measured("GET /health (bare route)", &best(hello_runs));
    let read = OpReport::from_measured("GET /api/v1/posts/{id}", &best(read_runs));
    let write = OpReport::from_measured("POST /api/v1/posts", &best(write_runs));

    let small = graphql_queries(addr, &author, 5).await?;
    let page = graphql_queries(addr, &author, 20).await?;
    let ratios = vec![
        Ratio {
            name: "get post / bare route".into(),
            value: read.per_second / hello.per_second,
            target: "≥ 0.30".into(),
        },
        Ratio {
            name: "create post / bare route".into(),
            value: write.per_second / hello.per_second,
            target: "≥ 0.05 (one SQLite writer)".into(),
        },
        Ratio {
            name: "SQL queries, GraphQL page of 20 posts with authors".into(),
            value: page as f64,
            target: format!("= a page of 5 ({small}): constant"),
        },
    ];
    Ok(Report {
        scenario: "posts".into(),
        machine: report::machine(),
        command: String::new(),
        operations: vec![hello, read, write],
        ratios,
        ..Report::default()
    })
}

fn get_post(host: &str, reader: &BenchUser, ids: Arc<Vec<String>>) -> MakeRequest {
    let host = host.to_string();
    let auth = format!("Bearer {}", reader.access_token);
    Arc::new(move |worker, n| {
        let id = &ids[(worker * 7_919 + n as usize) % ids.len()];
        Request::get(format!("/api/v1/posts/{id}"))
            .header(http::header::HOST, &host)
            .header(http::header::AUTHORIZATION, &auth)
            .body(Full::new(Bytes::new()))
            .unwrap_or_else(|e| unreachable!("a valid request: {e}"))
    })
}

fn create_post(host: &str, author: &BenchUser) -> MakeRequest {
    let host = host.to_string();
    let auth = format!("Bearer {}", author.access_token);
    Arc::new(move |worker, n| {
        let body = json!({
            "content": format!("bench post {worker}-{n} about #rust with @nobody_here"),
            "visibility": "public",
        });
        Request::post("/api/v1/posts")
            .header(http::header::HOST, &host)
            .header(http::header::AUTHORIZATION, &auth)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap_or_else(|e| unreachable!("a valid request: {e}"))
    })
}

/// The fewest SQL queries (all services of the process) seen around one
/// GraphQL request for a page of `first` posts with authors and counts.
/// Background work (outbox relays polling) can only add queries, so the
/// minimum over a few tries is the request's own cost.
async fn graphql_queries(addr: SocketAddr, author: &BenchUser, first: u32) -> anyhow::Result<u64> {
    let query = json!({
        "query": "query($id: ID!, $first: Int!) { userPosts(userId: $id, first: $first) { \
                  nodes { id content hashtags reactionCounts { kind count } commentCount \
                  author { id username displayName followersCount postsCount } } } }",
        "variables": {"id": author.id, "first": first},
    });
    let run = || {
        send_json(
            addr,
            "POST",
            "/graphql",
            Some(&author.access_token),
            Some(&query),
            200,
        )
    };
    let answer = run().await?;
    let nodes = answer["data"]["userPosts"]["nodes"]
        .as_array()
        .with_context(|| format!("GraphQL answered {answer}"))?;
    anyhow::ensure!(
        nodes.len() == first as usize,
        "expected {first} posts, got {}",
        nodes.len()
    );
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = db_queries(addr).await?;
        run().await?;
        let after = db_queries(addr).await?;
        fewest = fewest.min(after.saturating_sub(before));
    }
    Ok(fewest)
}

/// `chorus_db_queries_total` summed over its series, from `/metrics`.
async fn db_queries(addr: SocketAddr) -> anyhow::Result<u64> {
    let text = send(addr, "GET", "/metrics", None, Bytes::new(), 200).await?;
    let text = String::from_utf8_lossy(&text);
    let total: f64 = text
        .lines()
        .filter(|line| line.starts_with("chorus_db_queries_total"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    Ok(total as u64)
}
