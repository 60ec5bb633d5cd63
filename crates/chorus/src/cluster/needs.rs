//! What a cluster stands on, checked before anything starts: every server
//! it needs and nginx. Nothing is installed: what is missing is named, with
//! the command that provides it.

use std::time::Duration;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection, Executor};

use super::layout::Plan;
use super::nginx;

const SERVICES_SCRIPT: &str = "scripts/services.sh start (from the Chorus repository)";

/// Fails naming everything missing at once.
pub async fn check(plan: &Plan) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    if nginx::binary().is_none() {
        missing.push(
            "nginx, the front load balancer (Debian: apt-get install nginx-light)".to_string(),
        );
    }
    if let Err(error) = PgConnection::connect(&plan.postgres).await {
        missing.push(format!(
            "PostgreSQL at {} ({error}; {SERVICES_SCRIPT})",
            redact(&plan.postgres)
        ));
    }
    for (what, url, port) in [
        ("Redis", plan.redis.as_str(), 6379),
        ("RabbitMQ", plan.amqp.as_str(), 5672),
    ] {
        let addr = host_port(url, port);
        if !reachable(&addr).await {
            missing.push(format!("{what} at {addr} ({SERVICES_SCRIPT})"));
        }
    }
    if let Some(endpoint) = s3_endpoint(&plan.blobs) {
        let addr = host_port(endpoint, 80);
        if !reachable(&addr).await {
            missing.push(format!(
                "an S3 server at {addr} ({SERVICES_SCRIPT} runs SeaweedFS)"
            ));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the cluster cannot start; missing:\n  - {}",
        missing.join("\n  - ")
    )
}

/// Creates each service's database if it does not exist yet.
pub async fn create_databases(plan: &Plan, services: &[&str]) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(&plan.postgres).await?;
    for service in services {
        let name = plan.database(service);
        let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_optional(&mut admin)
            .await?;
        if exists.is_none() {
            admin
                .execute(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .await?;
        }
    }
    Ok(())
}

/// Drops the cluster's databases (`down --purge`).
pub async fn drop_databases(plan: &Plan, services: &[&str]) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(&plan.postgres).await?;
    for service in services {
        let name = plan.database(service);
        admin
            .execute(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .await?;
    }
    Ok(())
}

async fn reachable(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// `host:port` of a URL such as `redis://127.0.0.1:6379` or
/// `amqp://user:pass@host/%2f`.
pub fn host_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:{default_port}")
    }
}

/// An S3 URL's server (its `endpoint` option); `None` for local blobs.
fn s3_endpoint(blobs: &str) -> Option<&str> {
    let (_, query) = blobs.strip_prefix("s3://")?.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("endpoint="))
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let (userinfo, host) = rest.rsplit_once('@').unwrap_or(("", rest));
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_come_from_urls() {
        assert_eq!(host_port("redis://127.0.0.1:6379", 1), "127.0.0.1:6379");
        assert_eq!(
            host_port("amqp://guest:guest@rabbit/%2f", 5672),
            "rabbit:5672"
        );
        assert_eq!(
            s3_endpoint("s3://b/p?endpoint=http://127.0.0.1:8333&region=x"),
            Some("http://127.0.0.1:8333")
        );
        assert_eq!(s3_endpoint("local"), None);
        assert_eq!(
            redact("postgres://root:hunter2@db:5432/x"),
            "postgres://root@db:5432/x"
        );
    }
}
