//! The real servers a test may use (PostgreSQL, Redis, RabbitMQ, an
//! S3-compatible store), found once per process.
//!
//! Each `*_url` function answers the server's URL if something listens at its
//! address, or `None` (after saying once on stderr what is skipped) so the test
//! can return early. With `CHORUS_REQUIRE_SERVERS=1`, as CI sets, an
//! unreachable server is a failure instead: a suite that silently skipped
//! everything would prove nothing.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Once, OnceLock};
use std::time::Duration;

use rand::Rng;
use rand::distr::Alphanumeric;

/// How long a server gets to accept a TCP connection before it counts as absent.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A server kind: what it is called, where to look for it, and its default.
struct Server {
    name: &'static str,
    env: &'static str,
    default_url: &'static str,
    default_port: u16,
}

const POSTGRES: Server = Server {
    name: "PostgreSQL",
    env: "CHORUS_TEST_POSTGRES_URL",
    default_url: "postgres://root@127.0.0.1:5432/test",
    default_port: 5432,
};

const REDIS: Server = Server {
    name: "Redis",
    env: "CHORUS_TEST_REDIS_URL",
    default_url: "redis://127.0.0.1:6379",
    default_port: 6379,
};

const RABBITMQ: Server = Server {
    name: "RabbitMQ",
    env: "CHORUS_TEST_AMQP_URL",
    default_url: "amqp://guest:guest@127.0.0.1:5672/%2f",
    default_port: 5672,
};

/// The bucket, endpoint and dev credentials of the SeaweedFS that
/// `scripts/services.sh` starts.
const S3: Server = Server {
    name: "S3",
    env: "CHORUS_TEST_S3_URL",
    default_url: "s3://chorus-test?endpoint=http://127.0.0.1:8333&access_key_id=chorus&secret_access_key=chorus-secret",
    default_port: 8333,
};

/// The PostgreSQL URL for tests, if a server answers there.
pub fn postgres_url() -> Option<String> {
    static FOUND: OnceLock<Option<String>> = OnceLock::new();
    FOUND.get_or_init(|| discover(&POSTGRES)).clone()
}

/// The Redis URL for tests, if a server answers there.
pub fn redis_url() -> Option<String> {
    static FOUND: OnceLock<Option<String>> = OnceLock::new();
    FOUND.get_or_init(|| discover(&REDIS)).clone()
}

/// The RabbitMQ (AMQP) URL for tests, if a server answers there.
pub fn amqp_url() -> Option<String> {
    static FOUND: OnceLock<Option<String>> = OnceLock::new();
    FOUND.get_or_init(|| discover(&RABBITMQ)).clone()
}

/// The `s3://bucket?endpoint=…` URL (an `infra.blobs_url`) for tests, if a
/// server answers at its endpoint. Tests put their objects under a prefix of
/// their own: see [`s3_url_under`].
pub fn s3_url() -> Option<String> {
    static FOUND: OnceLock<Option<String>> = OnceLock::new();
    FOUND.get_or_init(|| discover(&S3)).clone()
}

/// `url` with `prefix` added to its key prefix, so that one test's objects
/// never meet another's in the shared bucket.
pub fn s3_url_under(url: &str, prefix: &str) -> String {
    let (location, query) = url
        .split_once('?')
        .map_or((url, None), |(l, q)| (l, Some(q)));
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{prefix}{query}", location.trim_end_matches('/'))
}

fn discover(server: &Server) -> Option<String> {
    let url = std::env::var(server.env)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| server.default_url.to_string());
    // An S3 URL's host is its bucket: the server is its endpoint option.
    let addr = host_port(endpoint_option(&url).unwrap_or(&url), server.default_port);
    if reachable(&addr) {
        return Some(url);
    }
    if std::env::var("CHORUS_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
        panic!(
            "CHORUS_REQUIRE_SERVERS=1 but {} at {addr} is unreachable (set {} to point elsewhere)",
            server.name, server.env
        );
    }
    // Runs once per server per process: the answer is cached by the caller's OnceLock.
    eprintln!("skipped: {} tests (nothing at {addr})", server.name);
    None
}

