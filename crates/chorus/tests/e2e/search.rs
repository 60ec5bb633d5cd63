//! Search through the gateway: posts by stemmed words, phrases, hashtags and
//! exclusions, ranked and paged; edits and deletions reflected; results cut
//! to what the caller may see; users by prefix; hashtags and trends; and
//! queries refused cleanly.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, assert_invalid_field, eventually, id_of, ids, items, token_of};

crate::in_both_modes!(
    posts_are_found_by_stems_phrases_hashtags_and_exclusions,
    edits_and_deletions_show_in_results_within_moments,
    results_show_only_what_the_caller_may_see,
    many_results_page_without_repeats,
    users_are_found_by_prefix_unless_a_block_hides_them,
    hashtags_are_found_by_prefix_and_trend_by_use,
    bad_queries_get_a_clean_400,
);

/// A word no other test uses, so results are this test's alone.
fn marker(label: &str) -> String {
    format!("{label}{:x}", rand::random::<u32>())
}

async fn search(api: &Api, viewer: Option<&User>, kind: &str, q: &str) -> Vec<Value> {
    let url = format!("/api/v1/search?type={kind}&q={}", urlencode(q));
    items(&api.get(&url, token_of(viewer)).await)
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Waits until `q` finds exactly the posts `expected` (in any order).
async fn finds(api: &Api, viewer: Option<&User>, q: &str, expected: &[&str]) -> Vec<Value> {
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    eventually(&format!("{q:?} finds {expected:?}"), || async {
        let found = search(api, viewer, "posts", q).await;
        let mut got = ids(&found);
        got.sort();
        if got == expected {
            Ok(found)
        } else {
            Err(format!("{got:?}"))
        }
    })
    .await
}

async fn posts_are_found_by_stems_phrases_hashtags_and_exclusions(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("seeker").await;
    let m = marker("tern");
    let running = id_of(
        &api.new_post(
            &ana,
            &format!("{m} Running marathons in the #RainyDay rain"),
            "public",
        )
        .await,
    );
    let spain = id_of(
        &api.new_post(
            &ana,
            &format!("{m} the rain in Spain stays mainly"),
            "public",
        )
        .await,
    );
    let rust = id_of(
        &api.new_post(
            &ana,
            &format!("{m} async runtimes compared #rainyday #rust"),
            "public",
        )
        .await,
    );

    // Stemming: "runs" finds "Running"; every word must match.
    finds(&api, None, &format!("{m} runs"), &[&running]).await;
    // A phrase matches in order only.
    finds(&api, None, &format!("{m} \"rain in spain\""), &[&spain]).await;
    finds(&api, None, &format!("{m} \"spain in rain\""), &[]).await;
    // Hashtags, any case.
    finds(&api, None, &format!("{m} #RAINYDAY"), &[&running, &rust]).await;
    // Exclusions.
    let found = finds(&api, None, &format!("{m} rain -spain"), &[&running]).await;
    // A result is the post as API.md shows it.
    assert_eq!(found[0]["author"]["username"], ana.username.as_str());
    assert_eq!(found[0]["visibility"], "public");
    assert_eq!(found[0]["hashtags"], json!(["rainyday"]));
}

async fn edits_and_deletions_show_in_results_within_moments(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("editor").await;
    let m = marker("heron");
    // A query asked before the post exists: its cached (empty) answer must
    // not hide the new post.
    finds(&api, None, &format!("{m} lighthouse"), &[]).await;
    let started = Instant::now();
    let post = id_of(
        &api.new_post(&ana, &format!("{m} a lighthouse at dusk"), "public")
            .await,
    );
    finds(&api, None, &format!("{m} lighthouse"), &[&post]).await;
    within_a_second(app, started, "a new post");

    let edited = api
        .patch(
            &format!("/api/v1/posts/{post}"),
            ana.token(),
            &json!({"content": format!("{m} a windmill at dawn")}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let started = Instant::now();
    finds(&api, None, &format!("{m} windmill"), &[&post]).await;
    finds(&api, None, &format!("{m} lighthouse"), &[]).await;
    within_a_second(app, started, "an edit");

    let deleted = api
        .delete(&format!("/api/v1/posts/{post}"), ana.token())
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let started = Instant::now();
    finds(&api, None, &format!("{m} windmill"), &[]).await;
    within_a_second(app, started, "a deletion");
}

/// Changes show in results within a second of being acknowledged. Checked
/// on `chorus up`; a distributed deployment under a whole test suite's load
/// only has to get there (`finds` waits), and the benchmark measures it.
fn within_a_second(app: &Chorus, started: Instant, what: &str) {
    let took = started.elapsed();
    println!("{what} showed in search after {took:?}");
    if app.mode == crate::harness::Mode::Embedded {
        assert!(
            took < std::time::Duration::from_secs(1),
            "{what} took {took:?}"
        );
    }
}

async fn results_show_only_what_the_caller_may_see(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("author").await;
    let follower = api.user("follower").await;
    let stranger = api.user("stranger").await;
    let blocked = api.user("blocked").await;
    api.follows(&follower, &ana, "following").await;
    api.follows(&blocked, &ana, "following").await;
    let answer = api.block(&ana, &blocked.id).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);

    let m = marker("otter");
    let public = id_of(
        &api.new_post(&ana, &format!("{m} for everyone"), "public")
            .await,
    );
    let followers = id_of(
        &api.new_post(&ana, &format!("{m} for followers"), "followers")
            .await,
    );
    let private = id_of(&api.new_post(&ana, &format!("{m} for me"), "private").await);

    finds(&api, Some(&ana), &m, &[&public, &followers, &private]).await;
    finds(&api, Some(&follower), &m, &[&public, &followers]).await;
    finds(&api, Some(&stranger), &m, &[&public]).await;
    finds(&api, None, &m, &[&public]).await;
    finds(&api, Some(&blocked), &m, &[]).await;
}

async fn many_results_page_without_repeats(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("prolific").await;
    let m = marker("swift");
    let mut posted = Vec::new();
    for n in 0..25 {
        posted.push(id_of(
            &api.new_post(&ana, &format!("{m} number {n}"), "public")
                .await,
        ));
    }
    let all: Vec<&str> = posted.iter().map(String::as_str).collect();
    eventually("all 25 indexed", || async {
        let url = format!("/api/v1/search?q={m}&limit=100");
        let found = items(&api.get(&url, None).await);
        if found.len() == 25 {
            Ok(())
        } else {
            Err(found.len().to_string())
        }
    })
    .await;
    let pages = api
        .pages(&format!("/api/v1/search?q={m}"), None, 10, id_of)
        .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let mut seen: Vec<String> = pages.iter().flatten().map(id_of).collect();
    seen.sort();
    let mut expected: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    // Equally relevant: the newest first.
    assert_eq!(id_of(&pages[0][0]), posted[24]);
}

async fn users_are_found_by_prefix_unless_a_block_hides_them(app: &Chorus) {
    let api = Api::new(&app.base);
    let prefix = marker("zq");
    let exact = api.user(&prefix).await;
    let longer = api.user(&format!("{prefix}x")).await;
    let named = api.user("named").await;
    let answer = api
        .update_me(
            &named,
            &json!({"display_name": format!("Captain {prefix}fish")}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let viewer = api.user("viewer").await;

    let everyone = [exact.id.as_str(), longer.id.as_str(), named.id.as_str()];
    eventually("three users by prefix", || async {
        let found = search(&api, Some(&viewer), "users", &prefix).await;
        let mut got = ids(&found);
        got.sort();
        let mut want: Vec<String> = everyone.iter().map(|s| s.to_string()).collect();
        want.sort();
        if got == want {
            Ok(found)
        } else {
            Err(format!("{got:?}"))
        }
    })
    .await;
    // The exact username first; each result is a profile.
    let exact_name = exact.username.clone();
    let found = search(&api, Some(&viewer), "users", &exact_name).await;
    assert_eq!(id_of(&found[0]), exact.id, "{found:?}");
    assert!(found[0]["followers_count"].is_number());

    let answer = api.block(&longer, &viewer.id).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let found = search(&api, Some(&viewer), "users", &prefix).await;
    assert!(
        !ids(&found).contains(&longer.id),
        "a block hides: {found:?}"
    );
}

async fn hashtags_are_found_by_prefix_and_trend_by_use(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("tagger").await;
    let tag = marker("eclipse");
    for n in 0..3 {
        api.new_post(&ana, &format!("look #{tag}now {n}"), "public")
            .await;
    }
    api.new_post(&ana, &format!("once #{tag}later"), "public")
        .await;
    api.new_post(&ana, &format!("hidden #{tag}secret"), "private")
        .await;

    let expected = json!([
        {"name": format!("{tag}now"), "posts_count": 3},
        {"name": format!("{tag}later"), "posts_count": 1},
    ]);
    eventually("hashtags by prefix", || async {
        let found = search(&api, None, "hashtags", &format!("#{tag}")).await;
        if Value::Array(found.clone()) == expected {
            Ok(())
        } else {
            Err(format!("{found:?}"))
        }
    })
    .await;

    eventually(
        "the tag used three times trends above the one used once",
        || async {
            let trends = items(&api.get("/api/v1/trends?limit=100", None).await);
            let rank = |name: String| trends.iter().position(|t| t["name"] == name.as_str());
            let (now, later) = (rank(format!("{tag}now")), rank(format!("{tag}later")));
            assert_eq!(
                rank(format!("{tag}secret")),
                None,
                "private posts never trend"
            );
            match (now, later) {
                (Some(now), Some(later)) if now < later && trends[now]["posts_count"] == 3 => {
                    assert!(trends[now]["score"].as_f64().expect("score") > 0.0);
                    Ok(())
                }
                _ => Err(format!("{trends:?}")),
            }
        },
    )
    .await;
}

async fn bad_queries_get_a_clean_400(app: &Chorus) {
    let api = Api::new(&app.base);
    let long = "a".repeat(10 * 1024);
    for (query, what) in [
        ("", "no q"),
        ("q=", "an empty q"),
        ("q=%20%20", "a blank q"),
        (&format!("q={long}") as &str, "a 10 KB q"),
        ("q=title%3Arust", "field syntax"),
        ("q=%28rust", "a parenthesis"),
        ("q=rust*", "a wildcard"),
        ("q=%22unclosed", "an unclosed quote"),
        ("q=-java", "only an exclusion"),
    ] {
        let answer = api.get(&format!("/api/v1/search?{query}"), None).await;
        assert_invalid_field(&answer, "q", what);
    }
    let answer = api.get("/api/v1/search?q=rust&type=videos", None).await;
    assert_invalid_field(&answer, "type", "an unknown type");
    let answer = api.get("/api/v1/search?q=rust&cursor=nonsense", None).await;
    assert_invalid_field(&answer, "cursor", "a cursor it did not give");
    let answer = api.get("/api/v1/search?q=rust&limit=0", None).await;
    assert_invalid_field(&answer, "limit", "a zero limit");
    let answer = api.get("/api/v1/trends?limit=ten", None).await;
    assert_invalid_field(&answer, "limit", "a bad trends limit");
    // Punctuation inside quotes is searched, not refused.
    let answer = api.get("/api/v1/search?q=%22(a*b)%3Ac%22", None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

/// `chorus reindex` on a stopped `chorus up` rebuilds its index from the
/// posts and users databases (here after the index folder was lost), and
/// refuses while `chorus up` runs and holds the index.
#[tokio::test]
async fn reindex_rebuilds_a_lost_index_and_refuses_while_running() {
    chorus_testkit::init_test_logs();
    let app = Chorus::embedded().await;
    let api = Api::new(&app.base);
    let ana = api.user("archivist").await;
    let m = marker("ibis");
    let post = id_of(
        &api.new_post(&ana, &format!("{m} kept in the archive"), "public")
            .await,
    );
    finds(&api, None, &m, &[&post]).await;

    let busy = crate::harness::run_to_end(&app.dir, &["reindex"], &[]).await;
    assert!(!busy.status.success(), "reindex while running must fail");
    let said = String::from_utf8_lossy(&busy.stderr);
    assert!(said.contains("in use"), "{said}");

    let dir = app.dir.clone();
    let statuses = app.terminate().await;
    assert!(statuses.iter().all(|s| s.success()), "{statuses:?}");
    std::fs::remove_dir_all(dir.join("data/search")).expect("the index folder");
    let done = crate::harness::run_to_end(&dir, &["reindex"], &[]).await;
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(said.contains("reindexed search slot 1: 1 posts"), "{said}");

    let app = Chorus::embedded_in(dir, "127.0.0.1:0").await;
    let api = Api::new(&app.base);
    let found = search(&api, None, "posts", &m).await;
    assert_eq!(ids(&found), [post], "found at once, no event needed");
    let found = search(&api, None, "users", &ana.username).await;
    assert_eq!(id_of(&found[0]), ana.id);
}

/// Two search instances answer a query alike, and an instance started
/// later fills its own index from the owning services before it says it
/// is ready, then answers alike too.
#[tokio::test]
async fn search_instances_answer_alike_and_a_new_one_catches_up() {
    chorus_testkit::init_test_logs();
    let Some(mut app) = Chorus::distributed_scaled(&[], 2).await else {
        return;
    };
    let api = Api::new(&app.base);
    let ana = api.user("plural").await;
    let m = marker("wren");
    let mut posted = Vec::new();
    for n in 0..5 {
        let text = format!("{m} song {n} {}", "la ".repeat(n));
        posted.push(id_of(&api.new_post(&ana, &text, "public").await));
    }
    let expected: Vec<&str> = posted.iter().map(String::as_str).collect();
    finds(&api, None, &m, &expected).await;

    let newcomer = app.start_instance("search").await;
    let http = reqwest::Client::new();
    eventually("the new instance is ready", || async {
        let status = http
            .get(format!("{newcomer}/ready"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .status();
        if status == StatusCode::OK {
            Ok(())
        } else {
            Err(status.to_string())
        }
    })
    .await;
    let mut answers = Vec::new();
    for instance in app.instances["search"].clone() {
        let direct = Api::new(&instance);
        let found = search(&direct, None, "posts", &m).await;
        answers.push((instance, ids(&found)));
    }
    assert_eq!(answers.len(), 3);
    for (instance, answer) in &answers {
        assert_eq!(answer.len(), 5, "{instance}: {answer:?}");
        assert_eq!(answer, &answers[0].1, "{instance} answers like the first");
    }
}
