//! Logs, metrics and the operational routes of every Chorus process.

pub mod logs;
pub mod metrics;
pub mod ops;
pub mod query_count;

pub use logs::{LogFormat, init_logs};
pub use ops::{Readiness, ops_router};
pub use query_count::{db_queries, install_query_counting, query_counting_layer};