/// `host:port` of a URL such as `scheme://user:pw@host:port/path?query`.
fn host_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    // A port is present if a colon follows the host (after any IPv6 brackets).
    let has_port = match host_port.rfind(']') {
        Some(bracket) => host_port[bracket..].contains(':'),
        None => host_port.contains(':'),
    };
    let host_port = if host_port.is_empty() {
        "127.0.0.1"
    } else {
        host_port
    };
    if has_port {
        host_port.to_string()
    } else {
        format!("{host_port}:{default_port}")
    }
}

/// The `endpoint=` option of a URL's query, if any.
fn endpoint_option(url: &str) -> Option<&str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("endpoint="))
}

fn reachable(addr: &str) -> bool {
    let Ok(addrs) = addr.to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, PROBE_TIMEOUT).is_ok())
}

/// A fresh name for one test's schema, key prefix or queue names:
/// `t_{prefix}_{10 random chars}`, lowercase letters, digits and underscores
/// only, so it is valid as a PostgreSQL schema, a Redis prefix and an AMQP name.
pub fn unique_namespace(prefix: &str) -> String {
    let prefix: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '_'
            }
        })
        // PostgreSQL truncates identifiers at 63 bytes: keep the random part whole.
        .take(40)
        .collect();
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(10)
        .map(|b| char::from(b).to_ascii_lowercase())
        .collect();
    format!("t_{prefix}_{random}")
}

/// Shows `tracing` output in tests when `TEST_LOG` is set (its value is the
/// filter, e.g. `TEST_LOG=chorus_ports=debug`; `1` or `true` mean `RUST_LOG`
/// or `info`). Safe to call from every test.
pub fn init_test_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let Ok(value) = std::env::var("TEST_LOG") else {
            return;
        };
        let filter = match value.as_str() {
            "" | "1" | "true" => std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            other => other.to_string(),
        };
        // Another subscriber may already be installed (by the test itself): keep it.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_are_read_from_urls() {
        assert_eq!(
            host_port("postgres://root@127.0.0.1:5432/test", 1),
            "127.0.0.1:5432"
        );
        assert_eq!(host_port("redis://127.0.0.1:6379", 1), "127.0.0.1:6379");
        assert_eq!(
            host_port("amqp://guest:guest@localhost:5672/%2f", 1),
            "localhost:5672"
        );
        assert_eq!(host_port("redis://cache", 6379), "cache:6379");
        assert_eq!(host_port("redis://[::1]/0", 6379), "[::1]:6379");
        assert_eq!(host_port("redis://[::1]:7000", 6379), "[::1]:7000");
        assert_eq!(host_port("redis://u:p@h:1?x=y", 6379), "h:1");
    }

    #[test]
    fn an_s3_server_is_found_at_its_endpoint_and_prefixes_nest() {
        let url = "s3://bucket?region=x&endpoint=http://127.0.0.1:8333";
        assert_eq!(endpoint_option(url), Some("http://127.0.0.1:8333"));
        assert_eq!(
            host_port(endpoint_option(url).expect("endpoint"), 1),
            "127.0.0.1:8333"
        );
        assert_eq!(endpoint_option("s3://bucket/p"), None);
        assert_eq!(
            s3_url_under(url, "t_a"),
            "s3://bucket/t_a?region=x&endpoint=http://127.0.0.1:8333"
        );
        assert_eq!(s3_url_under("s3://bucket/p/", "t_a"), "s3://bucket/p/t_a");
    }

    #[test]
    fn unique_namespaces_are_safe_names_and_differ() {
        let a = unique_namespace("Cache-Tests");
        let b = unique_namespace("Cache-Tests");
        assert_ne!(a, b);
        assert!(a.starts_with("t_cache_tests_"), "{a}");
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
            "{a}"
        );
        assert_eq!(a.len(), "t_cache_tests_".len() + 10);
    }

    #[test]
    fn logs_can_be_initialised_twice() {
        init_test_logs();
        init_test_logs();
    }
}
