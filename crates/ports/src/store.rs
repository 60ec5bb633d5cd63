//! The relational store: SQLite when embedded, PostgreSQL when distributed,
//! through sqlx's `Any` driver so a service writes its queries once.
//!
//! Queries use the subset both dialects share: `$1` placeholders, `BIGINT`
//! ids, timestamps as Unix microseconds, `ON CONFLICT … DO NOTHING`,
//! `RETURNING`. Schemas differ only in migrations, kept per dialect.
//!
//! SQLite allows one writer at a time, so its writes go through a pool of one
//! connection (no `SQLITE_BUSY` under load) while reads use several; in WAL
//! mode readers never wait for the writer. PostgreSQL uses one pool for both.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, AssertSqlSafe, Executor, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect `conn` speaks.
    pub fn of(conn: &AnyConnection) -> Dialect {
        match conn.backend_name() {
            "PostgreSQL" => Dialect::Postgres,
            _ => Dialect::Sqlite,
        }
    }

    /// Placeholders for `count` values bound in order, from the `first`
    /// bind on: an `IN` list made of placeholders only, so the SQL built from
    /// it carries no value. `$first, …` on PostgreSQL; anonymous `?` on
    /// SQLite, because sqlx looks each numbered one up by name in a list as
    /// long as the statement's, which is quadratic for a batch's thousands.
    /// Every placeholder of such a statement must then be one of these.
    pub fn placeholders(self, first: usize, count: usize) -> String {
        (first..first + count)
            .map(|n| match self {
                Dialect::Postgres => format!("${n}"),
                Dialect::Sqlite => "?".to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `(…), (…), …`: `rows` tuples of `columns` placeholders each, from the
    /// `first` bind on, for multi-row `INSERT … VALUES` and `(VALUES …)`.
    pub fn value_rows(self, first: usize, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|row| format!("({})", self.placeholders(first + row * columns, columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where a service's data lives.
#[derive(Debug, Clone)]
pub enum DbTarget {
    /// A SQLite file, created if missing.
    SqliteFile(PathBuf),
    /// A private in-memory SQLite database (tests).
    SqliteMemory,
    /// A PostgreSQL database; the service's tables live in `schema`, created if missing.
    Postgres { url: String, schema: String },
}

/// A service's migrations, one set per dialect, embedded with `sqlx::migrate!`.
pub struct Migrations {
    pub sqlite: Migrator,
    pub postgres: Migrator,
}

#[derive(Clone)]
pub struct Db {
    writer: AnyPool,
    reader: AnyPool,
    dialect: Dialect,
    outbox: Arc<crate::outbox::Signals>,
}

impl Db {
    pub async fn connect(target: &DbTarget) -> anyhow::Result<Self> {
        install_default_drivers();
        match target {
            DbTarget::SqliteFile(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating data folder {}", dir.display()))?;
                }
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let writer = sqlite_pool(&url, 1).await?;
                let reader = sqlite_pool(&url, 4).await?;
                Ok(Self::new(writer, reader, Dialect::Sqlite))
            }
            DbTarget::SqliteMemory => {
                // One connection: each new in-memory connection would be a new, empty database.
                let pool = sqlite_pool("sqlite::memory:", 1).await?;
                Ok(Self::new(pool.clone(), pool, Dialect::Sqlite))
            }
            DbTarget::Postgres { url, schema } => {
                let pool = postgres_pool(url, schema).await?;
                Ok(Self::new(pool.clone(), pool, Dialect::Postgres))
            }
        }
    }

    fn new(writer: AnyPool, reader: AnyPool, dialect: Dialect) -> Self {
        Self {
            writer,
            reader,
            dialect,
            outbox: Arc::default(),
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The pool for reads outside a transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// The pool for single-statement writes outside a transaction.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Begins a write transaction.
    pub async fn begin(&self) -> anyhow::Result<Transaction<'static, Any>> {
        self.writer.begin().await.context("beginning a transaction")
    }

    /// Applies the shared outbox and inbox tables, then the service's own migrations.
    pub async fn migrate(&self, migrations: &Migrations) -> anyhow::Result<()> {
        let shared = match self.dialect {
            Dialect::Sqlite => crate::outbox::SQLITE_TABLES,
            Dialect::Postgres => crate::outbox::POSTGRES_TABLES,
        };
        for statement in shared.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            self.writer
                .execute(statement)
                .await
                .with_context(|| format!("creating shared tables: {statement}"))?;
        }
        let migrator = match self.dialect {
            Dialect::Sqlite => &migrations.sqlite,
            Dialect::Postgres => &migrations.postgres,
        };
        migrator
            .run(&self.writer)
            .await
            .context("running migrations")?;
        Ok(())
    }

    /// Does the database answer?
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// Tells this database's outbox relay that new events wait.
    pub fn wake_outbox(&self) {
        self.outbox.wake.notify_one();
    }

    /// Wakes the relay and waits, at most `timeout`, until a relay pass that
    /// began after this call has published everything it found. With the
    /// in-process bus, publishing returns once every consumer has applied the
    /// event, so a route that awaits this after its commit answers only once
    /// the rest of the system has seen its change (read-your-writes for the
    /// client). Returns whether that happened in time; either way the event
    /// is safe in the outbox.
    pub async fn flush_outbox(&self, timeout: Duration) -> bool {
        self.outbox.flushed(timeout).await
    }

    pub(crate) fn outbox_signals(&self) -> &crate::outbox::Signals {
        &self.outbox
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

async fn sqlite_pool(url: &str, connections: u32) -> anyhow::Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // busy_timeout first, so that switching to WAL waits out a
                // lock rather than failing. WAL: readers do not block the
                // writer. synchronous=FULL: an acknowledged write survives a
                // crash of the process or the OS.
                conn.execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| format!("opening SQLite database {url}"))
}

async fn postgres_pool(url: &str, schema: &str) -> anyhow::Result<AnyPool> {
    anyhow::ensure!(
        !schema.is_empty()
            && schema
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "schema name {schema:?} must be letters, digits and underscores"
    );
    let admin = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {}", redact(url)))?;
    // Two instances starting together may race to create the schema: the loser's error is harmless.
    let created = admin
        .execute(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .await;
    if let Err(error) = created {
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname = $1")
                .bind(schema)
                .fetch_optional(&admin)
                .await?;
        if exists.is_none() {
            return Err(error).context("creating schema");
        }
    }
    admin.close().await;

    let search_path = format!("SET search_path TO \"{schema}\"");
    AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            let search_path = search_path.clone();
            Box::pin(async move {
                conn.execute(AssertSqlSafe(search_path)).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {}", redact(url)))
}

/// Is this error a unique-key violation (a taken username, a repeated event id)?
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// A URL with its password, and query options that hold secrets (an S3
/// URL's `secret_access_key`, `session_token`…), masked, for messages and logs.
pub fn redact(url: &str) -> String {
    let (location, query) = match url.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (url, None),
    };
    let location = match (location.find("://"), location.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &location[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:***{}", &location[..scheme + 3], &location[at..])
                }
                None => location.to_string(),
            }
        }
        _ => location.to_string(),
    };
    let Some(query) = query else {
        return location;
    };
    let secret = |name: &str| {
        let name = name.to_ascii_lowercase();
        ["secret", "token", "password", "customer_key"]
            .iter()
            .any(|word| name.contains(word))
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if secret(name) => format!("{name}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{location}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            redact("postgres://root:pw@127.0.0.1/test"),
            "postgres://root:***@127.0.0.1/test"
        );
        assert_eq!(redact("postgres://root@h/test"), "postgres://root@h/test");
        assert_eq!(redact("redis://127.0.0.1"), "redis://127.0.0.1");
        assert_eq!(
            redact(
                "s3://b/p?endpoint=http://h:1&access_key_id=k&secret_access_key=s%2F&session_token=t"
            ),
            "s3://b/p?endpoint=http://h:1&access_key_id=k&secret_access_key=***&session_token=***"
        );
        assert_eq!(
            redact("postgres://u:pw@h/db?sslmode=require"),
            "postgres://u:***@h/db?sslmode=require"
        );
    }

    #[test]
    fn placeholder_lists_and_value_rows_number_on_or_are_anonymous() {
        let pg = Dialect::Postgres;
        assert_eq!(pg.placeholders(3, 2), "$3, $4");
        assert_eq!(pg.value_rows(2, 2, 3), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(pg.value_rows(1, 0, 3), "");
        assert_eq!(Dialect::Sqlite.value_rows(2, 2, 2), "(?, ?), (?, ?)");
    }
}
