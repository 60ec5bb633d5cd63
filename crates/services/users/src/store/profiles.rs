//! Profiles and the counters they carry.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor};

use super::placeholders;

/// A profile as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRecord {
    pub user_id: Id,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_media_id: Option<Id>,
    /// The avatar media's URL, kept beside its id.
    pub avatar_url: Option<String>,
    pub is_private: bool,
    pub followers_count: i64,
    pub following_count: i64,
    pub posts_count: i64,
    pub created_at: Timestamp,
}

type ProfileRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
);

impl From<ProfileRow> for ProfileRecord {
    fn from(row: ProfileRow) -> Self {
        let (
            user_id,
            username,
            display_name,
            bio,
            avatar,
            avatar_url,
            private,
            followers,
            following,
            posts,
            at,
        ) = row;
        Self {
            user_id: Id(user_id),
            username,
            display_name,
            bio,
            avatar_media_id: avatar.map(Id),
            avatar_url,
            is_private: private != 0,
            followers_count: followers,
            following_count: following,
            posts_count: posts,
            created_at: from_micros(at),
        }
    }
}

/// The columns of [`ProfileRow`], in order.
macro_rules! profile_columns {
    () => {
        "user_id, username, display_name, bio, avatar_media_id, avatar_url, is_private, \
         followers_count, following_count, posts_count, created_at"
    };
}

pub struct NewProfile<'a> {
    pub user_id: Id,
    pub username: &'a str,
    pub display_name: &'a str,
    pub created_at: Timestamp,
}

/// Creates the profile unless it exists (a redelivered `user.registered`).
pub async fn insert_if_absent<'e>(
    db: impl Executor<'e, Database = Any>,
    profile: &NewProfile<'_>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO profiles (user_id, username, display_name, bio, created_at, updated_at) \
         VALUES ($1, $2, $3, '', $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(profile.user_id.as_i64())
    .bind(profile.username)
    .bind(profile.display_name)
    .bind(to_micros(profile.created_at))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: Id,
) -> Result<Option<ProfileRecord>, sqlx::Error> {
    let row: Option<ProfileRow> = sqlx::query_as(concat!(
        "SELECT ",
        profile_columns!(),
        " FROM profiles WHERE user_id = $1"
    ))
    .bind(user_id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(ProfileRecord::from))
}

/// `username` must be lowercase already.
pub async fn find_by_username<'e>(
    db: impl Executor<'e, Database = Any>,
    username: &str,
) -> Result<Option<ProfileRecord>, sqlx::Error> {
    let row: Option<ProfileRow> = sqlx::query_as(concat!(
        "SELECT ",
        profile_columns!(),
        " FROM profiles WHERE username = $1"
    ))
    .bind(username.to_owned())
    .fetch_optional(db)
    .await?;
    Ok(row.map(ProfileRecord::from))
}

/// The profiles among `ids` (at most [`super::MAX_BATCH`]) that exist.
pub async fn find_many<'e>(
    db: impl Executor<'e, Database = Any>,
    ids: &[Id],
) -> Result<Vec<ProfileRecord>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!(
            "SELECT ",
            profile_columns!(),
            " FROM profiles WHERE user_id IN ({})"
        ),
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query_as::<_, ProfileRow>(AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id.as_i64());
    }
    Ok(query
        .fetch_all(db)
        .await?
        .into_iter()
        .map(ProfileRecord::from)
        .collect())
}

/// Up to `limit` profiles with an id above `after` (any when `None`), in
/// ascending id order: one page of a keyset scan over the primary key.
pub async fn after<'e>(
    db: impl Executor<'e, Database = Any>,
    after: Option<Id>,
    limit: usize,
) -> Result<Vec<ProfileRecord>, sqlx::Error> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<ProfileRow> = match after {
        Some(after) => {
            sqlx::query_as(concat!(
                "SELECT ",
                profile_columns!(),
                " FROM profiles WHERE user_id > $1 ORDER BY user_id LIMIT $2"
            ))
            .bind(after.as_i64())
            .bind(limit)
            .fetch_all(db)
            .await?
        }
        None => {
            sqlx::query_as(concat!(
                "SELECT ",
                profile_columns!(),
                " FROM profiles ORDER BY user_id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(db)
            .await?
        }
    };
    Ok(rows.into_iter().map(ProfileRecord::from).collect())
}

/// The profiles whose usernames (lowercase, at most [`super::MAX_BATCH`]) are among `usernames`.
pub async fn find_by_usernames<'e>(
    db: impl Executor<'e, Database = Any>,
    usernames: &[String],
) -> Result<Vec<ProfileRecord>, sqlx::Error> {
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!(
            "SELECT ",
            profile_columns!(),
            " FROM profiles WHERE username IN ({})"
        ),
        placeholders(1, usernames.len())
    );
    let mut query = sqlx::query_as::<_, ProfileRow>(AssertSqlSafe(sql));
    for username in usernames {
        query = query.bind(username.clone());
    }
    Ok(query
        .fetch_all(db)
        .await?
        .into_iter()
        .map(ProfileRecord::from)
        .collect())
}

/// Locks the profile's row until the transaction ends (a write that changes
/// nothing: portable, unlike `FOR UPDATE`); false if there is no such profile.
pub async fn lock(conn: &mut AnyConnection, user_id: Id) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE profiles SET updated_at = updated_at WHERE user_id = $1")
        .bind(user_id.as_i64())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What a profile owner may change.
pub struct ProfileFields<'a> {
    pub display_name: &'a str,
    pub bio: &'a str,
    pub avatar_media_id: Option<Id>,
    pub avatar_url: Option<&'a str>,
    pub is_private: bool,
}

pub async fn update<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: Id,
    fields: &ProfileFields<'_>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE profiles SET display_name = $2, bio = $3, avatar_media_id = $4, \
         avatar_url = $7, is_private = $5, updated_at = $6 WHERE user_id = $1",
    )
    .bind(user_id.as_i64())
    .bind(fields.display_name)
    .bind(fields.bio)
    .bind(fields.avatar_media_id.map(Id::as_i64))
    .bind(i64::from(fields.is_private))
    .bind(to_micros(now))
    .bind(fields.avatar_url)
    .execute(db)
    .await?;
    Ok(())
}

/// The users whose avatar is `media` (its owner, if anyone).
pub async fn with_avatar<'e>(
    db: impl Executor<'e, Database = Any>,
    media: Id,
) -> Result<Vec<Id>, sqlx::Error> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT user_id FROM profiles WHERE avatar_media_id = $1 ORDER BY user_id")
            .bind(media.as_i64())
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(id,)| Id(id)).collect())
}

/// Removes `user_id`'s avatar if it is still `media`; true if it was.
pub async fn clear_avatar<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: Id,
    media: Id,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE profiles SET avatar_media_id = NULL, avatar_url = NULL, updated_at = $3 \
         WHERE user_id = $1 AND avatar_media_id = $2",
    )
    .bind(user_id.as_i64())
    .bind(media.as_i64())
    .bind(to_micros(now))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
