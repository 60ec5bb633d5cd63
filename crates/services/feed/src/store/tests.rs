//! The replica's SQL on SQLite, and on PostgreSQL when one is reachable.

use chorus_core::Id;
use chorus_ports::{Db, DbTarget};

use super::graph;
use super::graph::{add_followers, celebrities, follower_count, followers, following, hidden};
use super::posts::{FeedPost, by_author, delete, home, insert, set_visibility};

async fn databases() -> Vec<Db> {
    let dir = std::env::temp_dir().join(format!("chorus-feed-store-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut targets = vec![DbTarget::SqliteFile(dir.join("feed.db"))];
    if let Some(url) = chorus_testkit::postgres_url() {
        let schema = chorus_testkit::unique_namespace("feed_store");
        targets.push(DbTarget::Postgres { url, schema });
    }
    let mut dbs = Vec::new();
    for target in targets {
        let db = Db::connect(&target).await.expect("connects");
        db.migrate(&crate::migrations()).await.expect("migrates");
        dbs.push(db);
    }
    dbs
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[tokio::test]
async fn an_older_event_does_not_undo_a_newer_one() {
    for db in databases().await {
        let mut tx = db.begin().await.expect("begin");
        let (ana, bo) = (Id(1), Id(2));
        // The unfollow (event 20) arrives before the follow (event 10) it undid.
        assert!(
            !graph::set_follow(&mut tx, ana, bo, false, Id(20))
                .await
                .expect("unfollow")
        );
        assert!(
            !graph::set_follow(&mut tx, ana, bo, true, Id(10))
                .await
                .expect("late follow")
        );
        assert!(followers(&mut tx, bo).await.expect("followers").is_empty());
        // A newer follow does change it, once.
        assert!(
            graph::set_follow(&mut tx, ana, bo, true, Id(30))
                .await
                .expect("follow")
        );
        assert!(
            !graph::set_follow(&mut tx, ana, bo, true, Id(31))
                .await
                .expect("again")
        );
        assert_eq!(followers(&mut tx, bo).await.expect("followers"), vec![ana]);
        tx.commit().await.expect("commit");
        assert_eq!(
            following(db.reader(), ana).await.expect("following"),
            vec![bo]
        );
    }
}

#[tokio::test]
async fn counts_add_up_and_celebrities_are_those_above_the_threshold() {
    for db in databases().await {
        let mut tx = db.begin().await.expect("begin");
        assert_eq!(add_followers(&mut tx, Id(7), 1).await.expect("add"), 1);
        assert_eq!(add_followers(&mut tx, Id(7), 1).await.expect("add"), 2);
        assert_eq!(add_followers(&mut tx, Id(7), -1).await.expect("remove"), 1);
        assert_eq!(add_followers(&mut tx, Id(8), 5).await.expect("add"), 5);
        assert_eq!(follower_count(&mut tx, Id(9)).await.expect("none"), 0);
        tx.commit().await.expect("commit");
        assert_eq!(
            celebrities(db.reader(), 1).await.expect("celebrities"),
            vec![Id(8)]
        );
    }
}

#[tokio::test]
async fn blocks_hide_both_ways() {
    for db in databases().await {
        let mut tx = db.begin().await.expect("begin");
        assert!(
            graph::set_block(&mut tx, Id(1), Id(2), true, Id(5))
                .await
                .expect("block")
        );
        assert!(
            graph::set_block(&mut tx, Id(3), Id(1), true, Id(6))
                .await
                .expect("block")
        );
        tx.commit().await.expect("commit");
        assert_eq!(
            hidden(db.reader(), Id(1)).await.expect("hidden"),
            vec![Id(2), Id(3)]
        );
        assert_eq!(
            hidden(db.reader(), Id(2)).await.expect("hidden"),
            vec![Id(1)]
        );
    }
}

#[tokio::test]
async fn home_holds_own_posts_and_followees_visible_ones_newest_first() {
    for db in databases().await {
        let (me, friend, stranger) = (Id(1), Id(2), Id(3));
        let mut tx = db.begin().await.expect("begin");
        graph::set_follow(&mut tx, me, friend, true, Id(1))
            .await
            .expect("follow");
        let post = |id, author, private| FeedPost {
            id: Id(id),
            author_id: author,
            private,
        };
        insert(&mut tx, post(100, me, true), "private", Id(2))
            .await
            .expect("mine");
        insert(&mut tx, post(101, friend, false), "public", Id(3))
            .await
            .expect("theirs");
        insert(&mut tx, post(102, friend, true), "private", Id(4))
            .await
            .expect("private");
        insert(&mut tx, post(103, stranger, false), "public", Id(5))
            .await
            .expect("stranger");
        insert(&mut tx, post(104, friend, false), "followers", Id(6))
            .await
            .expect("followers");
        assert!(
            !insert(&mut tx, post(104, friend, false), "followers", Id(6))
                .await
                .expect("again"),
            "a redelivered post is known"
        );
        tx.commit().await.expect("commit");

        let ids = |v: &[i64]| v.iter().map(|&n| Id(n)).collect::<Vec<_>>();
        let reader = db.reader();
        assert_eq!(
            home(reader, me, None, None, 10).await.expect("home"),
            ids(&[104, 101, 100])
        );
        assert_eq!(
            home(reader, me, Some(Id(104)), None, 1)
                .await
                .expect("page"),
            ids(&[101])
        );
        assert_eq!(
            home(reader, me, None, Some(Id(100)), 10)
                .await
                .expect("after"),
            ids(&[104, 101])
        );
        assert_eq!(
            by_author(reader, friend, None, 10)
                .await
                .expect("by author"),
            ids(&[104, 101])
        );

        let mut tx = db.begin().await.expect("begin");
        delete(&mut tx, Id(101), friend, Id(7))
            .await
            .expect("delete");
        // A deletion seen before its creation leaves a tombstone the creation cannot revive.
        delete(&mut tx, Id(105), friend, Id(8))
            .await
            .expect("early delete");
        assert!(
            !insert(&mut tx, post(105, friend, false), "public", Id(1))
                .await
                .expect("late")
        );
        let previous = set_visibility(&mut tx, Id(104), "private", Id(9))
            .await
            .expect("edit");
        assert_eq!(previous.as_deref(), Some("followers"));
        assert_eq!(
            set_visibility(&mut tx, Id(104), "public", Id(8))
                .await
                .expect("older edit"),
            None,
            "an older edit is ignored"
        );
        tx.commit().await.expect("commit");
        assert_eq!(
            home(reader, me, None, None, 10).await.expect("home"),
            ids(&[100])
        );
    }
}
