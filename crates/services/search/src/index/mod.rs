//! The on-disk full-text index: tantivy, one index for posts and one for
//! users, in a numbered slot folder under `<data_dir>/search/`.
//!
//! Each search instance claims the first slot whose writer lock is free
//! (tantivy's lock file, released by the OS if the process dies), so
//! instances sharing a data folder each get their own index, and a
//! restarted instance gets its old one back. Every write is committed
//! before the events that caused it are acknowledged: what the bus
//! forgets, the index keeps.

mod handle;
pub mod hashtags;
pub mod posts;
pub mod schema;
pub mod users;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chorus_core::Id;
use serde::{Deserialize, Serialize};
use tantivy::schema::Value;
use tantivy::{TantivyDocument, Term};

use self::handle::IndexHandle;
use self::schema::{PostFields, SCHEMA_VERSION, UserFields};

/// More instances than this on one data folder is a mistake, not a plan.
const MAX_SLOTS: u32 = 64;

/// Who may see a post, as the index keeps it (a number, to filter fast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public = 0,
    Followers = 1,
    Private = 2,
}

impl Visibility {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "public" => Some(Self::Public),
            "followers" => Some(Self::Followers),
            "private" => Some(Self::Private),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Followers => "followers",
            Self::Private => "private",
        }
    }

    fn from_u64(raw: u64) -> Self {
        match raw {
            0 => Self::Public,
            1 => Self::Followers,
            _ => Self::Private,
        }
    }
}

/// A post as indexed.
#[derive(Debug, Clone, PartialEq)]
pub struct PostDoc {
    pub id: Id,
    pub author_id: Id,
    pub visibility: Visibility,
    pub content: String,
    /// Lowercase, without `#`.
    pub hashtags: Vec<String>,
    pub created_at_ms: i64,
}

/// An account as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDoc {
    pub id: Id,
    pub username: String,
    pub display_name: String,
}

/// One write; a batch of them is applied in order and committed at once.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    UpsertPost(PostDoc),
    DeletePost(Id),
    UpsertUser(UserDoc),
    DeleteUser(Id),
}

/// What each commit records beside the documents.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct CommitPayload {
    schema: u32,
    /// Has the index been filled from the owning services at least once?
    complete: bool,
    /// Unix milliseconds of the commit.
    #[serde(default)]
    committed_at_ms: i64,
}

pub struct SearchIndex {
    pub slot: u32,
    /// Tells this index apart from every other, across machines: made at
    /// its folder's first use and kept there (it names its event queue).
    pub instance: String,
    pub dir: PathBuf,
    pub post_fields: PostFields,
    pub user_fields: UserFields,
    posts: IndexHandle,
    users: IndexHandle,
    complete: AtomicBool,
    /// When the index was last committed before this process opened it
    /// (Unix milliseconds; 0 if never).
    last_commit_ms: i64,
    /// Posts deleted while a rebuild runs: the rebuild may have read them
    /// before, and must not write them back after.
    tombstones: Mutex<Option<HashSet<Id>>>,
}

