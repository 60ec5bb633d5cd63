//! Turning stored posts into what a viewer sees, a page at a time: authors
//! in one `cards` call; reaction counts, the viewer's reactions and media in
//! one query each, whatever the page size. Every view goes through
//! [`PostBody::view`], as the feed's do.

use std::collections::{BTreeMap, HashMap};

use chorus_core::{ApiResult, Id};
use chorus_rpc::posts::{MediaView, PostBody};
use chorus_rpc::users::UserCard;
use sqlx::AnyPool;

use super::{Posts, card_map, db_error, distinct, sort_kinds};
use crate::store::{self, PostRecord};
use crate::views::PostView;

impl Posts {
    /// Views of `posts` (already checked visible), in their order. Posts
    /// whose author no longer exists are left out.
    pub(super) async fn hydrate(
        &self,
        viewer: Option<Id>,
        posts: Vec<PostRecord>,
    ) -> ApiResult<Vec<PostView>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let authors = distinct(posts.iter().map(|post| post.author_id));
        let cards = self.users().cards(&authors).await?;
        self.hydrate_with(viewer, posts, cards).await
    }

    /// As [`Self::hydrate`], with the authors' cards already at hand.
    pub(super) async fn hydrate_with(
        &self,
        viewer: Option<Id>,
        posts: Vec<PostRecord>,
        cards: Vec<UserCard>,
    ) -> ApiResult<Vec<PostView>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let cards = card_map(cards);
        let ids: Vec<Id> = posts.iter().map(|post| post.id).collect();
        let reader = self.db().reader();
        let mine = async {
            match viewer {
                Some(viewer) => kinds_of_user(reader, viewer, &ids).await,
                None => Ok(HashMap::new()),
            }
        };
        let (mut parts, mut mine) =
            tokio::try_join!(Parts::load(reader, &ids), mine).map_err(db_error)?;

        Ok(posts
            .into_iter()
            .filter_map(|post| {
                let author = cards.get(&post.author_id)?.clone();
                let my_reactions = mine.remove(&post.id).unwrap_or_default();
                Some(parts.body(post).view(author, my_reactions))
            })
            .collect())
    }
}

/// The kinds `user` reacted with on each of `posts` that has some, sorted.
pub(super) async fn kinds_of_user(
    reader: &AnyPool,
    user: Id,
    posts: &[Id],
) -> Result<HashMap<Id, Vec<String>>, sqlx::Error> {
    let mut kinds = store::kinds_of_user(reader, user, posts).await?;
    kinds.values_mut().for_each(|kinds| sort_kinds(kinds));
    Ok(kinds)
}

/// What a body holds besides its row, for a batch of posts: one query each.
pub(super) struct Parts {
    counts: HashMap<Id, BTreeMap<String, i64>>,
    media: HashMap<Id, Vec<MediaView>>,
}

impl Parts {
    pub(super) async fn load(reader: &AnyPool, posts: &[Id]) -> Result<Self, sqlx::Error> {
        let (counts, media) = tokio::try_join!(
            store::counts_of(reader, posts),
            store::media_of(reader, posts)
        )?;
        Ok(Self { counts, media })
    }

    /// `post`'s body, taking its parts out of the batch.
    pub(super) fn body(&mut self, post: PostRecord) -> PostBody {
        let media = self.media.remove(&post.id).unwrap_or_default();
        let counts = self.counts.remove(&post.id).unwrap_or_default();
        body(post, media, counts)
    }
}

/// A post as stored, from its parts.
pub(super) fn body(
    post: PostRecord,
    media: Vec<MediaView>,
    reaction_counts: BTreeMap<String, i64>,
) -> PostBody {
    PostBody {
        id: post.id,
        author_id: post.author_id,
        content: post.content,
        visibility: post.visibility.as_str().to_string(),
        media,
        hashtags: post.hashtags,
        mentions: post.mentions.into_iter().map(|m| m.username).collect(),
        repost_of: post.repost_of,
        reaction_counts,
        comment_count: post.comment_count,
        repost_count: post.repost_count,
        created_at: post.created_at,
        edited_at: post.edited_at,
    }
}
