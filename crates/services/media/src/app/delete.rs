//! Deleting an upload: its owner only. The rows go, the owner gets the
//! bytes back on their quota, and each blob (the original's, the
//! variants') goes with its last holder.

use chorus_core::{ApiError, ApiResult, Id};
use chorus_ports::outbox;
use sqlx::AnyConnection;

use super::{Media, blob_key, media_not_found};
use crate::events;
use crate::store;

impl Media {
    #[tracing::instrument(skip_all, fields(caller = %caller, media_id = %id))]
    pub async fn delete(&self, caller: Id, id: Id) -> ApiResult<()> {
        let media = self.get(id).await?;
        // Media are public, so another user sees it exists: 403, as for posts.
        if media.owner_id != caller {
            return Err(ApiError::forbidden("only its owner may delete a media"));
        }
        let mut tx = self.db().begin().await?;
        if !store::media::delete(&mut *tx, id)
            .await
            .map_err(ApiError::internal)?
        {
            return Err(media_not_found());
        }
        store::variants::delete_of(&mut *tx, id)
            .await
            .map_err(ApiError::internal)?;
        store::usage::refund(&mut *tx, media.owner_id, media.size)
            .await
            .map_err(ApiError::internal)?;
        outbox::enqueue(&mut tx, &events::deleted(self.ids(), &media)).await?;
        // Always in the same order, so that two deletes sharing blobs
        // cannot each lock one the other waits for.
        let mut blobs: Vec<&str> = std::iter::once(media.sha256.as_str())
            .chain(media.variants.iter().map(|v| v.sha256.as_str()))
            .collect();
        blobs.sort_unstable();
        for sha256 in blobs {
            self.release_in(&mut tx, sha256).await?;
        }
        tx.commit().await.map_err(ApiError::internal)?;
        self.inner.after_commit.run(self.db()).await;
        tracing::info!("media deleted");
        Ok(())
    }

    /// Gives up one hold on the blob `sha256`, in a transaction of its own.
    pub(super) async fn release(&self, sha256: &str) -> ApiResult<()> {
        let mut tx = self.db().begin().await?;
        self.release_in(&mut tx, sha256).await?;
        tx.commit().await.map_err(ApiError::internal)
    }

    /// Gives up one hold on the blob `sha256`; the last one deletes it.
    /// The blob is deleted inside the transaction, while its holders' row is
    /// locked: an upload of the same content waits to take its hold until
    /// then, and stores the blob afresh after.
    async fn release_in(&self, conn: &mut AnyConnection, sha256: &str) -> ApiResult<()> {
        let left = store::holders::release(&mut *conn, sha256)
            .await
            .map_err(ApiError::internal)?;
        if left > 0 {
            return Ok(());
        }
        store::holders::forget(&mut *conn, sha256)
            .await
            .map_err(ApiError::internal)?;
        self.blobs()
            .delete(&blob_key(sha256)?)
            .await
            .map_err(ApiError::internal)
    }
}
