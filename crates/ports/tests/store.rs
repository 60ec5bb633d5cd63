//! The store contract, written once and run on every adapter: a SQLite file,
//! SQLite in memory, and PostgreSQL when one is reachable (always in CI).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::Duration;

use chorus_core::{Envelope, Id};
use chorus_ports::store::{self, Db, DbTarget, Migrations};
use chorus_ports::{Dialect, inbox};
use futures::FutureExt;
use sqlx::{AssertSqlSafe, Executor, Row};

/// The longest any one adapter's run may take before the test fails.
const SUITE_TIMEOUT: Duration = Duration::from_secs(60);

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("tests/migrations/sqlite"),
        postgres: sqlx::migrate!("tests/migrations/postgres"),
    }
}

/// Every check, in order, on one freshly connected database.
async fn store_conformance(db: Db) {
    migrations_apply_twice_harmlessly(&db).await;
    ping_answers(&db).await;
    a_committed_transaction_is_kept_and_a_rolled_back_one_is_not(&db).await;
    a_duplicate_key_is_recognised_as_a_unique_violation(&db).await;
    numbered_placeholders_may_repeat_and_come_in_any_order(&db).await;
    fifty_concurrent_write_transactions_all_succeed(&db).await;
    the_inbox_applies_an_event_once(&db).await;
    the_inbox_records_a_batch_once_per_event(&db).await;
    a_rolled_back_inbox_entry_leaves_the_event_appliable(&db).await;
}

async fn migrations_apply_twice_harmlessly(db: &Db) {
    db.migrate(&migrations()).await.expect("first migration");
    db.migrate(&migrations()).await.expect("second migration");
    let applied: i64 = sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(db.reader())
        .await
        .expect("count migrations")
        .get(0);
    assert_eq!(applied, 2, "each migration is recorded once");
    let writes: i64 = sqlx::query("SELECT value FROM counters WHERE name = 'writes'")
        .fetch_one(db.reader())
        .await
        .expect("seeded row")
        .get(0);
    assert_eq!(writes, 0, "the seed row was inserted once");
}

async fn ping_answers(db: &Db) {
    db.ping().await.expect("ping");
}

async fn a_committed_transaction_is_kept_and_a_rolled_back_one_is_not(db: &Db) {
    let mut tx = db.begin().await.expect("begin");
    sqlx::query("INSERT INTO notes (id, owner, body) VALUES ($1, $2, $3)")
        .bind(1_i64)
        .bind(10_i64)
        .bind("kept")
        .execute(&mut *tx)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    let mut tx = db.begin().await.expect("begin");
    sqlx::query("INSERT INTO notes (id, owner, body) VALUES ($1, $2, $3)")
        .bind(2_i64)
        .bind(10_i64)
        .bind("rolled back")
        .execute(&mut *tx)
        .await
        .expect("insert");
    tx.rollback().await.expect("rollback");

    let mut tx = db.begin().await.expect("begin");
    sqlx::query("INSERT INTO notes (id, owner, body) VALUES ($1, $2, $3)")
        .bind(3_i64)
        .bind(10_i64)
        .bind("dropped")
        .execute(&mut *tx)
        .await
        .expect("insert");
    drop(tx);

    let bodies: Vec<String> = sqlx::query("SELECT body FROM notes WHERE owner = $1 ORDER BY id")
        .bind(10_i64)
        .fetch_all(db.reader())
        .await
        .expect("select")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(bodies, ["kept"]);
}

async fn a_duplicate_key_is_recognised_as_a_unique_violation(db: &Db) {
    let insert = || {
        sqlx::query("INSERT INTO notes (id, owner, body) VALUES ($1, $2, $3)")
            .bind(100_i64)
            .bind(11_i64)
            .bind("once")
            .execute(db.writer())
    };
    insert().await.expect("first insert");
    let duplicate = insert().await.expect_err("second insert is refused");
    assert!(
        store::is_unique_violation(&duplicate),
        "not seen as unique: {duplicate:?}"
    );

    let other = sqlx::query("INSERT INTO notes (id, owner, body) VALUES ($1, $2, NULL)")
        .bind(101_i64)
        .bind(11_i64)
        .execute(db.writer())
        .await
        .expect_err("NULL body is refused");
    assert!(
        !store::is_unique_violation(&other),
        "a NOT NULL failure is no unique violation: {other:?}"
    );
}

