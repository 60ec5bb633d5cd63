//! The chat service's SQL, written once for SQLite and PostgreSQL (sqlx `Any`).
//!
//! Single statements take any executor: a pool for reads, or `&mut *tx` to
//! take part in the caller's transaction.

pub mod calls;
pub mod conversations;
pub mod last_seen;
pub mod members;
pub mod messages;

#[cfg(test)]
mod tests;

/// Ids per statement in `IN (…)` lists: far below both dialects' bind limits.
pub const MAX_BATCH: usize = 500;

/// `$first, $first+1, …`: an `IN` list made of placeholders only, so the SQL
/// built from it carries no value.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod placeholder_tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 1), "$1");
    }
}
