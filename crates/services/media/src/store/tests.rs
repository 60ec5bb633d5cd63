//! The store's SQL on SQLite, and on PostgreSQL when one is reachable.

use chorus_core::Id;
use chorus_core::time::from_micros;
use chorus_ports::{Db, DbTarget};

use super::{MediaRecord, VariantRecord, holders, media, usage, variants};

/// A migrated database per backend, and what to drop afterwards.
async fn databases() -> Vec<(Db, Option<(String, String)>)> {
    let namespace = chorus_testkit::unique_namespace("media_store");
    let dir = std::env::temp_dir().join(&namespace);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut targets = vec![(DbTarget::SqliteFile(dir.join("media.db")), None)];
    match chorus_testkit::postgres_url() {
        Some(url) => targets.push((
            DbTarget::Postgres {
                url: url.clone(),
                schema: namespace.clone(),
            },
            Some((url, namespace.clone())),
        )),
        None => eprintln!("skipped: the PostgreSQL half (no PostgreSQL answers)"),
    }
    let mut dbs = Vec::new();
    for (target, schema) in targets {
        let db = Db::connect(&target).await.expect("connects");
        db.migrate(&crate::migrations()).await.expect("migrates");
        dbs.push((db, schema));
    }
    dbs
}

async fn drop_schema(schema: Option<(String, String)>) {
    use sqlx::Executor;
    let Some((url, schema)) = schema else {
        return;
    };
    let pool = sqlx::AnyPool::connect(&url).await.expect("connects");
    pool.execute(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    )))
    .await
    .expect("drops the schema");
}

fn record(id: i64, owner: i64, width: Option<i64>) -> MediaRecord {
    MediaRecord {
        id: Id(id),
        owner_id: Id(owner),
        sha256: "ab".repeat(32),
        mime: "image/png".into(),
        size: 1234,
        width,
        height: width.map(|w| w * 2),
        blurhash: width.map(|_| "LEHV6nWB2yk8pyo0adR*.7kCMdnj".into()),
        created_at: from_micros(1_700_000_000_123_456),
        variants: Vec::new(),
    }
}

#[tokio::test]
async fn a_row_reads_back_as_written_and_deletes_once() {
    for (db, schema) in databases().await {
        for row in [record(1, 10, Some(3)), record(2, 10, None)] {
            media::insert(db.writer(), &row).await.expect("inserts");
            let found = media::find(db.reader(), row.id).await.expect("finds");
            assert_eq!(found, Some(row.clone()));
        }
        assert!(media::delete(db.writer(), Id(1)).await.expect("deletes"));
        assert!(!media::delete(db.writer(), Id(1)).await.expect("deletes"));
        assert_eq!(media::find(db.reader(), Id(1)).await.expect("finds"), None);
        db.close().await;
        drop_schema(schema).await;
    }
}

#[tokio::test]
async fn variants_read_back_narrowest_first_and_delete_with_their_media() {
    for (db, schema) in databases().await {
        let variant = |name: &str, width: i64| VariantRecord {
            name: name.into(),
            sha256: format!("{width:064}"),
            mime: "image/webp".into(),
            size: width * 10,
            width,
            height: width / 2,
        };
        let (large, small) = (variant("large", 1200), variant("small", 150));
        variants::insert(db.writer(), Id(5), &large)
            .await
            .expect("inserts");
        variants::insert(db.writer(), Id(5), &small)
            .await
            .expect("inserts");
        variants::insert(db.writer(), Id(6), &small)
            .await
            .expect("inserts");
        let found = variants::of(db.reader(), Id(5)).await.expect("reads");
        assert_eq!(found, [small.clone(), large]);
        variants::delete_of(db.writer(), Id(5))
            .await
            .expect("deletes");
        assert!(
            variants::of(db.reader(), Id(5))
                .await
                .expect("reads")
                .is_empty()
        );
        assert_eq!(
            variants::of(db.reader(), Id(6)).await.expect("reads"),
            [small]
        );
        db.close().await;
        drop_schema(schema).await;
    }
}

#[tokio::test]
async fn holders_count_up_and_down_and_a_released_blob_is_forgotten() {
    for (db, schema) in databases().await {
        let sha = "cd".repeat(32);
        holders::hold(db.writer(), &sha).await.expect("holds");
        holders::hold(db.writer(), &sha).await.expect("holds again");
        assert_eq!(
            holders::release(db.writer(), &sha).await.expect("releases"),
            1
        );
        assert_eq!(
            holders::release(db.writer(), &sha).await.expect("releases"),
            0
        );
        holders::forget(db.writer(), &sha).await.expect("forgets");
        assert_eq!(
            holders::release(db.writer(), &sha).await.expect("releases"),
            0,
            "a forgotten blob has no holders"
        );
        holders::hold(db.writer(), &sha).await.expect("holds anew");
        assert_eq!(
            holders::release(db.writer(), &sha).await.expect("releases"),
            0
        );
        db.close().await;
        drop_schema(schema).await;
    }
}

#[tokio::test]
async fn usage_is_charged_up_to_the_quota_and_refunded() {
    for (db, schema) in databases().await {
        let owner = Id(77);
        let mut conn = db.writer().acquire().await.expect("a connection");
        assert_eq!(usage::used(&mut *conn, owner).await.expect("reads"), 0);
        assert!(
            usage::charge(&mut conn, owner, 60, 100)
                .await
                .expect("charges")
        );
        assert!(
            usage::charge(&mut conn, owner, 40, 100)
                .await
                .expect("charges")
        );
        assert!(
            !usage::charge(&mut conn, owner, 1, 100)
                .await
                .expect("charges")
        );
        assert_eq!(usage::used(&mut *conn, owner).await.expect("reads"), 100);
        usage::refund(&mut *conn, owner, 60).await.expect("refunds");
        assert_eq!(usage::used(&mut *conn, owner).await.expect("reads"), 40);
        assert_eq!(usage::used(&mut *conn, Id(78)).await.expect("reads"), 0);
        drop(conn);
        db.close().await;
        drop_schema(schema).await;
    }
}
