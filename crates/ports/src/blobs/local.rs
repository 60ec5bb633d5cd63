//! Blobs as files in a directory (embedded mode).

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use object_store::local::LocalFileSystem;
use tokio::sync::OnceCell;

use super::objects::Objects;
use super::{Blob, BlobError, BlobKey, BlobStore};

/// Parts are staged in a file, so a small buffer costs nothing.
const PART_SIZE: usize = 256 * 1024;

pub struct LocalBlobs {
    root: PathBuf,
    /// Opened at first use, so that a process that never touches blobs
    /// never creates their folder.
    objects: OnceCell<Objects>,
}

impl LocalBlobs {
    /// Blobs under `root`, created when first used. Writes are synced to
    /// disk before they return, as SQLite's are: an acknowledged upload
    /// survives a crash.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            objects: OnceCell::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    async fn objects(&self) -> anyhow::Result<&Objects> {
        self.objects
            .get_or_try_init(|| async {
                let root = &self.root;
                std::fs::create_dir_all(root)
                    .with_context(|| format!("creating blob folder {}", root.display()))?;
                let store = LocalFileSystem::new_with_prefix(root)
                    .with_context(|| format!("opening blob folder {}", root.display()))?
                    .with_fsync(true);
                Ok(Objects::new(Arc::new(store), PART_SIZE))
            })
            .await
    }
}

#[async_trait]
impl BlobStore for LocalBlobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        self.objects().await?.put(key, bytes).await
    }

    async fn put_file(&self, key: &BlobKey, path: &Path) -> Result<(), BlobError> {
        self.objects().await?.put_file(key, path).await
    }

    async fn get(
        &self,
        key: &BlobKey,
        range: Option<RangeInclusive<u64>>,
    ) -> Result<Blob, BlobError> {
        self.objects().await?.get(key, range).await
    }

    async fn head(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        self.objects().await?.head(key).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.objects().await?.delete(key).await
    }

    async fn ping(&self) -> anyhow::Result<()> {
        self.objects()
            .await?
            .ping()
            .await
            .with_context(|| format!("blob folder {}", self.root.display()))
    }
}
