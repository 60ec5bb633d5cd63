//! The users service's SQL, written once for SQLite and PostgreSQL (sqlx `Any`).
//!
//! Single statements take any executor: a pool for reads, or `&mut *tx` to
//! take part in the caller's transaction. Functions of several statements take
//! the transaction's connection.

pub mod blocks;
pub mod counts;
pub mod follow_requests;
pub mod follows;
pub mod friends;
pub mod media;
pub mod profiles;
pub mod relations;

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

/// Where a newest-first list stopped: the last row's time and id. The first
/// page starts after `(i64::MAX, i64::MAX)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub at: i64,
    pub id: i64,
}

impl Position {
    pub const START: Position = Position {
        at: i64::MAX,
        id: i64::MAX,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 1), "$1");
    }
}
