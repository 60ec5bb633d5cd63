//! Logs, metrics, traces and the operational routes of every Chorus process.

pub mod logs;
pub mod metrics;
pub mod ops;
pub mod otlp;
pub mod query_count;
pub mod serve_span;
pub mod trace_context;

pub use logs::{LogFormat, init_logs};
pub use ops::{Readiness, ops_router};
pub use query_count::{db_queries, install_query_counting, query_counting_layer};
pub use serve_span::ServeSpanLayer;
pub use trace_context::{current_traceparent, set_parent_from};
