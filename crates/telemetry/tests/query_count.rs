//! sqlx really emits one `sqlx::query` event per statement through the `Any`
//! driver, on SQLite and on PostgreSQL, and `init_logs` counts them even when
//! its output filter hides DEBUG.
//!
//! One test function: the count is process-wide, so nothing else in this
//! binary may run queries at the same time.

use chorus_ports::{Db, DbTarget};
use chorus_telemetry::{LogFormat, db_queries, init_logs};
use sqlx::Executor;

/// Runs three statements (a read, a write, a read) on one connection and
/// returns how many were counted. One held connection, because the pool may
/// open another for a statement, and that connection's setup (`SET
/// search_path`, SQLite's PRAGMAs) is rightly counted too.
async fn counted_statements(db: &Db) -> u64 {
    let mut conn = db.writer().acquire().await.expect("a connection");
    conn.execute("CREATE TABLE IF NOT EXISTS query_count_probe (n BIGINT NOT NULL)")
        .await
        .expect("creates the table");
    let before = db_queries();
    sqlx::query("SELECT 1")
        .execute(&mut *conn)
        .await
        .expect("select");
    sqlx::query("INSERT INTO query_count_probe (n) VALUES ($1)")
        .bind(7_i64)
        .execute(&mut *conn)
        .await
        .expect("insert");
    let found: Vec<(i64,)> = sqlx::query_as("SELECT n FROM query_count_probe WHERE n = $1")
        .bind(7_i64)
        .fetch_all(&mut *conn)
        .await
        .expect("select back");
    assert_eq!(found, vec![(7,)]);
    db_queries() - before
}

#[tokio::test]
async fn every_statement_is_counted_on_sqlite_and_postgres() {
    // The production path, with an output filter that hides sqlx's DEBUG events.
    init_logs(LogFormat::Text, "warn");
    let metrics = chorus_telemetry::metrics::handle();

    let sqlite = Db::connect(&DbTarget::SqliteMemory)
        .await
        .expect("opens SQLite");
    let counted = counted_statements(&sqlite).await;
    println!("sqlite: 3 statements counted as {counted}");
    assert_eq!(counted, 3, "SQLite through Any");
    sqlite.close().await;
    let rendered = metrics.render();
    assert!(
        rendered.contains("chorus_db_queries_total"),
        "the Prometheus counter is exported: {rendered}"
    );

    let Some(url) = chorus_testkit::postgres_url() else {
        return;
    };
    let schema = chorus_testkit::unique_namespace("telemetry");
    let postgres = Db::connect(&DbTarget::Postgres {
        url: url.clone(),
        schema: schema.clone(),
    })
    .await
    .expect("connects to PostgreSQL");
    let counted = counted_statements(&postgres).await;
    println!("postgres: 3 statements counted as {counted}");
    assert_eq!(counted, 3, "PostgreSQL through Any");
    postgres
        .writer()
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
        )))
        .await
        .expect("drops the schema");
    postgres.close().await;
}