async fn numbered_placeholders_may_repeat_and_come_in_any_order(db: &Db) {
    // Out of order: $3 first, $1 last.
    sqlx::query("INSERT INTO notes (id, owner, body) VALUES ($3, $2, $1)")
        .bind("reversed")
        .bind(12_i64)
        .bind(200_i64)
        .execute(db.writer())
        .await
        .expect("insert out of order");
    let row = sqlx::query("SELECT id, owner, body FROM notes WHERE id = $1")
        .bind(200_i64)
        .fetch_one(db.reader())
        .await
        .expect("select");
    assert_eq!(row.get::<i64, _>(0), 200);
    assert_eq!(row.get::<i64, _>(1), 12);
    assert_eq!(row.get::<String, _>(2), "reversed");

    // Repeated: $1 twice fills two columns from one argument.
    sqlx::query("INSERT INTO notes (id, owner, body) VALUES ($1, $1, $2)")
        .bind(201_i64)
        .bind("repeated")
        .execute(db.writer())
        .await
        .expect("insert with a repeated placeholder");
    let bodies: Vec<String> =
        sqlx::query("SELECT body FROM notes WHERE owner = $2 AND id = $1 AND owner = $1")
            .bind(201_i64)
            .bind(201_i64)
            .fetch_all(db.reader())
            .await
            .expect("select with repeats, out of order")
            .iter()
            .map(|row| row.get(0))
            .collect();
    assert_eq!(bodies, ["repeated"]);

    // Both at once, in an UPDATE: $2 before $1, and $1 used twice.
    let updated = sqlx::query("UPDATE notes SET body = $2 WHERE id = $1 OR owner = $1")
        .bind(201_i64)
        .bind("updated")
        .execute(db.writer())
        .await
        .expect("update");
    assert_eq!(updated.rows_affected(), 1);
    let body: String = sqlx::query("SELECT body FROM notes WHERE id = $1")
        .bind(201_i64)
        .fetch_one(db.reader())
        .await
        .expect("select")
        .get(0);
    assert_eq!(body, "updated");
}

async fn fifty_concurrent_write_transactions_all_succeed(db: &Db) {
    let writers = (0..50_i64).map(|n| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await?;
            sqlx::query("INSERT INTO notes (id, owner, body) VALUES ($1, $2, $3)")
                .bind(1_000 + n)
                .bind(13_i64)
                .bind(format!("writer {n}"))
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE counters SET value = value + 1 WHERE name = $1")
                .bind("writes")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            // Reads run beside the writes (on SQLite, on the reader pool).
            let seen: i64 = sqlx::query("SELECT COUNT(*) FROM notes WHERE owner = $1")
                .bind(13_i64)
                .fetch_one(db.reader())
                .await?
                .get(0);
            anyhow::ensure!(seen >= 1, "a reader missed a committed write");
            anyhow::Ok(())
        })
    });
    for result in futures::future::join_all(writers).await {
        result
            .expect("writer task ran")
            .expect("every write transaction succeeds");
    }
    let writes: i64 = sqlx::query("SELECT value FROM counters WHERE name = 'writes'")
        .fetch_one(db.reader())
        .await
        .expect("count")
        .get(0);
    assert_eq!(writes, 50);
}

fn event(id: i64) -> Envelope {
    Envelope::new(
        Id(id),
        "note.created",
        None,
        serde_json::json!({ "id": id }),
    )
}

async fn the_inbox_applies_an_event_once(db: &Db) {
    let event = event(7_001);
    let tx = inbox::begin_once(db, "notes", &event)
        .await
        .expect("first delivery")
        .expect("a new event is to be applied");
    tx.commit().await.expect("commit");
    let again = inbox::begin_once(db, "notes", &event)
        .await
        .expect("second delivery");
    assert!(again.is_none(), "a redelivered event is skipped");

    let tx = inbox::begin_once(db, "another consumer", &event)
        .await
        .expect("other consumer")
        .expect("each consumer applies the event once");
    tx.commit().await.expect("commit");
}

async fn the_inbox_records_a_batch_once_per_event(db: &Db) {
    let before = event(7_101);
    let tx = inbox::begin_once(db, "batches", &before)
        .await
        .expect("first delivery")
        .expect("a new event is to be applied");
    tx.commit().await.expect("commit");

    let batch = [before.id, Id(7_102), Id(7_103), Id(7_102)];
    let mut tx = db.begin().await.expect("begin");
    let fresh = inbox::record_all(&mut tx, "batches", &batch)
        .await
        .expect("record the batch");
    tx.commit().await.expect("commit");
    let mut fresh: Vec<i64> = fresh.into_iter().map(|id| id.as_i64()).collect();
    fresh.sort_unstable();
    assert_eq!(
        fresh,
        [7_102, 7_103],
        "the one applied before is left out, a repeat counted once"
    );

    let mut tx = db.begin().await.expect("begin");
    let again = inbox::record_all(&mut tx, "batches", &batch)
        .await
        .expect("record again");
    assert!(again.is_empty(), "a redelivered batch applies nothing");
    let other = inbox::record_all(&mut tx, "another consumer", &batch[1..2])
        .await
        .expect("other consumer");
    assert_eq!(other.len(), 1, "each consumer applies the event once");
    tx.rollback().await.expect("rollback");
}

