//! The feed's SQL, written once for SQLite and PostgreSQL (sqlx `Any`): its
//! replica of the graph ([`graph`]) and of the posts ([`posts`]).
//!
//! Writes take any executor (`&mut *tx` inside the consumer's transaction);
//! reads take the reader pool.

pub mod graph;
pub mod posts;

use chorus_core::Id;

fn ids(rows: Vec<(i64,)>) -> Vec<Id> {
    rows.into_iter().map(|(id,)| Id(id)).collect()
}

/// Stored booleans are 0 or 1 (SQLite has no boolean type).
fn flag(value: bool) -> i64 {
    i64::from(value)
}

#[cfg(test)]
mod tests;
