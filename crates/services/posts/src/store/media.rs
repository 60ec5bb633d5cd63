//! The media posts may attach, and how they look: known from the media
//! service's events (`media_refs`, with each media's view as JSON text).

use std::collections::{BTreeMap, HashMap};

use chorus_core::Id;
use chorus_core::time::{Timestamp, to_micros};
use chorus_rpc::posts::{MediaVariant, MediaView};
use serde::Deserialize;
use sqlx::{Any, AnyPool, Executor};

use super::rows_in;

/// A media's view as `media.uploaded` carries it and `media_refs.view_json`
/// keeps it. Every part may be missing (rows from before views were kept
/// hold only `id` and `url`), so that an old row or event still shows.
#[derive(Debug, Default, Deserialize)]
pub struct StoredView {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub mime: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub width: Option<i64>,
    #[serde(default)]
    pub height: Option<i64>,
    #[serde(default)]
    pub variants: BTreeMap<String, MediaVariant>,
}

impl StoredView {
    /// The view of media `id`; its URL, when unknown, is where media serves it.
    pub fn into_view(self, id: Id) -> MediaView {
        let bare = MediaView::bare(id);
        MediaView {
            id,
            url: self.url.unwrap_or(bare.url),
            mime: self.mime,
            size: self.size,
            width: self.width,
            height: self.height,
            variants: self.variants,
        }
    }

    /// Reads a stored view; one that does not parse shows as a bare media
    /// rather than failing the page it is on.
    fn parse(id: Id, json: &str) -> MediaView {
        serde_json::from_str::<StoredView>(json)
            .unwrap_or_default()
            .into_view(id)
    }
}

/// A media known from `media.uploaded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMedia {
    pub owner_id: Id,
    pub view: MediaView,
}

/// Those of `ids` that are known, whoever owns them.
pub async fn known_media(
    pool: &AnyPool,
    ids: &[Id],
) -> Result<HashMap<Id, KnownMedia>, sqlx::Error> {
    let ids: Vec<i64> = ids.iter().map(|id| id.as_i64()).collect();
    let rows: Vec<(i64, i64, String)> = rows_in(pool, &[], &ids, |list| {
        format!("SELECT media_id, owner_id, view_json FROM media_refs WHERE media_id IN ({list})")
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, owner, json)| {
            let known = KnownMedia {
                owner_id: Id(owner),
                view: StoredView::parse(Id(id), &json),
            };
            (Id(id), known)
        })
        .collect())
}

/// Records an uploaded media with its view; a repeat changes nothing.
pub async fn record_media<'e>(
    db: impl Executor<'e, Database = Any>,
    owner: Id,
    view: &MediaView,
    at: Timestamp,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(view).map_err(|error| sqlx::Error::Encode(error.into()))?;
    sqlx::query(
        "INSERT INTO media_refs (media_id, owner_id, created_at, view_json) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (media_id) DO NOTHING",
    )
    .bind(view.id.as_i64())
    .bind(owner.as_i64())
    .bind(to_micros(at))
    .bind(json)
    .execute(db)
    .await?;
    Ok(())
}

/// The media of each of `posts` that has some, in the order attached. Only
/// media still known show: one deleted while a post attaching it was being
/// written is gone from it all the same.
pub async fn media_of(
    pool: &AnyPool,
    posts: &[Id],
) -> Result<HashMap<Id, Vec<MediaView>>, sqlx::Error> {
    let ids: Vec<i64> = posts.iter().map(|id| id.as_i64()).collect();
    let rows: Vec<(i64, i64, String)> = rows_in(pool, &[], &ids, |list| {
        format!(
            "SELECT pm.post_id, pm.media_id, mr.view_json FROM post_media pm \
             JOIN media_refs mr ON mr.media_id = pm.media_id \
             WHERE pm.post_id IN ({list}) ORDER BY pm.post_id, pm.position"
        )
    })
    .await?;
    let mut media: HashMap<Id, Vec<MediaView>> = HashMap::new();
    for (post, id, json) in rows {
        let view = StoredView::parse(Id(id), &json);
        media.entry(Id(post)).or_default().push(view);
    }
    Ok(media)
}

pub async fn forget_media<'e>(
    db: impl Executor<'e, Database = Any>,
    media: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM media_refs WHERE media_id = $1")
        .bind(media.as_i64())
        .execute(db)
        .await?;
    Ok(())
}

/// Takes a deleted media off the posts that showed it.
pub async fn detach_media<'e>(
    db: impl Executor<'e, Database = Any>,
    media: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM post_media WHERE media_id = $1")
        .bind(media.as_i64())
        .execute(db)
        .await?;
    Ok(())
}
