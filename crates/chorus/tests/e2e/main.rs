//! End-to-end tests: the real `chorus` binary, started as a newcomer or an
//! operator would, driven over real HTTP. Every scenario declared with
//! `in_both_modes!` runs twice: on `chorus up`, and on the gateway and auth as
//! separate processes on PostgreSQL, Redis and RabbitMQ (skipped, and said
//! so, when those are unreachable, unless `CHORUS_REQUIRE_SERVERS=1`).

mod auth;
mod bad_input;
mod blocks;
mod chat;
mod chat_calls;
mod chat_client;
mod chat_instances;
mod chat_limits;
mod chat_notifications;
mod client;
mod cluster;
mod comments;
mod comments_stream;
mod concurrency;
mod distributed;
mod failover;
mod feed;
mod feed_cap;
mod feed_graph;
mod feed_ranking;
mod friends;
mod graph;
mod graphql;
mod graphql_feed;
mod harness;
mod media;
mod notifications;
mod operations;
mod posts;
mod profiles;
mod python_clients;
mod reactions;
mod search;
mod social;
mod social_bad_input;
mod social_openapi;
mod tracing;
mod visibility;
mod wrk2;

/// Declares one `#[tokio::test]` per mode for each scenario `fn(&Chorus)`.
#[macro_export]
macro_rules! in_both_modes {
    ($($scenario:ident),* $(,)?) => {
        $crate::in_both_modes_with!(&[]; $($scenario),*);
    };
}

/// As `in_both_modes!`, on deployments whose every process also gets the
/// environment variables `$env` (a `&[(&str, &str)]`), e.g.
/// `in_both_modes_with!(&[("CHORUS_FEED__TIMELINE_CAP", "20")]; scenario)`.
#[macro_export]
macro_rules! in_both_modes_with {
    ($env:expr; $($scenario:ident),* $(,)?) => {
        /// The extra environment of this file's deployments.
        const DEPLOYMENT_ENV: &[(&str, &str)] = $env;
        mod embedded {
            $(
                #[tokio::test]
                async fn $scenario() {
                    chorus_testkit::init_test_logs();
                    let app = $crate::harness::Chorus::start_with($crate::harness::Mode::Embedded, super::DEPLOYMENT_ENV)
                        .await
                        .expect("embedded mode needs nothing");
                    super::$scenario(&app).await;
                }
            )*
        }
        mod distributed {
            $(
                #[tokio::test]
                async fn $scenario() {
                    chorus_testkit::init_test_logs();
                    let Some(app) = $crate::harness::Chorus::start_with($crate::harness::Mode::Distributed, super::DEPLOYMENT_ENV).await else {
                        return;
                    };
                    super::$scenario(&app).await;
                }
            )*
        }
    };
}
