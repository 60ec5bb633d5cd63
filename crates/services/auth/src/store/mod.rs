//! The auth service's SQL, written once for SQLite and PostgreSQL (sqlx `Any`).
//!
//! Every function takes any executor: a pool for single statements, or
//! `&mut *tx` to take part in the caller's transaction.

mod refresh_tokens;
mod sessions;
mod users;

pub use refresh_tokens::*;
pub use sessions::*;
pub use users::*;
