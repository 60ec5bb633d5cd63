//! Helpers for Chorus tests.
//!
//! - [`servers`]: finds the real PostgreSQL, Redis, RabbitMQ and S3 a test may use,
//!   says what it skipped when one is unreachable, and refuses to skip when
//!   `CHORUS_REQUIRE_SERVERS=1` (as `.ci/run` sets).
//! - [`proxy`]: a TCP proxy a test can stop and start, to take a server "down".
//! - [`otlp`]: a fake OpenTelemetry collector that keeps the spans it is sent.

pub mod otlp;
pub mod proxy;
pub mod servers;

pub use proxy::TcpProxy;
pub use servers::{
    amqp_url, init_test_logs, postgres_url, redis_url, s3_url, s3_url_under, unique_namespace,
};
