//! After a fault: every acknowledged write is readable, every event arrived
//! (feeds, notifications, search and counters agree with the source of
//! truth), and nothing was applied twice. Events take their time, so the
//! checks are retried until they pass or time runs out.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use super::load::{Actor, Mix, PostRecord, text};

/// What a round of checks found wrong, in words; empty when all holds.
pub type Problems = Vec<String>;

/// Checks the writes acknowledged since `since` (posts, comments, likes,
/// messages, follows), over and over until they hold or `patience` is
/// spent; returns what still fails and how long it took to converge.
pub async fn converge(
    mix: &Mix,
    search_instances: &[String],
    since: Instant,
    patience: Duration,
) -> (Problems, Duration) {
    let started = Instant::now();
    loop {
        let problems = check(mix, search_instances, since).await;
        if problems.is_empty() || started.elapsed() >= patience {
            return (problems, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn check(mix: &Mix, search_instances: &[String], since: Instant) -> Problems {
    let snapshot = Snapshot::take(mix, since);
    let mut reads = Reads::default();
    let mut problems = Vec::new();
    for post in &snapshot.posts {
        if let Err(error) = check_post(mix, &snapshot, &mut reads, post, search_instances).await {
            problems.push(format!("post {}: {error:#}", post.id));
        }
    }
    for (post, likers) in &snapshot.likes {
        if let Err(error) = check_engagement(mix, &snapshot, &mut reads, post, likers).await {
            problems.push(format!("post {post}: {error:#}"));
        }
    }
    for (conversation, (members, ids)) in &snapshot.conversations {
        if let Err(error) = check_messages(mix, &snapshot, conversation, members, ids).await {
            problems.push(format!("conversation {conversation}: {error:#}"));
        }
    }
    if let Err(error) = check_followers(mix, &snapshot).await {
        problems.push(format!("followers: {error:#}"));
    }
    for user in &snapshot.new_users {
        let path = format!("/api/v1/users/{}", user.id);
        if let Err(error) = mix.send(Method::GET, &path, Some(&user.token), None).await {
            problems.push(format!("user {}: not readable: {error:#}", user.id));
        }
    }
    problems
}

/// Lists read once per round and shared by the checks: home feeds and
/// notifications, per user.
#[derive(Default)]
struct Reads {
    feeds: BTreeMap<String, Vec<String>>,
    /// user → the posts they were notified of a reaction to.
    reacted: BTreeMap<String, BTreeSet<String>>,
}

/// The part of the ledger this round checks, copied out of its lock.
struct Snapshot {
    posts: Vec<PostRecord>,
    new_users: Vec<Actor>,
    /// Any user's token, to read with.
    reader: Option<Actor>,
    follows: BTreeMap<(String, String), Instant>,
    uncertain_follows: BTreeSet<(String, String)>,
    /// post → acknowledged likers, for the posts liked or commented on.
    likes: BTreeMap<String, BTreeSet<String>>,
    uncertain_likes: BTreeMap<String, BTreeSet<String>>,
    comments: BTreeMap<String, Vec<String>>,
    uncertain_comments: BTreeMap<String, usize>,
    authors: BTreeMap<String, Actor>,
    conversations: BTreeMap<String, (Vec<Actor>, Vec<String>)>,
    uncertain_messages: BTreeMap<String, usize>,
}

impl Snapshot {
    fn take(mix: &Mix, since: Instant) -> Self {
        let ledger = mix.ledger.lock().expect("ledger");
        let posts: Vec<PostRecord> = ledger
            .posts
            .iter()
            .filter(|p| p.at >= since)
            .cloned()
            .collect();
        let authors: BTreeMap<String, Actor> = ledger
            .users
            .iter()
            .map(|user| (user.id.clone(), user.clone()))
            .collect();
        // Engagement is checked on the posts liked or commented on since.
        let mut likes: BTreeMap<String, BTreeSet<String>> = ledger
            .touched
            .iter()
            .filter(|(_, at)| **at >= since)
            .map(|(post, _)| {
                (
                    post.clone(),
                    ledger.likes.get(post).cloned().unwrap_or_default(),
                )
            })
            .collect();
        let author_of: BTreeMap<&str, &str> = ledger
            .posts
            .iter()
            .map(|p| (p.id.as_str(), p.author.as_str()))
            .collect();
        likes.retain(|post, _| author_of.contains_key(post.as_str()));
        Self {
            new_users: ledger
                .users
                .iter()
                .skip(ledger.users.len().saturating_sub(20))
                .cloned()
                .collect(),
            reader: ledger.users.first().cloned(),
            follows: ledger.follows.clone(),
            uncertain_follows: ledger.uncertain_follows.clone(),
            likes,
            uncertain_likes: ledger.uncertain_likes.clone(),
            comments: ledger.comments.clone(),
            uncertain_comments: ledger.uncertain_comments.clone(),
            authors,
            conversations: ledger.conversations.clone(),
            uncertain_messages: ledger.uncertain_messages.clone(),
            posts,
        }
    }

    fn token(&self, user: &str) -> Option<&str> {
        self.authors.get(user).map(|a| a.token.as_str())
    }
}

/// Readable; in each search instance's results exactly once; in the home
/// feed of everyone who followed its author before it was written.
async fn check_post(
    mix: &Mix,
    snapshot: &Snapshot,
    reads: &mut Reads,
    post: &PostRecord,
    search_instances: &[String],
) -> anyhow::Result<()> {
    let token = snapshot.token(&post.author);
    mix.send(
        Method::GET,
        &format!("/api/v1/posts/{}", post.id),
        token,
        None,
    )
    .await
    .map_err(|error| anyhow::anyhow!("not readable: {error:#}"))?;
    for instance in search_instances {
        let url = format!("{instance}/api/v1/search?q={}&type=posts", post.word);
        let answer: Value = mix
            .client
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let hits = ids(&answer);
        anyhow::ensure!(
            hits == [post.id.clone()],
            "search instance {instance} finds {hits:?} for its word"
        );
    }
    for ((follower, followee), at) in &snapshot.follows {
        if *followee != post.author || *at > post.at {
            continue;
        }
        let Some(token) = snapshot.token(follower) else {
            continue;
        };
        if !reads.feeds.contains_key(follower) {
            let feed = all_pages(mix, "/api/v1/feed", token, 300).await?;
            reads.feeds.insert(follower.clone(), feed);
        }
        let feed = &reads.feeds[follower];
        let count = feed.iter().filter(|id| **id == post.id).count();
        anyhow::ensure!(count == 1, "in {follower}'s feed {count} times");
    }
    Ok(())
}

/// The like count and the comment count match what was acknowledged (give
/// or take the requests that failed without a verdict), every acknowledged
/// comment is listed once, and the author was notified of the likes.
async fn check_engagement(
    mix: &Mix,
    snapshot: &Snapshot,
    reads: &mut Reads,
    post_id: &str,
    likers: &BTreeSet<String>,
) -> anyhow::Result<()> {
    let reader = snapshot.reader.as_ref().map(|r| r.token.as_str());
    let post = mix
        .send(
            Method::GET,
            &format!("/api/v1/posts/{post_id}"),
            reader,
            None,
        )
        .await?;
    let likes = post["reaction_counts"]["like"].as_u64().unwrap_or(0) as usize;
    let maybe = snapshot
        .uncertain_likes
        .get(post_id)
        .map_or(0, |users| users.difference(likers).count());
    anyhow::ensure!(
        (likers.len()..=likers.len() + maybe).contains(&likes),
        "{likes} likes, {} acknowledged (+{maybe} unsure)",
        likers.len()
    );
    let acknowledged = snapshot.comments.get(post_id).cloned().unwrap_or_default();
    let maybe = snapshot
        .uncertain_comments
        .get(post_id)
        .copied()
        .unwrap_or(0);
    let count = post["comment_count"].as_u64().unwrap_or(0) as usize;
    anyhow::ensure!(
        (acknowledged.len()..=acknowledged.len() + maybe).contains(&count),
        "comment_count {count}, {} acknowledged (+{maybe} unsure)",
        acknowledged.len()
    );
    let listed = all_pages(
        mix,
        &format!("/api/v1/posts/{post_id}/comments"),
        reader.unwrap_or_default(),
        1000,
    )
    .await?;
    let unique: BTreeSet<&String> = listed.iter().collect();
    anyhow::ensure!(unique.len() == listed.len(), "a comment is listed twice");
    for id in &acknowledged {
        anyhow::ensure!(unique.contains(id), "comment {id} is missing");
    }
    let author = post["author"]["id"].as_str().unwrap_or_default();
    let others = likers.iter().any(|liker| liker != author);
    if others && let Some(token) = snapshot.token(author) {
        if !reads.reacted.contains_key(author) {
            let reacted = reactions_notified(mix, token).await?;
            reads.reacted.insert(author.to_string(), reacted);
        }
        anyhow::ensure!(
            reads.reacted[author].contains(post_id),
            "its author has no reaction notification"
        );
    }
    Ok(())
}

/// The posts `token`'s user was notified of a reaction to (newest 2,000
/// notifications).
async fn reactions_notified(mix: &Mix, token: &str) -> anyhow::Result<BTreeSet<String>> {
    let items = all_items(mix, "/api/v1/notifications", token, 2_000).await?;
    Ok(items
        .iter()
        .filter(|item| item["type"] == "reaction")
        .filter_map(|item| item["subject"]["id"].as_str().map(str::to_string))
        .collect())
}

/// Every acknowledged message is in the history once; the history holds no
/// more than was acknowledged, give or take failed requests.
async fn check_messages(
    mix: &Mix,
    snapshot: &Snapshot,
    conversation: &str,
    members: &[Actor],
    acknowledged: &[String],
) -> anyhow::Result<()> {
    let Some(member) = members.first() else {
        return Ok(());
    };
    let listed = all_pages(
        mix,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &member.token,
        10_000,
    )
    .await?;
    let unique: BTreeSet<&String> = listed.iter().collect();
    anyhow::ensure!(unique.len() == listed.len(), "a message is listed twice");
    for id in acknowledged {
        anyhow::ensure!(unique.contains(id), "message {id} is missing");
    }
    let maybe = snapshot
        .uncertain_messages
        .get(conversation)
        .copied()
        .unwrap_or(0);
    anyhow::ensure!(
        listed.len() <= acknowledged.len() + maybe,
        "{} messages listed, {} acknowledged (+{maybe} unsure)",
        listed.len(),
        acknowledged.len()
    );
    Ok(())
}

/// Each followed user's follower count matches the acknowledged follows.
async fn check_followers(mix: &Mix, snapshot: &Snapshot) -> anyhow::Result<()> {
    let mut followers: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, followee) in snapshot.follows.keys() {
        *followers.entry(followee.as_str()).or_default() += 1;
    }
    let reader = snapshot.reader.as_ref().map(|r| r.token.as_str());
    for (user, expected) in followers {
        let profile = mix
            .send(Method::GET, &format!("/api/v1/users/{user}"), reader, None)
            .await?;
        let count = profile["followers_count"].as_u64().unwrap_or(0) as usize;
        let maybe = snapshot
            .uncertain_follows
            .iter()
            .filter(|pair| pair.1 == user && !snapshot.follows.contains_key(*pair))
            .count();
        anyhow::ensure!(
            (expected..=expected + maybe).contains(&count),
            "{user} has {count} followers, {expected} acknowledged (+{maybe} unsure)"
        );
    }
    Ok(())
}

/// The ids of a list's items, page after page, up to `most`.
async fn all_pages(mix: &Mix, path: &str, token: &str, most: usize) -> anyhow::Result<Vec<String>> {
    let items = all_items(mix, path, token, most).await?;
    Ok(items
        .iter()
        .filter_map(|item| text(&item["id"]).ok())
        .collect())
}

/// A list's items, page after page (100 a page), until `most` are read.
async fn all_items(mix: &Mix, path: &str, token: &str, most: usize) -> anyhow::Result<Vec<Value>> {
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    let token = (!token.is_empty()).then_some(token);
    while found.len() < most {
        let page_path = match &cursor {
            Some(cursor) => format!("{path}?limit=100&cursor={cursor}"),
            None => format!("{path}?limit=100"),
        };
        let page = mix.send(Method::GET, &page_path, token, None).await?;
        found.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    Ok(found)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| text(&item["id"]).ok())
                .collect()
        })
        .unwrap_or_default()
}
