//! An in-memory `PostsApi`, like [`crate::fake`] for users: varied,
//! deterministic answers that a careless mapping would lose or mix up.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chorus_core::time::from_micros;
use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::PostsApi;
use chorus_rpc::posts::{MAX_IDS, MediaVariant, MediaView, PostBody};

pub const FIRST: Id = Id(7_244_718_265_810_944_001);
pub const SECOND: Id = Id(2);
pub const THIRD: Id = Id(i64::MAX);
pub const MISSING: Id = Id(404);
/// Asking about this post fails inside the service.
pub const BROKEN: Id = Id(500);

#[derive(Default)]
pub struct FakePosts {
    pub calls: AtomicUsize,
    /// Waits this long before answering, to outlast a deadline.
    pub delay: Option<Duration>,
}

impl FakePosts {
    pub fn slow(delay: Duration) -> Self {
        Self {
            delay: Some(delay),
            ..Self::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn answering(&self, ids: &[Id]) -> ApiResult<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        if ids.len() > MAX_IDS {
            return Err(ApiError::invalid_field(
                "ids",
                format!("at most {MAX_IDS} ids per call"),
            ));
        }
        if ids.contains(&BROKEN) {
            return Err(ApiError::internal("the fake broke"));
        }
        Ok(())
    }
}

pub fn all_bodies() -> Vec<PostBody> {
    vec![
        PostBody {
            id: FIRST,
            author_id: Id(1),
            content: "Ångström 🎻 #Tag @bob\nline two".into(),
            visibility: "followers".into(),
            media: vec![
                MediaView {
                    id: Id(9),
                    url: "/media/9".into(),
                    mime: "image/jpeg".into(),
                    size: i64::MAX,
                    width: Some(4000),
                    height: Some(3000),
                    variants: BTreeMap::from([(
                        "large".into(),
                        MediaVariant {
                            url: "/media/9/large".into(),
                            width: 1200,
                            height: 900,
                            mime: "image/webp".into(),
                        },
                    )]),
                },
                MediaView::bare(Id(3)),
                MediaView {
                    mime: "video/mp4".into(),
                    size: 1,
                    ..MediaView::bare(Id(i64::MAX))
                },
            ],
            hashtags: vec!["tag".into(), "ünï".into()],
            mentions: vec!["bob".into(), "carol_99".into()],
            repost_of: Some(Id(1)),
            reaction_counts: BTreeMap::from([("like".into(), 3), ("fire".into(), i64::MAX)]),
            comment_count: 12,
            repost_count: 1,
            created_at: from_micros(1_717_171_717_123_456),
            edited_at: Some(from_micros(1_717_171_799_000_001)),
        },
        PostBody {
            id: SECOND,
            author_id: Id(2),
            content: String::new(),
            visibility: "public".into(),
            media: vec![],
            hashtags: vec![],
            mentions: vec![],
            repost_of: None,
            reaction_counts: BTreeMap::new(),
            comment_count: 0,
            repost_count: 0,
            created_at: from_micros(0),
            edited_at: None,
        },
        PostBody {
            id: THIRD,
            author_id: Id(i64::MAX),
            content: "x".repeat(5000),
            visibility: "private".into(),
            media: vec![MediaView::bare(Id(1))],
            hashtags: vec![],
            mentions: vec![],
            repost_of: None,
            reaction_counts: BTreeMap::from([("sad".into(), 1)]),
            comment_count: 0,
            repost_count: i64::MAX,
            created_at: from_micros(-1),
            edited_at: Some(from_micros(0)),
        },
    ]
}

#[async_trait]
impl PostsApi for FakePosts {
    async fn bodies(&self, ids: &[Id]) -> ApiResult<Vec<PostBody>> {
        self.answering(ids).await?;
        Ok(all_bodies()
            .into_iter()
            .filter(|body| ids.contains(&body.id))
            .collect())
    }

    async fn bodies_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<PostBody>> {
        self.answering(&[]).await?;
        chorus_rpc::check_limit(limit, MAX_IDS)?;
        let mut bodies: Vec<PostBody> = all_bodies()
            .into_iter()
            .filter(|body| after.is_none_or(|after| body.id > after))
            .collect();
        bodies.sort_by_key(|body| body.id);
        bodies.truncate(limit);
        Ok(bodies)
    }

    async fn reactions_of(&self, viewer: Id, posts: &[Id]) -> ApiResult<HashMap<Id, Vec<String>>> {
        self.answering(posts).await?;
        let kinds = |post| match post {
            FIRST => Some(vec!["like".to_string(), "fire".into()]),
            // Present but empty: the entry must survive the trip all the same.
            THIRD => Some(vec![]),
            _ => None,
        };
        Ok(posts
            .iter()
            .filter(|_| viewer != MISSING)
            .filter_map(|&post| Some((post, kinds(post)?)))
            .collect())
    }
}
