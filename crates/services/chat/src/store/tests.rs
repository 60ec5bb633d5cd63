//! The chat's SQL on SQLite, and on PostgreSQL when one is reachable.

use chorus_core::Id;
use chorus_core::time::{from_micros, to_micros};
use chorus_ports::{Db, DbTarget};

use super::calls::{self, CallRecord};
use super::conversations::{self, ConversationRecord, Position};
use super::messages::{self, MessageRecord};
use super::{last_seen, members};
use crate::domain::{CallKind, CallState, ConversationKind};

async fn databases() -> Vec<Db> {
    let dir = std::env::temp_dir().join(format!("chorus-chat-store-{}", unique()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut targets = vec![DbTarget::SqliteFile(dir.join("chat.db"))];
    match chorus_testkit::postgres_url() {
        Some(url) => {
            let schema = chorus_testkit::unique_namespace("chat_store");
            targets.push(DbTarget::Postgres { url, schema });
        }
        None => eprintln!("skipped: PostgreSQL unreachable; SQLite only"),
    }
    let mut dbs = Vec::new();
    for target in targets {
        let db = Db::connect(&target).await.expect("connects");
        db.migrate(&crate::migrations()).await.expect("migrates");
        dbs.push(db);
    }
    dbs
}

fn unique() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn conversation(id: i64, kind: ConversationKind, at: i64) -> ConversationRecord {
    ConversationRecord {
        id: Id(id),
        kind,
        title: None,
        created_by: Id(1),
        created_at: from_micros(at),
        last_activity_at: at,
        last_message_id: None,
    }
}

fn message(id: i64, conversation: i64, sender: i64) -> MessageRecord {
    MessageRecord {
        id: Id(id),
        conversation_id: Id(conversation),
        sender_id: Id(sender),
        content: format!("message {id}"),
        created_at: from_micros(id * 1_000),
    }
}

#[tokio::test]
async fn a_pair_has_one_direct_conversation() {
    for db in databases().await {
        let key = conversations::direct_key(Id(9), Id(3));
        assert_eq!(key, conversations::direct_key(Id(3), Id(9)));
        let first = conversation(100, ConversationKind::Direct, 1);
        assert!(
            conversations::insert(db.writer(), &first, Some(&key))
                .await
                .expect("insert")
        );
        let second = conversation(101, ConversationKind::Direct, 2);
        assert!(
            !conversations::insert(db.writer(), &second, Some(&key))
                .await
                .expect("conflict"),
            "the pair's key is taken"
        );
        // Groups have no key, and never collide.
        for id in [102, 103] {
            let group = conversation(id, ConversationKind::Group, 3);
            assert!(
                conversations::insert(db.writer(), &group, None)
                    .await
                    .expect("group")
            );
        }
        let found = conversations::find_direct(db.reader(), &key)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(found, first);
    }
}

#[tokio::test]
async fn a_member_lists_conversations_by_latest_activity() {
    for db in databases().await {
        let me = Id(1);
        for (id, at) in [(10, 100), (11, 200), (12, 300)] {
            let record = conversation(id, ConversationKind::Group, at);
            conversations::insert(db.writer(), &record, None)
                .await
                .expect("insert");
            members::insert(db.writer(), Id(id), me, from_micros(at))
                .await
                .expect("member");
        }
        // Someone else's conversation is not listed.
        conversations::insert(
            db.writer(),
            &conversation(13, ConversationKind::Group, 400),
            None,
        )
        .await
        .expect("insert");
        conversations::touch(db.writer(), Id(10), Id(500), from_micros(500))
            .await
            .expect("touch");

        let page = conversations::of_member(db.reader(), me, Position::START, 2)
            .await
            .expect("list");
        let ids: Vec<i64> = page.iter().map(|(c, _)| c.id.as_i64()).collect();
        assert_eq!(ids, [10, 12]);
        assert_eq!(page[0].0.last_message_id, Some(Id(500)));
        let last = &page[1].0;
        let after = Position {
            at: last.last_activity_at,
            id: last.id.as_i64(),
        };
        assert_eq!(Position::decode(&after.encode()), Some(after));
        let rest = conversations::of_member(db.reader(), me, after, 2)
            .await
            .expect("rest");
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].0.id, Id(11));
        assert_eq!(
            conversations::ids_of_member(db.reader(), me, 10)
                .await
                .expect("ids"),
            vec![Id(10), Id(12), Id(11)]
        );
    }
}

