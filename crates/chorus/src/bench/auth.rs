//! The auth scenario: how much the token check costs, and how close login
//! comes to the hashing it cannot avoid.
//!
//! - `GET /api/v1/auth/me` (token verified, revocation checked, identity
//!   signed and checked, user read) against `GET /health` (a bare route
//!   behind the same gateway layers), alternated twice so drift hits both.
//! - `POST /api/v1/auth/login` against raw argon2id hashing with the same
//!   parameters on as many threads as the server hashes on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;

use super::http::{best, get, phase, post_json, signup};
use super::report::{self, OpReport, Ratio, Report};

pub async fn run(
    addr: SocketAddr,
    duration: Duration,
    concurrency: usize,
) -> anyhow::Result<Report> {
    let username = format!("bench_{:x}", rand::random::<u32>());
    let password = "correct horse battery staple";
    let token = signup(addr, &username, password).await?.access_token;
    let host = addr.to_string();

    let hello = get(&host, "/health", None);
    let me = get(&host, "/api/v1/auth/me", Some(&token));
    phase(
        "warm-up",
        Duration::from_secs(2),
        concurrency,
        addr,
        me.clone(),
    )
    .await;

    let mut hello_runs = Vec::new();
    let mut me_runs = Vec::new();
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
        me_runs.push(
            phase(
                &format!("auth/me, round {round}"),
                duration,
                concurrency,
                addr,
                me.clone(),
            )
            .await,
        );
    }
    let hello = best(hello_runs);
    let me = best(me_runs);

    let login_body =
        serde_json::to_vec(&serde_json::json!({ "identifier": username, "password": password }))?;
    let login = post_json(&host, "/api/v1/auth/login", Bytes::from(login_body));
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let logins = phase("login", duration, cores * 4, addr, login).await;
    let hashing = raw_hashing(duration, cores).await?;

    let hello_report = OpReport::from_measured("GET /health (bare route)", &hello);
    let me_report = OpReport::from_measured("GET /api/v1/auth/me", &me);
    let login_report = OpReport::from_measured("POST /api/v1/auth/login", &logins);
    let hashing_report = OpReport::rate_only(
        &format!("raw argon2id hash, {cores} threads"),
        hashing.0,
        hashing.1,
    );
    let ratios = vec![
        Ratio {
            name: "me / bare route".into(),
            value: me_report.per_second / hello_report.per_second,
            target: "≥ 0.50, and me ≥ 25,000 req/s".into(),
        },
        Ratio {
            name: "login / raw argon2id".into(),
            value: login_report.per_second / hashing_report.per_second,
            target: "≥ 0.80".into(),
        },
    ];
    Ok(Report {
        scenario: "auth".into(),
        machine: report::machine(),
        command: String::new(),
        operations: vec![hello_report, me_report, login_report, hashing_report],
        ratios,
        ..Report::default()
    })
}

/// Hashes per second with the server's argon2id parameters on `threads` threads.
async fn raw_hashing(duration: Duration, threads: usize) -> anyhow::Result<(u64, f64)> {
    let params = chorus_auth::AuthConfig::default().argon2_params()?;
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let count = count.clone();
            let params = params.clone();
            tokio::task::spawn_blocking(move || {
                use argon2::password_hash::PasswordHasher;
                let argon = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    params,
                );
                while Instant::now() < deadline {
                    // A fresh random salt per hash, as a signup or password change does.
                    if argon.hash_password(b"correct horse battery staple").is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.context("a hashing thread failed")?;
    }
    Ok((
        count.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    ))
}
