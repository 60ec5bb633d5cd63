//! The notifications service's SQL, written once for SQLite and PostgreSQL
//! (sqlx `Any`): the notifications ([`notifications`]), who acted on each
//! ([`actors`]) and per-user preferences ([`preferences`]).
//!
//! Single statements take any executor: the reader pool, or `&mut *tx` to
//! take part in the caller's transaction.

pub mod actors;
pub mod notifications;
pub mod preferences;

/// Where a newest-first list stopped: the last row's `updated_at` and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub at: i64,
    pub id: i64,
}

impl Position {
    /// Before every row: the first page.
    pub const START: Position = Position {
        at: i64::MAX,
        id: i64::MAX,
    };
}

#[cfg(test)]
mod tests;
