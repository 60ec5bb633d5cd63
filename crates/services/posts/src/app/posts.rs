//! Writing, reading, editing and deleting posts; reposts.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chorus_core::time::{from_micros, now, to_micros};
use chorus_core::{ApiError, ApiResult, Id};
use chorus_ports::outbox;

use super::hydrate::body;
use super::{Posts, db_error, distinct, post_not_found};
use crate::domain::{MAX_MEDIA, Visibility, content, text};
use crate::events;
use crate::store::{self, PostRecord};
use crate::views::{MediaView, NewPost, PostEdit, PostView};

impl Posts {
    pub async fn create_post(&self, author: Id, input: NewPost) -> ApiResult<PostView> {
        let visibility = Visibility::parse(input.visibility.as_deref())?;
        let media = self.checked_media(author, &input.media_ids).await?;
        let media_ids: Vec<Id> = media.iter().map(|media| media.id).collect();
        let original = match input.repost_of {
            Some(id) => Some(self.repostable(author, id).await?),
            None => None,
        };
        let content = content::post_content(&input.content, original.is_some())?;
        let mentions = self.resolve_mentions(&content).await?;
        let card = self.own_card(author).await?;

        let post = PostRecord {
            id: self.ids().next_id(),
            author_id: author,
            hashtags: text::hashtags(&content),
            content,
            visibility,
            repost_of: original.as_ref().map(|original| original.id),
            mentions,
            comment_count: 0,
            repost_count: 0,
            // Rounded to what is stored, so the answer matches later reads.
            created_at: from_micros(to_micros(now())),
            edited_at: None,
        };
        let mut tx = self.db().begin().await?;
        if let Some(original) = &original
            && !store::add_reposts(&mut *tx, original.id, 1)
                .await
                .map_err(db_error)?
        {
            return Err(post_not_found());
        }
        store::insert_post(&mut *tx, &post)
            .await
            .map_err(db_error)?;
        for tag in &post.hashtags {
            store::insert_hashtag(&mut *tx, post.id, tag)
                .await
                .map_err(db_error)?;
        }
        for (position, media) in media_ids.iter().enumerate() {
            store::attach_media(&mut *tx, post.id, *media, position)
                .await
                .map_err(db_error)?;
        }
        let original_author = original.as_ref().map(|original| original.author_id);
        outbox::enqueue(
            &mut tx,
            &events::post_created(self.ids(), &post, &media_ids, original_author),
        )
        .await?;
        if let Some(original) = &original {
            outbox::enqueue(&mut tx, &events::post_reposted(self.ids(), original, &post)).await?;
        }
        tx.commit().await.map_err(db_error)?;
        self.events_committed().await;

        tracing::info!(post_id = %post.id, author_id = %author, "post created");
        Ok(body(post, media, BTreeMap::new()).view(card, Vec::new()))
    }

    pub async fn get_post(&self, viewer: Option<Id>, id: Id) -> ApiResult<PostView> {
        self.get_posts(viewer, &[id])
            .await?
            .into_iter()
            .next()
            .ok_or_else(post_not_found)
    }

    /// The posts among `ids` that `viewer` may see, in the order of `ids`:
    /// one query per kind of data and one call per kind of user data, for
    /// any number of ids up to [`crate::store::IN_CHUNK`].
    pub async fn get_posts(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<PostView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = store::find_posts(self.db().reader(), &distinct(ids.iter().copied()))
            .await
            .map_err(db_error)?;
        let relations = self
            .relations(viewer, rows.iter().map(|post| post.author_id))
            .await?;
        let visible = rows
            .into_iter()
            .filter(|post| super::access::sees(viewer, post, &relations))
            .collect();
        let views: HashMap<Id, PostView> = self
            .hydrate(viewer, visible)
            .await?
            .into_iter()
            .map(|view| (view.id, view))
            .collect();
        Ok(ids.iter().filter_map(|id| views.get(id).cloned()).collect())
    }

