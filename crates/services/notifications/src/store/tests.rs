//! The store's SQL on SQLite, and on PostgreSQL when one is reachable.

use std::collections::HashSet;

use chorus_core::Id;
use chorus_ports::{Db, DbTarget};

use super::actors::{self, Act};
use super::notifications::{self, NotificationRow, Write};
use super::{Position, preferences};
use crate::domain::Subject;

async fn databases() -> Vec<Db> {
    let namespace = chorus_testkit::unique_namespace("notifications_store");
    let dir = std::env::temp_dir().join(&namespace);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut targets = vec![DbTarget::SqliteFile(dir.join("notifications.db"))];
    match chorus_testkit::postgres_url() {
        Some(url) => targets.push(DbTarget::Postgres {
            url,
            schema: namespace,
        }),
        None => eprintln!("skipped: the PostgreSQL half (no PostgreSQL answers)"),
    }
    let mut dbs = Vec::new();
    for target in targets {
        let db = Db::connect(&target).await.expect("connects");
        db.migrate(&crate::migrations()).await.expect("migrates");
        dbs.push(db);
    }
    dbs
}

/// A notification to insert (of kind `reaction`, which does not matter
/// here), with its group key.
struct Seed {
    row: NotificationRow,
    group_key: Option<String>,
}

impl Seed {
    fn write(&self) -> Write<'_> {
        Write {
            row: &self.row,
            group_key: self.group_key.as_deref(),
            post_id: Subject::from_json(&self.row.subject)
                .expect("subject")
                .post_concerned(),
        }
    }
}

fn seed(
    id: i64,
    recipient: i64,
    group_key: Option<&str>,
    subject: &Subject,
    actor: i64,
    at: i64,
) -> Seed {
    Seed {
        row: NotificationRow {
            id: Id(id),
            recipient_id: Id(recipient),
            kind: "reaction".into(),
            subject: subject.to_json(),
            actor_ids: vec![Id(actor)],
            actor_count: 1,
            created_at: at,
            updated_at: at,
            read_at: None,
        },
        group_key: group_key.map(String::from),
    }
}

fn act(notification: i64, actor: i64, recipient: i64, at: i64, source: Option<i64>) -> Act {
    Act {
        notification: Id(notification),
        actor: Id(actor),
        recipient: Id(recipient),
        at,
        source: source.map(Id),
    }
}

/// Inserts a notification with its first actor, as delivery does.
async fn add(db: &Db, seed: &Seed, source: Option<i64>) {
    let mut tx = db.begin().await.expect("begin");
    let inserted = notifications::insert_all(&mut tx, &[seed.write()])
        .await
        .expect("insert");
    assert_eq!(inserted.len(), 1, "inserted");
    let row = &seed.row;
    let first = act(
        row.id.0,
        row.actor_ids[0].0,
        row.recipient_id.0,
        row.created_at,
        source,
    );
    actors::record_all(&mut tx, &[first]).await.expect("actor");
    tx.commit().await.expect("commit");
}

async fn open_groups(db: &Db, keys: &[(i64, &str)]) -> Vec<(String, i64)> {
    let keys: Vec<(Id, String)> = keys.iter().map(|(r, k)| (Id(*r), k.to_string())).collect();
    let mut tx = db.begin().await.expect("begin");
    let open = notifications::open_groups(&mut tx, &keys)
        .await
        .expect("open groups");
    tx.rollback().await.expect("rollback");
    open.into_iter().map(|(key, row)| (key, row.id.0)).collect()
}

fn ids(rows: &[notifications::NotificationRow]) -> Vec<i64> {
    rows.iter().map(|row| row.id.0).collect()
}

