//! The posts service's SQL, written once for SQLite and PostgreSQL (sqlx `Any`).
//!
//! Single-row functions take any executor (a pool, or `&mut *tx` to join the
//! caller's transaction). Page reads take the reader pool and fetch a whole
//! page per query: `IN ($1, …)` lists, in chunks of [`IN_CHUNK`] ids, so a
//! page (or a `PostsApi` batch) of up to that many posts costs one query per
//! kind of data.

mod comments;
mod deletions;
mod media;
mod post_parts;
mod posts;
mod reactions;

pub use comments::*;
pub use deletions::*;
pub use media::*;
pub use post_parts::*;
pub use posts::*;
pub use reactions::*;

use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, FromRow};

/// Ids bound in one `IN (…)` list at most (both dialects allow far more:
/// SQLite 32,766 parameters, PostgreSQL 65,535).
pub const IN_CHUNK: usize = 1_000;

/// `$from, $from+1, …` for `count` values.
fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `sql(list)` per chunk of `ids`, where `list` holds the chunk's
/// placeholders; `leading` values are bound first (as `$1`, …).
async fn rows_in<O>(
    pool: &AnyPool,
    leading: &[i64],
    ids: &[i64],
    sql: impl Fn(&str) -> String,
) -> Result<Vec<O>, sqlx::Error>
where
    O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let mut rows = Vec::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let text = sql(&placeholders(leading.len() + 1, chunk.len()));
        let mut query = sqlx::query_as::<_, O>(AssertSqlSafe(text));
        for value in leading.iter().chain(chunk) {
            query = query.bind(*value);
        }
        rows.extend(query.fetch_all(pool).await?);
    }
    Ok(rows)
}

/// Is this error a foreign key violation (a row whose post was deleted meanwhile)?
pub fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_foreign_key_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_where_the_leading_ones_end() {
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(placeholders(2, 1), "$2");
    }
}
