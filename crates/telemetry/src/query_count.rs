//! Counts the SQL statements a process runs, from the `sqlx::query` events
//! sqlx logs after each one (at DEBUG, or WARN when slow), so that a test or
//! a dashboard can tell whether a page costs a constant number of queries.
//!
//! The count lands in two places: the Prometheus counter
//! `chorus_db_queries_total`, and a process-wide [`AtomicU64`] read by
//! [`db_queries`] (tests take the difference before and after).
//!
//! SQLite runs statements on a worker thread per connection, so its events
//! reach only the *global* subscriber: install the layer with
//! [`crate::init_logs`] or [`install_query_counting`], not with a
//! thread-local `set_default`, when SQLite is in play.

use std::sync::atomic::{AtomicU64, Ordering};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{Filtered, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The target sqlx logs each executed statement under.
pub const SQLX_QUERY_TARGET: &str = "sqlx::query";

/// The Prometheus counter of executed statements.
pub const DB_QUERIES_METRIC: &str = "chorus_db_queries_total";

static DB_QUERIES: AtomicU64 = AtomicU64::new(0);

/// Statements executed by this process so far (once a counting layer is installed).
pub fn db_queries() -> u64 {
    DB_QUERIES.load(Ordering::Relaxed)
}

/// The layer that counts `sqlx::query` events; use it through
/// [`query_counting_layer`], which carries the filter that lets those events through.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryCounter;

impl<S: Subscriber> Layer<S> for QueryCounter {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        // The filter matches by prefix (`sqlx::query_builder` too): count only the exact target.
        if event.metadata().target() == SQLX_QUERY_TARGET {
            DB_QUERIES.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(DB_QUERIES_METRIC).increment(1);
        }
    }
}

/// The counting layer with its own filter (`sqlx::query=debug`): it enables
/// those events for itself only, so the other layers' filters (the log
/// output) stay as configured.
pub fn query_counting_layer<S>() -> Filtered<QueryCounter, Targets, S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    QueryCounter.with_filter(Targets::new().with_target(SQLX_QUERY_TARGET, Level::DEBUG))
}

/// Installs a global subscriber that only counts queries, for tests that do
/// not call [`crate::init_logs`]. Returns false when a global subscriber was
/// already installed (which counts only if it came from `init_logs`).
pub fn install_query_counting() -> bool {
    tracing_subscriber::registry()
        .with(query_counting_layer())
        .try_init()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::LogFormat;

    /// Collects what the log layer writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
        }
    }

    #[test]
    fn query_events_are_counted_but_not_logged_below_the_output_filter() {
        let output = Captured::default();
        let writer = output.clone();
        let subscriber =
            crate::logs::subscriber(LogFormat::Text, "info", move || writer.clone(), false);
        tracing::subscriber::with_default(subscriber, || {
            let before = db_queries();
            tracing::debug!(target: "sqlx::query", summary = "select 1", "");
            tracing::warn!(target: "sqlx::query", "slow statement");
            tracing::debug!(target: "sqlx::query_builder", "not a statement");
            tracing::debug!(target: "chorus", "hidden by the output filter");
            tracing::info!(target: "chorus", "shown");
            assert_eq!(db_queries() - before, 2, "one per statement event");
        });
        let logged = output.text();
        assert!(logged.contains("shown"), "{logged}");
        assert!(
            logged.contains("slow statement"),
            "warn passes info: {logged}"
        );
        assert!(!logged.contains("select 1"), "debug stays out: {logged}");
        assert!(!logged.contains("hidden by"), "{logged}");
    }
}