#[tokio::test]
async fn history_pages_go_back_in_time() {
    for db in databases().await {
        for id in 1..=5 {
            messages::insert(db.writer(), &message(id, 7, 1))
                .await
                .expect("insert");
        }
        messages::insert(db.writer(), &message(6, 8, 1))
            .await
            .expect("elsewhere");
        let newest = messages::before(db.reader(), Id(7), None, 2)
            .await
            .expect("page");
        assert_eq!(
            newest.iter().map(|m| m.id.as_i64()).collect::<Vec<_>>(),
            [5, 4]
        );
        let older = messages::before(db.reader(), Id(7), Some(Id(4)), 10)
            .await
            .expect("older");
        assert_eq!(
            older.iter().map(|m| m.id.as_i64()).collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert_eq!(newest[0], message(5, 7, 1));
        let mut conn = db.reader().acquire().await.expect("conn");
        let mut found = messages::find_many(&mut conn, &[Id(2), Id(6), Id(99)])
            .await
            .expect("many");
        found.sort_by_key(|m| m.id);
        assert_eq!(found, vec![message(2, 7, 1), message(6, 8, 1)]);
    }
}

#[tokio::test]
async fn receipts_only_move_forward_and_unread_counts_skip_own_messages() {
    for db in databases().await {
        let (ana, bo, room) = (Id(1), Id(2), Id(50));
        conversations::insert(
            db.writer(),
            &conversation(50, ConversationKind::Direct, 1),
            None,
        )
        .await
        .expect("insert");
        for user in [ana, bo] {
            members::insert(db.writer(), room, user, from_micros(1))
                .await
                .expect("member");
        }
        for (id, sender) in [(10, 1), (11, 2), (12, 2), (13, 1)] {
            messages::insert(db.writer(), &message(id, 50, sender))
                .await
                .expect("message");
        }
        let mut conn = db.reader().acquire().await.expect("conn");
        let unread = members::unread_counts(&mut conn, ana, &[room])
            .await
            .expect("counts");
        assert_eq!(unread.get(&room), Some(&2), "bo's two messages");
        drop(conn);

        let at = from_micros(99);
        assert!(
            members::mark_read(db.writer(), room, ana, Id(11), at)
                .await
                .expect("read")
        );
        assert!(
            !members::mark_read(db.writer(), room, ana, Id(10), at)
                .await
                .expect("older"),
            "a receipt never moves back"
        );
        let mut conn = db.reader().acquire().await.expect("conn");
        let unread = members::unread_counts(&mut conn, ana, &[room])
            .await
            .expect("counts");
        assert_eq!(unread.get(&room), Some(&1));
        let everyone = members::of_many(&mut conn, &[room]).await.expect("members");
        assert_eq!(everyone.get(&room), Some(&vec![ana, bo]));
        drop(conn);
        assert!(members::is_member(db.reader(), room, bo).await.expect("is"));
        assert!(
            !members::is_member(db.reader(), room, Id(3))
                .await
                .expect("is not")
        );
    }
}

#[tokio::test]
async fn a_call_changes_state_only_from_the_state_expected() {
    for db in databases().await {
        let started = from_micros(to_micros(chorus_core::time::now()));
        let call = CallRecord {
            id: Id(70),
            conversation_id: Id(5),
            initiator_id: Id(1),
            kind: CallKind::Video,
            state: CallState::Ringing,
            started_at: started,
            answered_at: None,
            ended_at: None,
        };
        calls::insert(db.writer(), &call).await.expect("insert");
        let answered = from_micros(to_micros(started) + 5);
        assert!(
            calls::transition(
                db.writer(),
                call.id,
                CallState::Ringing,
                CallState::Active,
                answered
            )
            .await
            .expect("accept")
        );
        assert!(
            !calls::transition(
                db.writer(),
                call.id,
                CallState::Ringing,
                CallState::Rejected,
                answered
            )
            .await
            .expect("late reject"),
            "a call no longer ringing cannot be rejected"
        );
        let ended = from_micros(to_micros(started) + 9);
        assert!(
            calls::transition(
                db.writer(),
                call.id,
                CallState::Active,
                CallState::Ended,
                ended
            )
            .await
            .expect("hang up")
        );
        let stored = calls::find(db.reader(), call.id)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(stored.state, CallState::Ended);
        assert_eq!(stored.kind, CallKind::Video);
        assert_eq!(stored.answered_at, Some(answered));
        assert_eq!(stored.ended_at, Some(ended));

        let mut second = call.clone();
        second.id = Id(71);
        calls::insert(db.writer(), &second).await.expect("second");
        let listed = calls::before(db.reader(), Id(5), None, 10)
            .await
            .expect("list");
        assert_eq!(
            listed.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![Id(71), Id(70)]
        );
    }
}

#[tokio::test]
async fn last_seen_keeps_the_latest_time() {
    for db in databases().await {
        last_seen::record(db.writer(), Id(1), from_micros(10))
            .await
            .expect("first");
        last_seen::record(db.writer(), Id(1), from_micros(20))
            .await
            .expect("again");
        let mut conn = db.reader().acquire().await.expect("conn");
        let seen = last_seen::of_many(&mut conn, &[Id(1), Id(2)])
            .await
            .expect("read");
        assert_eq!(seen.get(&Id(1)), Some(&from_micros(20)));
        assert!(!seen.contains_key(&Id(2)));
    }
}
