//! The counters a profile carries, moved in the transaction of the change
//! they count, and only when a row was really inserted or deleted.

use chorus_core::Id;
use sqlx::{Any, AnyConnection, Executor};

/// Moves the counters of one follow by `delta` (+1 or -1), in the same
/// transaction as the follow row. Rows are updated smaller id first, the order
/// every transaction here takes locks in.
pub async fn count_follow(
    conn: &mut AnyConnection,
    follower: Id,
    followee: Id,
    delta: i64,
) -> Result<(), sqlx::Error> {
    const FOLLOWING: &str =
        "UPDATE profiles SET following_count = following_count + $2 WHERE user_id = $1";
    const FOLLOWERS: &str =
        "UPDATE profiles SET followers_count = followers_count + $2 WHERE user_id = $1";
    let mut updates = [(follower, FOLLOWING), (followee, FOLLOWERS)];
    updates.sort_by_key(|(id, _)| *id);
    for (user_id, sql) in updates {
        sqlx::query(sql)
            .bind(user_id.as_i64())
            .bind(delta)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Moves `posts_count` by `delta`, never below zero.
pub async fn count_posts<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: Id,
    delta: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE profiles SET posts_count = CASE WHEN posts_count + $2 < 0 THEN 0 \
         ELSE posts_count + $2 END WHERE user_id = $1",
    )
    .bind(user_id.as_i64())
    .bind(delta)
    .execute(db)
    .await?;
    Ok(())
}