async fn a_rolled_back_inbox_entry_leaves_the_event_appliable(db: &Db) {
    let event = event(7_002);
    let tx = inbox::begin_once(db, "notes", &event)
        .await
        .expect("first delivery")
        .expect("a new event is to be applied");
    tx.rollback().await.expect("the handler failed");
    let tx = inbox::begin_once(db, "notes", &event)
        .await
        .expect("retry")
        .expect("a failed attempt leaves the event to apply");
    tx.commit().await.expect("commit");
}

/// Runs `checks`, then `cleanup` whatever happened, then reports any failure.
async fn with_cleanup<C>(checks: impl Future<Output = ()>, cleanup: C)
where
    C: Future<Output = ()>,
{
    let outcome =
        tokio::time::timeout(SUITE_TIMEOUT, AssertUnwindSafe(checks).catch_unwind()).await;
    cleanup.await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the store suite took longer than {SUITE_TIMEOUT:?}"),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(chorus_testkit::unique_namespace(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_contract_holds_on_a_sqlite_file() {
    chorus_testkit::init_test_logs();
    let dir = temp_dir("store");
    let db = Db::connect(&DbTarget::SqliteFile(dir.join("notes.db")))
        .await
        .expect("open SQLite file");
    assert_eq!(db.dialect(), Dialect::Sqlite);
    let cleanup = {
        let (db, dir) = (db.clone(), dir.clone());
        async move {
            db.close().await;
            let _ = std::fs::remove_dir_all(&dir);
        }
    };
    with_cleanup(store_conformance(db), cleanup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_contract_holds_on_sqlite_in_memory() {
    chorus_testkit::init_test_logs();
    let db = Db::connect(&DbTarget::SqliteMemory)
        .await
        .expect("open SQLite in memory");
    assert_eq!(db.dialect(), Dialect::Sqlite);
    let closing = db.clone();
    with_cleanup(store_conformance(db), async move { closing.close().await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_contract_holds_on_postgresql() {
    chorus_testkit::init_test_logs();
    let Some(url) = chorus_testkit::postgres_url() else {
        return;
    };
    let schema = chorus_testkit::unique_namespace("store");
    let db = Db::connect(&DbTarget::Postgres {
        url,
        schema: schema.clone(),
    })
    .await
    .expect("connect to PostgreSQL");
    assert_eq!(db.dialect(), Dialect::Postgres);
    let cleanup = {
        let db = db.clone();
        async move {
            db.writer()
                .execute(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
                .await
                .expect("drop the test schema");
            db.close().await;
        }
    };
    with_cleanup(store_conformance(db), cleanup).await;
}

#[tokio::test]
async fn two_postgresql_schemas_do_not_see_each_others_tables() {
    let Some(url) = chorus_testkit::postgres_url() else {
        return;
    };
    let connect = |schema: String| {
        let url = url.clone();
        async move {
            let db = Db::connect(&DbTarget::Postgres { url, schema })
                .await
                .expect("connect");
            db.migrate(&migrations()).await.expect("migrate");
            db
        }
    };
    let (a_schema, b_schema) = (
        chorus_testkit::unique_namespace("store_a"),
        chorus_testkit::unique_namespace("store_b"),
    );
    let a = connect(a_schema.clone()).await;
    let b = connect(b_schema.clone()).await;
    let checks = async {
        sqlx::query("INSERT INTO notes (id, owner, body) VALUES (1, 1, 'in a')")
            .execute(a.writer())
            .await
            .expect("insert in a");
        let in_b: i64 = sqlx::query("SELECT COUNT(*) FROM notes")
            .fetch_one(b.reader())
            .await
            .expect("count in b")
            .get(0);
        assert_eq!(in_b, 0);
    };
    let cleanup = async {
        for (db, schema) in [(&a, &a_schema), (&b, &b_schema)] {
            db.writer()
                .execute(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
                .await
                .expect("drop the test schema");
            db.close().await;
        }
    };
    with_cleanup(checks, cleanup).await;
}
