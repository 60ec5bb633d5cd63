//! The index on its own, on disk: ranking, slots, versions, rebuild
//! tombstones, hashtag counts and trends (with posts dated in the past,
//! which the API cannot make).

use chorus_core::Id;
use chorus_search::SearchIndex;
use chorus_search::index::hashtags::TrendWindow;
use chorus_search::index::{Change, PostDoc, UserDoc, Visibility};
use chorus_search::query::SearchQuery;

const HOUR_MS: i64 = 3_600_000;
const NOW_MS: i64 = 1_800_000_000_000;

fn post(id: i64, content: &str, hashtags: &[&str], visibility: Visibility, age_ms: i64) -> Change {
    Change::UpsertPost(PostDoc {
        id: Id(id),
        author_id: Id(1),
        visibility,
        content: content.to_string(),
        hashtags: hashtags.iter().map(|t| t.to_string()).collect(),
        created_at_ms: NOW_MS - age_ms,
    })
}

fn query(raw: &str) -> SearchQuery {
    SearchQuery::parse(Some(raw)).expect("a valid query")
}

fn top(index: &SearchIndex, raw: &str) -> Vec<i64> {
    index
        .top_posts(&query(raw), 100, NOW_MS)
        .expect("search")
        .into_iter()
        .map(|hit| hit.id.0)
        .collect()
}

fn open(dir: &tempfile::TempDir) -> SearchIndex {
    SearchIndex::open(dir.path()).expect("opens")
}

#[test]
fn relevance_comes_first_and_recency_lifts_equals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = open(&dir);
    index
        .apply(&[
            post(
                1,
                "kayak kayak kayak trip",
                &[],
                Visibility::Public,
                HOUR_MS,
            ),
            post(
                2,
                "a kayak and many other words in a long sentence here",
                &[],
                Visibility::Public,
                0,
            ),
            post(3, "kayak trip", &[], Visibility::Public, 30 * 24 * HOUR_MS),
            post(4, "kayak trip", &[], Visibility::Public, HOUR_MS),
        ])
        .expect("applied");
    let ranked = top(&index, "kayak");
    assert_eq!(ranked[0], 1, "as new, three mentions beat one: {ranked:?}");
    let newer = ranked.iter().position(|id| *id == 4).expect("4");
    let older = ranked.iter().position(|id| *id == 3).expect("3");
    assert!(newer < older, "equal text: the newer first: {ranked:?}");
}

#[test]
fn words_stem_phrases_keep_order_and_exclusions_exclude() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = open(&dir);
    index
        .apply(&[
            post(
                1,
                "Cycling through Café streets",
                &["Paris"],
                Visibility::Public,
                0,
            ),
            post(2, "streets of cycling", &[], Visibility::Public, 0),
        ])
        .expect("applied");
    assert_eq!(top(&index, "cycles cafe"), [1]);
    assert_eq!(top(&index, "\"cycling through\""), [1]);
    assert_eq!(top(&index, "\"through cycling\""), Vec::<i64>::new());
    assert_eq!(top(&index, "#paris"), [1]);
    let mut both = top(&index, "streets");
    both.sort();
    assert_eq!(both, [1, 2]);
    assert_eq!(top(&index, "streets -cafe"), [2]);
}

#[test]
fn an_edit_replaces_and_a_deletion_removes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = open(&dir);
    index
        .apply(&[post(1, "old words", &["a"], Visibility::Public, 0)])
        .expect("applied");
    index
        .apply(&[post(1, "new words", &["b"], Visibility::Public, 0)])
        .expect("edited");
    assert!(top(&index, "old").is_empty());
    assert_eq!(top(&index, "new"), [1]);
    assert_eq!(
        index.stored_post(Id(1)).expect("read"),
        Some(("new words".to_string(), vec!["b".to_string()]))
    );
    index.apply(&[Change::DeletePost(Id(1))]).expect("deleted");
    assert!(top(&index, "words").is_empty());
    assert_eq!(index.stored_post(Id(1)).expect("read"), None);
}

#[test]
fn instances_on_one_folder_get_their_own_slots_and_a_restart_its_old_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = open(&dir);
    let second = open(&dir);
    assert_eq!((first.slot, second.slot), (1, 2));
    assert_ne!(first.instance, second.instance, "each index its own queue");
    let first_instance = first.instance.clone();
    first
        .apply(&[post(7, "kept", &[], Visibility::Public, 0)])
        .expect("applied");
    first.commit(true).expect("complete");
    drop(first);
    let again = open(&dir);
    assert_eq!(again.slot, 1);
    assert_eq!(again.instance, first_instance, "a restart finds its queue");
    assert!(again.is_complete());
    assert!(again.last_commit_ms() > 0);
    assert_eq!(top(&again, "kept"), [7], "committed writes survive");
    assert!(
        SearchIndex::open_slot(dir.path(), 2)
            .expect("opens")
            .is_none(),
        "slot 2 is held"
    );
}