#[tokio::test]
async fn pages_are_newest_activity_first_and_unread_ones_filter() {
    for db in databases().await {
        let me = 1;
        for (id, at) in [(10, 100), (11, 300), (12, 200), (13, 300)] {
            add(&db, &seed(id, me, None, &Subject::post(Id(5)), 2, at), None).await;
        }
        add(
            &db,
            &seed(14, 99, None, &Subject::post(Id(5)), 2, 400),
            None,
        )
        .await;
        let reader = db.reader();
        let all = notifications::page(reader, Id(me), false, Position::START, 10)
            .await
            .expect("page");
        assert_eq!(ids(&all), [13, 11, 12, 10], "ties broken by id");
        let after = Position { at: 300, id: 11 };
        let rest = notifications::page(reader, Id(me), false, after, 10)
            .await
            .expect("page");
        assert_eq!(ids(&rest), [12, 10]);

        assert!(
            notifications::mark_read(db.writer(), Id(me), Id(11), 500)
                .await
                .expect("read")
        );
        assert!(
            !notifications::mark_read(db.writer(), Id(me), Id(11), 600)
                .await
                .expect("again"),
            "already read"
        );
        assert!(
            !notifications::mark_read(db.writer(), Id(99), Id(12), 600)
                .await
                .expect("not theirs")
        );
        let unread = notifications::page(reader, Id(me), true, Position::START, 10)
            .await
            .expect("unread");
        assert_eq!(ids(&unread), [13, 12, 10]);
        assert_eq!(
            notifications::unread_count(reader, Id(me))
                .await
                .expect("count"),
            3
        );
        let read = notifications::find_for(reader, Id(me), Id(11))
            .await
            .expect("find")
            .expect("mine");
        assert_eq!(read.read_at, Some(500));
        assert!(
            notifications::find_for(reader, Id(99), Id(11))
                .await
                .expect("find")
                .is_none()
        );

        assert_eq!(
            notifications::mark_all_read(db.writer(), Id(me), 700)
                .await
                .expect("all"),
            3
        );
        assert_eq!(
            notifications::unread_count(reader, Id(me))
                .await
                .expect("count"),
            0
        );
        assert_eq!(
            notifications::unread_count(reader, Id(99))
                .await
                .expect("count"),
            1
        );
    }
}

#[tokio::test]
async fn a_group_stays_open_until_read_and_counts_each_actor_once() {
    for db in databases().await {
        let key = "reaction:post:5";
        let subject = Subject::post(Id(5));
        add(&db, &seed(20, 1, Some(key), &subject, 2, 100), None).await;
        add(
            &db,
            &seed(23, 1, Some("reaction:post:6"), &subject, 2, 100),
            None,
        )
        .await;
        assert_eq!(
            open_groups(&db, &[(1, key), (2, key), (2, "reaction:post:6")]).await,
            [(key.to_string(), 20)],
            "only the pairs asked for: recipient 2 has none, (1, post 6) was not asked"
        );

        // A second open group under the same key is not inserted; a new one is.
        let mut tx = db.begin().await.expect("begin");
        let twin = seed(21, 1, Some(key), &subject, 3, 150);
        let other = seed(24, 2, Some(key), &subject, 3, 150);
        let inserted = notifications::insert_all(&mut tx, &[twin.write(), other.write()])
            .await
            .expect("insert");
        assert_eq!(inserted, HashSet::from([Id(24)]));
        tx.commit().await.expect("commit");
        assert!(
            notifications::find(db.reader(), Id(21))
                .await
                .expect("find")
                .is_none()
        );

        // A merge: actor 2 again (renewed), actor 3 new.
        let mut tx = db.begin().await.expect("begin");
        let acted = actors::acted_among(
            &mut tx,
            &[(Id(20), Id(2)), (Id(20), Id(3)), (Id(24), Id(3))],
        )
        .await
        .expect("acted");
        assert_eq!(
            acted,
            HashSet::from([(Id(20), Id(2))]),
            "24's actor is not recorded"
        );
        actors::record_all(
            &mut tx,
            &[act(20, 2, 1, 200, None), act(20, 3, 1, 200, Some(9))],
        )
        .await
        .expect("record");
        let mut merged = seed(20, 1, Some(key), &subject, 3, 100).row;
        merged.actor_ids = vec![Id(3), Id(2)];
        merged.actor_count = 2;
        merged.updated_at = 200;
        notifications::update_all(&mut tx, &[&merged])
            .await
            .expect("update");
        tx.commit().await.expect("commit");
        assert_eq!(
            notifications::find(db.reader(), Id(20))
                .await
                .expect("find"),
            Some(merged)
        );
        assert_eq!(actors::count(db.reader(), Id(20)).await.expect("count"), 2);
        let newest = actors::newest(db.reader(), Id(20), 3)
            .await
            .expect("newest");
        assert_eq!(newest, [(Id(3), Some(Id(9))), (Id(2), None)]);

        notifications::mark_read(db.writer(), Id(1), Id(20), 300)
            .await
            .expect("read");
        assert!(
            open_groups(&db, &[(1, key)]).await.is_empty(),
            "a read group is closed"
        );
        // Read, it no longer blocks a new group under the key.
        add(&db, &seed(22, 1, Some(key), &subject, 4, 500), None).await;
    }
}

