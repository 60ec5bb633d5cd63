//! The application layer: every rule of the service, in one place; the
//! routes call these methods and nothing else.
//!
//! An upload is spooled to a temporary file as it arrives ([`spool`]),
//! bounded and sniffed on the way, then checked and (images) re-encoded
//! with resized variants ([`process`]) and stored ([`upload`]); a delete
//! removes the rows and, with their last holder, the blobs ([`delete`]).

mod delete;
mod process;
mod spool;
mod upload;

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;

use chorus_core::{ApiError, ApiResult, Id, IdGenerator};
use chorus_ports::Db;
use chorus_ports::blobs::{Blob, BlobError, BlobKey, BlobStore};
use chorus_ports::outbox::AfterCommit;
use tokio::sync::Semaphore;

use crate::config::MediaConfig;
use crate::store::{self, MediaRecord};

pub use spool::{STALE_AFTER, Spool, Spooled, sweep_stale};

/// The media service's use cases; cheap to clone.
#[derive(Clone)]
pub struct Media {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    blobs: Arc<dyn BlobStore>,
    ids: Arc<IdGenerator>,
    config: MediaConfig,
    after_commit: AfterCommit,
    /// Where uploads are spooled while they arrive.
    spool_dir: PathBuf,
    /// Bounds the images decoded at once (each may take hundreds of MiB).
    processing: Arc<Semaphore>,
}

impl Media {
    pub fn new(
        db: Db,
        blobs: Arc<dyn BlobStore>,
        ids: Arc<IdGenerator>,
        config: MediaConfig,
        after_commit: AfterCommit,
        spool_dir: PathBuf,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                blobs,
                ids,
                config,
                after_commit,
                spool_dir,
                processing: Arc::new(Semaphore::new(
                    std::thread::available_parallelism().map_or(1, |n| n.get()),
                )),
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.inner.blobs
    }

    pub fn config(&self) -> &MediaConfig {
        &self.inner.config
    }

    fn ids(&self) -> &IdGenerator {
        &self.inner.ids
    }

    /// The upload `id`, with its variants.
    pub async fn get(&self, id: Id) -> ApiResult<MediaRecord> {
        let mut media = store::media::find(self.db().reader(), id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(media_not_found)?;
        media.variants = store::variants::of(self.db().reader(), id)
            .await
            .map_err(ApiError::internal)?;
        Ok(media)
    }

    /// The bytes whose SHA-256 is `sha256` (a media's or a variant's),
    /// whole or a range of them.
    pub async fn content(
        &self,
        sha256: &str,
        range: Option<RangeInclusive<u64>>,
    ) -> ApiResult<Blob> {
        match self.blobs().get(&blob_key(sha256)?, range).await {
            Ok(blob) => Ok(blob),
            Err(BlobError::RangeNotSatisfiable { .. }) => Err(ApiError::new(
                http::StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "the range starts past the end of the file",
            )),
            Err(error) => Err(ApiError::internal(format!(
                "reading the blob {sha256}: {error:#}"
            ))),
        }
    }
}

/// Where the bytes with this SHA-256 are kept.
fn blob_key(sha256: &str) -> ApiResult<BlobKey> {
    BlobKey::parse(&format!("sha256/{sha256}")).map_err(ApiError::internal)
}

pub(crate) fn media_not_found() -> ApiError {
    ApiError::not_found("no such media")
}
