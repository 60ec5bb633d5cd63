//! Everything that ties a viewer to a set of accounts, or many viewers each
//! to their own accounts, in one query.

use std::collections::HashMap;

use chorus_core::Id;
use chorus_ports::Dialect;
use sqlx::{Any, AssertSqlSafe, Executor};

use super::placeholders;

/// How a viewer stands with one other account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ties {
    pub following: bool,
    pub followed_by: bool,
    pub follow_requested: bool,
    pub friends: bool,
    pub friend_request_sent: bool,
    pub friend_request_received: bool,
    /// The viewer blocks them.
    pub blocking: bool,
    /// They block the viewer.
    pub blocked_by: bool,
}

impl Ties {
    /// A block either way: each is hidden from the other.
    pub fn hidden(&self) -> bool {
        self.blocking || self.blocked_by
    }

    fn set(&mut self, kind: i64) {
        match kind {
            1 => self.following = true,
            2 => self.followed_by = true,
            3 => self.follow_requested = true,
            4 => self.friends = true,
            5 => self.friend_request_sent = true,
            6 => self.friend_request_received = true,
            7 => self.blocking = true,
            _ => self.blocked_by = true,
        }
    }
}

/// One branch per kind of tie; `{list}` is the targets' placeholders, `$1` the viewer.
const BRANCHES: &[&str] = &[
    "SELECT CAST(1 AS BIGINT), followee_id FROM follows WHERE follower_id = $1 AND followee_id IN ({list})",
    "SELECT CAST(2 AS BIGINT), follower_id FROM follows WHERE followee_id = $1 AND follower_id IN ({list})",
    "SELECT CAST(3 AS BIGINT), followee_id FROM follow_requests WHERE follower_id = $1 AND followee_id IN ({list})",
    "SELECT CAST(4 AS BIGINT), user_b FROM friendships WHERE user_a = $1 AND user_b IN ({list})",
    "SELECT CAST(4 AS BIGINT), user_a FROM friendships WHERE user_b = $1 AND user_a IN ({list})",
    "SELECT CAST(5 AS BIGINT), to_id FROM friend_requests WHERE from_id = $1 AND to_id IN ({list})",
    "SELECT CAST(6 AS BIGINT), from_id FROM friend_requests WHERE to_id = $1 AND from_id IN ({list})",
    "SELECT CAST(7 AS BIGINT), blocked_id FROM blocks WHERE blocker_id = $1 AND blocked_id IN ({list})",
    "SELECT CAST(8 AS BIGINT), blocker_id FROM blocks WHERE blocked_id = $1 AND blocker_id IN ({list})",
];

/// The ties of `viewer` with each of `targets` (at most [`super::MAX_BATCH`]);
/// targets with none are absent.
pub async fn ties<'e>(
    db: impl Executor<'e, Database = Any>,
    viewer: Id,
    targets: &[Id],
) -> Result<HashMap<Id, Ties>, sqlx::Error> {
    let mut ties: HashMap<Id, Ties> = HashMap::new();
    if targets.is_empty() {
        return Ok(ties);
    }
    let list = placeholders(2, targets.len());
    let sql = BRANCHES
        .iter()
        .map(|branch| branch.replace("{list}", &list))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let mut query = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql)).bind(viewer.as_i64());
    for target in targets {
        query = query.bind(target.as_i64());
    }
    for (kind, other) in query.fetch_all(db).await? {
        ties.entry(Id(other)).or_default().set(kind);
    }
    Ok(ties)
}

/// The pairs of one statement, `(viewer, target)`: named columns, written once
/// and read by every branch.
const PAIRS: &str = "WITH p (viewer, target) AS (VALUES {values})";

/// One branch per kind of tie [`ties_among`] answers, each an equality join on
/// a table's whole primary key, so each pair can be one index probe. A
/// friendship is stored once, the smaller id in `user_a`: either order may match.
const PAIR_BRANCHES: &[&str] = &[
    "SELECT CAST(1 AS BIGINT), p.viewer, p.target FROM p \
     JOIN follows t ON t.follower_id = p.viewer AND t.followee_id = p.target",
    "SELECT CAST(4 AS BIGINT), p.viewer, p.target FROM p \
     JOIN friendships t ON t.user_a = p.viewer AND t.user_b = p.target",
    "SELECT CAST(4 AS BIGINT), p.viewer, p.target FROM p \
     JOIN friendships t ON t.user_a = p.target AND t.user_b = p.viewer",
    "SELECT CAST(7 AS BIGINT), p.viewer, p.target FROM p \
     JOIN blocks t ON t.blocker_id = p.viewer AND t.blocked_id = p.target",
    "SELECT CAST(8 AS BIGINT), p.viewer, p.target FROM p \
     JOIN blocks t ON t.blocker_id = p.target AND t.blocked_id = p.viewer",
];

/// For each `(viewer, target)` of `pairs` (at most [`super::MAX_BATCH`]; a
/// duplicate only repeats rows), whether the viewer follows the target, whether they
/// are friends, and blocks either way; the other ties are left unset. Pairs
/// with none of these are absent.
pub async fn ties_among<'e>(
    db: impl Executor<'e, Database = Any>,
    dialect: Dialect,
    pairs: &[(Id, Id)],
) -> Result<HashMap<(Id, Id), Ties>, sqlx::Error> {
    let mut ties: HashMap<(Id, Id), Ties> = HashMap::new();
    if pairs.is_empty() {
        return Ok(ties);
    }
    let values = dialect.value_rows(1, pairs.len(), 2);
    let sql = format!(
        "{} {}",
        PAIRS.replace("{values}", &values),
        PAIR_BRANCHES.join(" UNION ALL ")
    );
    let mut query = sqlx::query_as::<_, (i64, i64, i64)>(AssertSqlSafe(sql));
    for (viewer, target) in pairs {
        query = query.bind(viewer.as_i64()).bind(target.as_i64());
    }
    for (kind, viewer, target) in query.fetch_all(db).await? {
        ties.entry((Id(viewer), Id(target))).or_default().set(kind);
    }
    Ok(ties)
}
