//! The store's SQL on SQLite, and on PostgreSQL when one is reachable.

use chorus_core::Id;
use chorus_ports::{Db, DbTarget};

use super::actors::{self, Act};
use super::notifications::{self, NewNotification};
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

/// A notification to insert (of kind `reaction`, which does not matter here).
fn seed<'a>(
    id: i64,
    recipient: i64,
    group_key: Option<&'a str>,
    subject: &'a Subject,
    actor: i64,
    at: i64,
) -> NewNotification<'a> {
    NewNotification {
        id: Id(id),
        recipient: Id(recipient),
        kind: "reaction",
        group_key,
        subject,
        actor: Id(actor),
        at,
    }
}

/// Inserts a notification with its first actor, as delivery does.
async fn add(db: &Db, new: &NewNotification<'_>, source: Option<i64>) {
    let mut tx = db.begin().await.expect("begin");
    assert!(notifications::insert(&mut *tx, new).await.expect("insert"));
    let act = Act {
        notification: new.id,
        actor: new.actor,
        recipient: new.recipient,
        at: new.at,
        source: source.map(Id),
    };
    assert!(actors::record(&mut tx, act).await.expect("actor"));
    tx.commit().await.expect("commit");
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
        let open = notifications::open_group(db.reader(), Id(1), key)
            .await
            .expect("open");
        assert_eq!(open, Some(Id(20)));
        assert_eq!(
            notifications::open_group(db.reader(), Id(2), key)
                .await
                .expect("other recipient"),
            None
        );

        // A second open group under the same key is not inserted.
        let mut tx = db.begin().await.expect("begin");
        let twin = NewNotification {
            id: Id(21),
            recipient: Id(1),
            kind: "reaction",
            group_key: Some(key),
            subject: &subject,
            actor: Id(3),
            at: 150,
        };
        assert!(
            !notifications::insert(&mut *tx, &twin)
                .await
                .expect("insert")
        );
        tx.commit().await.expect("commit");
        assert!(
            notifications::find(db.reader(), Id(21))
                .await
                .expect("find")
                .is_none()
        );

        let mut tx = db.begin().await.expect("begin");
        assert!(
            notifications::touch(&mut *tx, Id(20), 200)
                .await
                .expect("touch")
        );
        let again = Act {
            notification: Id(20),
            actor: Id(2),
            recipient: Id(1),
            at: 200,
            source: None,
        };
        assert!(!actors::record(&mut tx, again).await.expect("renewed"));
        let new = Act {
            actor: Id(3),
            ..again
        };
        assert!(actors::record(&mut tx, new).await.expect("new"));
        tx.commit().await.expect("commit");
        assert_eq!(actors::count(db.reader(), Id(20)).await.expect("count"), 2);
        let newest = actors::newest(db.reader(), Id(20), 3)
            .await
            .expect("newest");
        assert_eq!(newest, [(Id(3), None), (Id(2), None)]);

        notifications::mark_read(db.writer(), Id(1), Id(20), 300)
            .await
            .expect("read");
        assert_eq!(
            notifications::open_group(db.reader(), Id(1), key)
                .await
                .expect("closed"),
            None
        );
        assert!(
            !notifications::touch(db.writer(), Id(20), 400)
                .await
                .expect("touch"),
            "a read group takes no more"
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
        let second = Act {
            notification: Id(30),
            actor: Id(3),
            recipient: Id(1),
            at: 200,
            source: Some(Id(71)),
        };
        actors::record(&mut tx, second).await.expect("second");
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
        assert!(
            preferences::enabled(reader, Id(1), "reaction")
                .await
                .expect("default")
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
        assert!(
            !preferences::enabled(reader, Id(1), "reaction")
                .await
                .expect("off")
        );
        assert!(
            preferences::enabled(reader, Id(1), "follow")
                .await
                .expect("on")
        );
        assert!(
            preferences::enabled(reader, Id(2), "reaction")
                .await
                .expect("others")
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