impl SearchIndex {
    /// Claims the first free slot under `root` (`<data_dir>/search`).
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        for slot in 1..=MAX_SLOTS {
            if let Some(index) = Self::open_slot(root, slot)? {
                return Ok(index);
            }
        }
        anyhow::bail!(
            "every search index slot under {} is in use: are {MAX_SLOTS} search instances running on this data folder?",
            root.display()
        )
    }

    /// The index in `root/<slot>`, or `None` when another process holds it.
    pub fn open_slot(root: &Path, slot: u32) -> anyhow::Result<Option<Self>> {
        let dir = root.join(slot.to_string());
        let (post_schema, post_fields) = PostFields::schema();
        let (user_schema, user_fields) = UserFields::schema();
        let Some(posts) = IndexHandle::open(&dir.join("posts"), post_schema.clone())? else {
            return Ok(None);
        };
        let Some(users) = IndexHandle::open(&dir.join("users"), user_schema.clone())? else {
            return Ok(None);
        };
        let instance = instance_id(&dir)?;
        let payload = posts.payload()?;
        let current = payload
            .as_deref()
            .and_then(|raw| serde_json::from_str::<CommitPayload>(raw).ok());
        let last_commit_ms = current.as_ref().map(|p| p.committed_at_ms);
        let (posts, users, complete) = match current {
            Some(payload) if payload.schema == SCHEMA_VERSION => (posts, users, payload.complete),
            None if payload.is_none() => (posts, users, false),
            _ => {
                tracing::warn!(
                    slot,
                    "the search index was built by another version: rebuilding it"
                );
                drop((posts, users));
                for part in ["posts", "users"] {
                    let folder = dir.join(part);
                    std::fs::remove_dir_all(&folder).with_context(|| {
                        format!("removing the outdated index {}", folder.display())
                    })?;
                }
                let posts = IndexHandle::open(&dir.join("posts"), post_schema)?
                    .context("the search index slot was taken while being rebuilt")?;
                let users = IndexHandle::open(&dir.join("users"), user_schema)?
                    .context("the search index slot was taken while being rebuilt")?;
                (posts, users, false)
            }
        };
        Ok(Some(Self {
            slot,
            instance,
            last_commit_ms: last_commit_ms.unwrap_or(0),
            dir,
            post_fields,
            user_fields,
            posts,
            users,
            complete: AtomicBool::new(complete),
            tombstones: Mutex::new(None),
        }))
    }

    /// When the index was last written before this process opened it
    /// (Unix milliseconds; 0 if never): an index left alone longer than its
    /// queue is kept may have missed events.
    pub fn last_commit_ms(&self) -> i64 {
        self.last_commit_ms
    }

    /// Runs `work` on this index off the async workers: tantivy reads,
    /// writes and commits block.
    pub async fn off_async<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&SearchIndex) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let index = self.clone();
        tokio::task::spawn_blocking(move || work(&index)).await?
    }

    /// Has it been filled from the owning services (see [`crate::rebuild`])?
    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    /// Applies `changes` in order and commits them: when this returns, they
    /// survive a crash and searches see them.
    pub fn apply(&self, changes: &[Change]) -> anyhow::Result<()> {
        self.write(changes)?;
        self.commit(self.is_complete())
    }

    /// Applies `changes` in order without committing.
    pub fn write(&self, changes: &[Change]) -> anyhow::Result<()> {
        let mut tombstones = self.tombstones.lock().expect("tombstones lock");
        for change in changes {
            match change {
                Change::UpsertPost(post) => {
                    self.posts
                        .delete(Term::from_field_i64(self.post_fields.id, post.id.0));
                    self.posts.add(self.post_document(post))?;
                }
                Change::DeletePost(id) => {
                    if let Some(tombstones) = tombstones.as_mut() {
                        tombstones.insert(*id);
                    }
                    self.posts
                        .delete(Term::from_field_i64(self.post_fields.id, id.0));
                }
                Change::UpsertUser(user) => {
                    self.users
                        .delete(Term::from_field_i64(self.user_fields.id, user.id.0));
                    self.users.add(self.user_document(user))?;
                }
                Change::DeleteUser(id) => {
                    self.users
                        .delete(Term::from_field_i64(self.user_fields.id, id.0));
                }
            }
        }
        Ok(())
    }

    /// Writes posts read by a rebuild, leaving out those deleted since it began.
    pub fn write_rebuilt_posts(&self, posts: Vec<PostDoc>) -> anyhow::Result<()> {
        let tombstones = self.tombstones.lock().expect("tombstones lock");
        for post in posts {
            if tombstones.as_ref().is_some_and(|t| t.contains(&post.id)) {
                continue;
            }
            self.posts
                .delete(Term::from_field_i64(self.post_fields.id, post.id.0));
            self.posts.add(self.post_document(&post))?;
        }
        Ok(())
    }

    /// Starts (or, with `false`, ends) remembering deleted posts for a rebuild.
    pub fn track_deletions(&self, on: bool) {
        *self.tombstones.lock().expect("tombstones lock") = on.then(HashSet::new);
    }

    /// Removes every document (a rebuild from scratch).
    pub fn clear(&self) -> anyhow::Result<()> {
        self.posts.clear()?;
        self.users.clear()?;
        self.commit(false)
    }

    /// Commits both indexes, recording whether the index is `complete`.
    pub fn commit(&self, complete: bool) -> anyhow::Result<()> {
        let payload = serde_json::to_string(&CommitPayload {
            schema: SCHEMA_VERSION,
            complete,
            committed_at_ms: chrono::Utc::now().timestamp_millis(),
        })?;
        self.users.commit(&payload)?;
        self.posts.commit(&payload)?;
        self.complete.store(complete, Ordering::Release);
        Ok(())
    }

    /// The content and hashtags indexed for a post, if it is indexed.
    pub fn stored_post(&self, id: Id) -> anyhow::Result<Option<(String, Vec<String>)>> {
        let term = Term::from_field_i64(self.post_fields.id, id.0);
        let Some(document) = self.posts.find(term)? else {
            return Ok(None);
        };
        let fields = self.post_fields;
        let content = text_of(&document, fields.content)
            .next()
            .unwrap_or_default();
        let hashtags = text_of(&document, fields.hashtags).collect();
        Ok(Some((content, hashtags)))
    }

    /// How many posts and users the index holds.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.posts.searcher().num_docs(),
            self.users.searcher().num_docs(),
        )
    }

    fn post_document(&self, post: &PostDoc) -> TantivyDocument {
        let fields = self.post_fields;
        let mut document = TantivyDocument::default();
        document.add_i64(fields.id, post.id.0);
        document.add_i64(fields.author_id, post.author_id.0);
        document.add_u64(fields.visibility, post.visibility as u64);
        document.add_text(fields.content, &post.content);
        for tag in &post.hashtags {
            document.add_text(fields.hashtags, tag.to_lowercase());
        }
        document.add_i64(fields.created_at, post.created_at_ms);
        document
    }

    fn user_document(&self, user: &UserDoc) -> TantivyDocument {
        let fields = self.user_fields;
        let mut document = TantivyDocument::default();
        let username = user.username.to_lowercase();
        document.add_i64(fields.id, user.id.0);
        document.add_text(fields.username, &username);
        for prefix in schema::prefixes(&username) {
            document.add_text(fields.username_prefixes, prefix);
        }
        let mut seen = HashSet::new();
        for word in schema::name_words(&user.display_name) {
            for prefix in schema::prefixes(&word) {
                if seen.insert(prefix.clone()) {
                    document.add_text(fields.name_prefixes, prefix);
                }
            }
        }
        document
    }
}

/// The slot folder's instance id, made on first use.
fn instance_id(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join("instance");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if !existing.is_empty() {
            return Ok(existing.to_string());
        }
    }
    let made = format!("{:016x}", rand::random::<u64>());
    std::fs::write(&path, &made)
        .with_context(|| format!("writing the search instance id {}", path.display()))?;
    Ok(made)
}

fn text_of(
    document: &TantivyDocument,
    field: tantivy::schema::Field,
) -> impl Iterator<Item = String> + '_ {
    document
        .get_all(field)
        .filter_map(|value| value.as_str().map(str::to_string))
}
