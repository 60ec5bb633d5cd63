//! Accounts and their credentials.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, Executor};

/// An account as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Id,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub created_at: Timestamp,
}

type UserRow = (i64, String, String, String, i64);

impl From<UserRow> for UserRecord {
    fn from((id, username, email, display_name, created_at): UserRow) -> Self {
        Self {
            id: Id(id),
            username,
            email,
            display_name,
            created_at: from_micros(created_at),
        }
    }
}

/// An account with its password hash, for checking a password.
pub struct Credentials {
    pub user: UserRecord,
    pub password_hash: String,
}

/// The columns of [`UserRow`], in order.
macro_rules! user_columns {
    () => {
        "id, username, email, display_name, created_at"
    };
}

pub struct NewUser<'a> {
    pub id: Id,
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub created_at: Timestamp,
}

/// Fails with a unique violation when the username or email is taken.
pub async fn insert_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user: &NewUser<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, username, email, display_name, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(user.id.as_i64())
    .bind(user.username)
    .bind(user.email)
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(to_micros(user.created_at))
    .execute(db)
    .await?;
    Ok(())
}

/// Which of a username and an email are already taken.
pub async fn taken<'e>(
    db: impl Executor<'e, Database = Any>,
    username: &str,
    email: &str,
) -> Result<Taken, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT username, email FROM users WHERE username = $1 OR email = $2")
            .bind(username)
            .bind(email)
            .fetch_all(db)
            .await?;
    Ok(Taken {
        username: rows.iter().any(|(u, _)| u == username),
        email: rows.iter().any(|(_, e)| e == email),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub username: bool,
    pub email: bool,
}

pub async fn find_user<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<UserRecord>, sqlx::Error> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1"
    ))
    .bind(id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(UserRecord::from))
}

/// How a login names its account.
#[derive(Debug, Clone, Copy)]
pub enum Login<'a> {
    Username(&'a str),
    Email(&'a str),
    Id(Id),
}

pub async fn find_credentials<'e>(
    db: impl Executor<'e, Database = Any>,
    login: Login<'_>,
) -> Result<Option<Credentials>, sqlx::Error> {
    macro_rules! select_where {
        ($condition:literal) => {
            concat!(
                "SELECT ",
                user_columns!(),
                ", password_hash FROM users WHERE ",
                $condition
            )
        };
    }
    let query = match login {
        Login::Username(username) => {
            sqlx::query_as(select_where!("username = $1")).bind(username.to_owned())
        }
        Login::Email(email) => sqlx::query_as(select_where!("email = $1")).bind(email.to_owned()),
        Login::Id(id) => sqlx::query_as(select_where!("id = $1")).bind(id.as_i64()),
    };
    let row: Option<(i64, String, String, String, i64, String)> = query.fetch_optional(db).await?;
    Ok(row.map(
        |(id, username, email, display_name, created_at, password_hash)| Credentials {
            user: UserRecord::from((id, username, email, display_name, created_at)),
            password_hash,
        },
    ))
}

pub async fn set_password_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: Id,
    password_hash: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(to_micros(now))
        .bind(user_id.as_i64())
        .execute(db)
        .await?;
    Ok(())
}