#[tokio::test]
async fn sources_and_pairs_find_and_drop_actors_and_posts_take_theirs_along() {
    for db in databases().await {
        let on_post = Subject::post_with_comment(Id(5), Id(70));
        add(
            &db,
            &seed(30, 1, Some("comment:post:5"), &on_post, 2, 100),
            Some(70),
        )
        .await;
        let mut tx = db.begin().await.expect("begin");
        actors::record_all(&mut tx, &[act(30, 3, 1, 200, Some(71))])
            .await
            .expect("second");
        tx.commit().await.expect("commit");
        let reply = Subject::comment(Id(72), Id(5), Some(Id(60)));
        add(&db, &seed(31, 2, None, &reply, 3, 300), Some(72)).await;
        add(&db, &seed(32, 1, None, &Subject::user(Id(1)), 3, 300), None).await;

        let reader = db.reader();
        assert_eq!(
            actors::with_source(reader, Id(71)).await.expect("source"),
            [Id(30)]
        );
        let mut between = actors::between(reader, Id(3), Id(1)).await.expect("pair");
        between.sort();
        assert_eq!(between, [Id(30), Id(32)]);
        assert_eq!(
            actors::remove_source(db.writer(), Id(71))
                .await
                .expect("remove"),
            1
        );
        assert_eq!(actors::count(reader, Id(30)).await.expect("count"), 1);
        assert_eq!(
            actors::remove_between(db.writer(), Id(3), Id(1))
                .await
                .expect("pair"),
            1
        );
        assert_eq!(actors::count(reader, Id(32)).await.expect("count"), 0);

        // The post goes: both notifications about it (and their actors) too.
        assert_eq!(
            notifications::delete_about_post(db.writer(), Id(5))
                .await
                .expect("delete"),
            2
        );
        assert!(
            notifications::find(reader, Id(31))
                .await
                .expect("find")
                .is_none()
        );
        assert_eq!(actors::count(reader, Id(30)).await.expect("cascade"), 0);
        assert!(
            notifications::find(reader, Id(32))
                .await
                .expect("find")
                .is_some()
        );
    }
}

#[tokio::test]
async fn pruning_keeps_the_most_recent() {
    for db in databases().await {
        for n in 0..5 {
            add(
                &db,
                &seed(40 + n, 1, None, &Subject::post(Id(5)), 2, 100 + n),
                None,
            )
            .await;
        }
        add(&db, &seed(50, 2, None, &Subject::post(Id(5)), 3, 100), None).await;
        let pruned = notifications::prune(db.writer(), Id(1), 3)
            .await
            .expect("prune");
        assert_eq!(pruned, 2);
        let left = notifications::page(db.reader(), Id(1), false, Position::START, 10)
            .await
            .expect("page");
        assert_eq!(ids(&left), [44, 43, 42]);
        assert_eq!(
            actors::count(db.reader(), Id(40)).await.expect("cascade"),
            0
        );
        assert!(
            notifications::find(db.reader(), Id(50))
                .await
                .expect("find")
                .is_some()
        );
    }
}

#[tokio::test]
async fn preferences_default_to_on_and_remember_changes() {
    for db in databases().await {
        let reader = db.reader();
        let off = |pairs: &[(i64, &str)]| -> HashSet<(Id, String)> {
            pairs
                .iter()
                .map(|(user, kind)| (Id(*user), kind.to_string()))
                .collect()
        };
        assert_eq!(
            preferences::disabled_among(
                &mut reader.acquire().await.expect("conn"),
                &[Id(1), Id(2)]
            )
            .await
            .expect("default"),
            off(&[])
        );
        preferences::set(db.writer(), Id(1), "reaction", false, 1)
            .await
            .expect("off");
        preferences::set(db.writer(), Id(1), "follow", false, 1)
            .await
            .expect("off");
        preferences::set(db.writer(), Id(1), "follow", true, 2)
            .await
            .expect("on again");
        preferences::set(db.writer(), Id(3), "comment", false, 3)
            .await
            .expect("off");
        assert_eq!(
            preferences::disabled_among(
                &mut reader.acquire().await.expect("conn"),
                &[Id(1), Id(2), Id(3)]
            )
            .await
            .expect("some off"),
            off(&[(1, "reaction"), (3, "comment")])
        );
        assert_eq!(
            preferences::disabled_among(&mut reader.acquire().await.expect("conn"), &[Id(2)])
                .await
                .expect("others"),
            off(&[])
        );
        let mut stored = preferences::of_user(reader, Id(1)).await.expect("all");
        stored.sort();
        assert_eq!(
            stored,
            [
                ("follow".to_string(), true),
                ("reaction".to_string(), false)
            ]
        );
    }
}