    pub async fn edit_post(&self, editor: Id, id: Id, edit: PostEdit) -> ApiResult<PostView> {
        let mut post = self.own_post(editor, id).await?;
        let visibility = match edit.visibility.as_deref() {
            Some(raw) => Some(Visibility::parse(Some(raw))?),
            None => None,
        };
        let content = match edit.content.as_deref() {
            Some(raw) => Some(content::post_content(raw, post.repost_of.is_some())?),
            None => None,
        };
        if visibility.is_none() && content.is_none() {
            return self.get_post(Some(editor), id).await;
        }
        if let Some(content) = content {
            post.mentions = self.resolve_mentions(&content).await?;
            post.hashtags = text::hashtags(&content);
            post.content = content;
        }
        post.visibility = visibility.unwrap_or(post.visibility);
        post.edited_at = Some(from_micros(to_micros(now())));
        let edited_at = post.edited_at.unwrap_or_else(now);
        let media_ids: Vec<Id> = store::media_of(self.db().reader(), &[id])
            .await
            .map_err(db_error)?
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .map(|media| media.id)
            .collect();

        let mut tx = self.db().begin().await?;
        let previous = store::begin_edit(&mut *tx, id, edited_at)
            .await
            .map_err(db_error)?
            .ok_or_else(post_not_found)?;
        store::update_post(&mut *tx, &post)
            .await
            .map_err(db_error)?;
        store::delete_hashtags(&mut *tx, id)
            .await
            .map_err(db_error)?;
        for tag in &post.hashtags {
            store::insert_hashtag(&mut *tx, id, tag)
                .await
                .map_err(db_error)?;
        }
        outbox::enqueue(
            &mut tx,
            &events::post_updated(self.ids(), &post, previous, &media_ids),
        )
        .await?;
        tx.commit().await.map_err(db_error)?;
        self.events_committed().await;
        self.get_post(Some(editor), id).await
    }

    /// Deletes a post with its comments and reactions; a repost gives its
    /// original one repost fewer.
    pub async fn delete_post(&self, editor: Id, id: Id) -> ApiResult<()> {
        let post = self.own_post(editor, id).await?;
        let mut tx = self.db().begin().await?;
        let repost_of = store::delete_post(&mut *tx, id)
            .await
            .map_err(db_error)?
            .ok_or_else(post_not_found)?;
        if let Some(original) = repost_of {
            store::add_reposts(&mut *tx, original, -1)
                .await
                .map_err(db_error)?;
        }
        outbox::enqueue(&mut tx, &events::post_deleted(self.ids(), &post, editor)).await?;
        tx.commit().await.map_err(db_error)?;
        self.events_committed().await;
        tracing::info!(post_id = %id, "post deleted");
        Ok(())
    }

    /// The original a repost of post `id` by `author` points at: `id` must be
    /// visible to them (else 404) and public (else 400), and so must the
    /// original when `id` is itself a repost.
    async fn repostable(&self, author: Id, id: Id) -> ApiResult<PostRecord> {
        let named = self.visible_post(Some(author), id).await?;
        let original = match named.repost_of {
            Some(original) => self.visible_post(Some(author), original).await?,
            None => named.clone(),
        };
        if named.visibility != Visibility::Public || original.visibility != Visibility::Public {
            return Err(ApiError::invalid_field(
                "repost_of",
                "only public posts can be reposted",
            ));
        }
        Ok(original)
    }

    /// The views of `media_ids` without repeats, in their order, if there are
    /// at most 10 and `owner` owns each. Media are known from `media.uploaded`,
    /// which may not have arrived yet when a client posts right after
    /// uploading: unknown ids are waited for a little ([`MEDIA_WAIT`]) before
    /// the post is refused. Someone else's media is refused at once.
    async fn checked_media(&self, owner: Id, media_ids: &[Id]) -> ApiResult<Vec<MediaView>> {
        if media_ids.len() > MAX_MEDIA {
            return Err(ApiError::invalid_field(
                "media_ids",
                format!("at most {MAX_MEDIA} media per post"),
            ));
        }
        let mut unique = Vec::with_capacity(media_ids.len());
        for id in media_ids {
            if !unique.contains(id) {
                unique.push(*id);
            }
        }
        if unique.is_empty() {
            return Ok(Vec::new());
        }
        let views = chorus_core::wait::until_some(MEDIA_WAIT, MEDIA_POLL, || async {
            let mut known = store::known_media(self.db().reader(), &unique)
                .await
                .map_err(db_error)?;
            if known.values().any(|media| media.owner_id != owner) {
                return Err(no_such_media());
            }
            Ok((known.len() == unique.len()).then(|| {
                unique
                    .iter()
                    .filter_map(|id| known.remove(id))
                    .map(|media| media.view)
                    .collect()
            }))
        })
        .await?;
        views.ok_or_else(no_such_media)
    }
}

/// How long a post waits for the `media.uploaded` of media it names that
/// are not known yet, and how often it looks again meanwhile.
const MEDIA_WAIT: Duration = Duration::from_secs(2);
const MEDIA_POLL: Duration = Duration::from_millis(20);

/// One answer whether the media does not exist or is someone else's, so
/// that nobody learns which ids exist.
fn no_such_media() -> ApiError {
    ApiError::invalid_field("media_ids", "no such media, or not yours")
}
