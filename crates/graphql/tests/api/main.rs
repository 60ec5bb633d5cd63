//! The GraphQL API over the real posts service (SQLite) and a fake users
//! service, driven through its router as the gateway would. One binary, a
//! module per subject. `TEST_LOG=1` shows the logs.
//!
//! The query-count measurement lives in its own binary (`tests/query_count.rs`):
//! it reads a process-wide counter that these tests would disturb.

#[path = "../support/mod.rs"]
mod support;

mod interactions;
mod limits;
mod mutations;
mod pagination;
mod queries;
