//! Turning stored posts into what a viewer sees, a page at a time: authors
//! in one `cards` call; reaction counts, the viewer's reactions and media in
//! one query each, whatever the page size.

use std::collections::HashMap;

use chorus_core::{ApiResult, Id};
use chorus_rpc::users::UserCard;

use super::{Posts, card_map, db_error, distinct, sort_kinds};
use crate::store::{self, PostRecord};
use crate::views::{MediaView, PostView};

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
                Some(viewer) => store::kinds_of_user(reader, viewer, &ids).await,
                None => Ok(HashMap::new()),
            }
        };
        let (mut counts, mut mine, mut media) = tokio::try_join!(
            store::counts_of(reader, &ids),
            mine,
            store::media_of(reader, &ids),
        )
        .map_err(db_error)?;

        Ok(posts
            .into_iter()
            .filter_map(|post| {
                let author = cards.get(&post.author_id)?.clone();
                let mut my_reactions = mine.remove(&post.id).unwrap_or_default();
                sort_kinds(&mut my_reactions);
                let media = media.remove(&post.id).unwrap_or_default();
                let counts = counts.remove(&post.id).unwrap_or_default();
                Some(view(post, author, media, counts, my_reactions))
            })
            .collect())
    }
}

/// A post as shown, from its parts.
pub(super) fn view(
    post: PostRecord,
    author: UserCard,
    media: Vec<Id>,
    reaction_counts: std::collections::BTreeMap<String, i64>,
    my_reactions: Vec<String>,
) -> PostView {
    PostView {
        id: post.id,
        author,
        content: post.content,
        visibility: post.visibility.as_str().to_string(),
        media: media.into_iter().map(|id| MediaView { id }).collect(),
        hashtags: post.hashtags,
        mentions: post.mentions.into_iter().map(|m| m.username).collect(),
        repost_of: post.repost_of,
        reaction_counts,
        my_reactions,
        comment_count: post.comment_count,
        repost_count: post.repost_count,
        created_at: post.created_at,
        edited_at: post.edited_at,
    }
}
