//! Logs, metrics and the operational routes of every Chorus process.

pub mod logs;
pub mod metrics;
pub mod ops;

pub use logs::{LogFormat, init_logs};
pub use ops::{Readiness, ops_router};