#[test]
fn an_index_of_another_version_is_emptied_to_be_rebuilt() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let index = open(&dir);
        index
            .apply(&[post(1, "stale", &[], Visibility::Public, 0)])
            .expect("applied");
    }
    // What an older build would have recorded.
    let meta = dir.path().join("1/posts/meta.json");
    let text = std::fs::read_to_string(&meta).expect("meta.json");
    let older = text.replace("\\\"schema\\\":1", "\\\"schema\\\":0");
    assert_ne!(text, older, "the payload names the schema: {text}");
    std::fs::write(&meta, older).expect("rewritten");
    let instance = std::fs::read_to_string(dir.path().join("1/instance")).expect("id");
    let index = open(&dir);
    assert!(!index.is_complete());
    assert!(top(&index, "stale").is_empty());
    assert_eq!(index.instance, instance, "a rebuild keeps the queue");
}

#[test]
fn a_rebuild_does_not_write_back_a_post_deleted_while_it_ran() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = open(&dir);
    index.track_deletions(true);
    // The consumer deletes post 1 after the rebuild read it...
    index.apply(&[Change::DeletePost(Id(1))]).expect("deleted");
    // ...and the rebuild writes what it read.
    let read = |id, content: &str| PostDoc {
        id: Id(id),
        author_id: Id(1),
        visibility: Visibility::Public,
        content: content.to_string(),
        hashtags: Vec::new(),
        created_at_ms: NOW_MS,
    };
    index
        .write_rebuilt_posts(vec![read(1, "ghost"), read(2, "ghost")])
        .expect("written");
    index.track_deletions(false);
    index.commit(true).expect("committed");
    assert_eq!(top(&index, "ghost"), [2]);
}

#[test]
fn users_match_by_prefix_of_username_or_name_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = open(&dir);
    let user = |id, username: &str, name: &str| {
        Change::UpsertUser(UserDoc {
            id: Id(id),
            username: username.to_string(),
            display_name: name.to_string(),
        })
    };
    index
        .apply(&[
            user(1, "marta_k", "Marta Kowalska"),
            user(2, "mart", "Someone"),
            user(3, "bob", "Mártin Smart"),
        ])
        .expect("applied");
    let find = |words: &[&str]| {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        index.top_users(&words, 10).expect("search")
    };
    assert_eq!(find(&["mart"])[0], Id(2), "the exact username first");
    assert!(find(&["mart"]).contains(&Id(1)));
    assert_eq!(find(&["kow"]), [Id(1)]);
    assert_eq!(find(&["marta", "kow"]), [Id(1)], "every word must match");
    assert_eq!(find(&["smart"]), [Id(3)]);
    assert!(find(&["zzz"]).is_empty());
}

#[test]
fn hashtags_count_public_posts_by_prefix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = open(&dir);
    index
        .apply(&[
            post(1, "a", &["rust", "rustconf"], Visibility::Public, 0),
            post(2, "b", &["rust"], Visibility::Public, 0),
            post(3, "c", &["rustconf"], Visibility::Private, 0),
            post(4, "d", &["ruby"], Visibility::Public, 0),
        ])
        .expect("applied");
    assert_eq!(
        index.hashtags_with_prefix("rus").expect("counted"),
        [("rust".to_string(), 2), ("rustconf".to_string(), 1)]
    );
    assert!(
        index
            .hashtags_with_prefix("zz")
            .expect("counted")
            .is_empty()
    );
}

#[test]
fn trends_rank_a_sudden_rise_above_a_steady_volume() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = open(&dir);
    let mut changes = Vec::new();
    let mut id = 0;
    let mut add = |tag: &'static str, hours_ago: i64, count: usize, visibility| {
        for _ in 0..count {
            id += 1;
            let age = hours_ago * HOUR_MS + HOUR_MS / 2;
            changes.push(post(id, "x", &[tag], visibility, age));
        }
    };
    // Steady: 20 an hour for seven hours, this one included.
    for hours_ago in 0..7 {
        add("weather", hours_ago, 20, Visibility::Public);
    }
    // Sudden: none before, 12 in the last hour.
    add("eclipse", 0, 12, Visibility::Public);
    // Private posts never make a trend.
    add("secret", 0, 50, Visibility::Private);
    // Falling: 30 an hour before, 5 now.
    for hours_ago in 1..7 {
        add("yesterday", hours_ago, 30, Visibility::Public);
    }
    add("yesterday", 0, 5, Visibility::Public);
    index.apply(&changes).expect("applied");

    let trends = index
        .trends(TrendWindow {
            now_ms: NOW_MS,
            window_ms: HOUR_MS,
            history: 6,
            min_posts: 2,
        })
        .expect("trends");
    let names: Vec<&str> = trends.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["eclipse"], "{trends:?}");
    assert_eq!(trends[0].posts_count, 12);
    assert_eq!(trends[0].previous_average, 0.0);
}
