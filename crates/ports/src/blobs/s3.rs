//! Blobs in an S3-compatible bucket (distributed mode): AWS S3, SeaweedFS,
//! Ceph, Garage… Same `object_store` operations as the local folder, so both
//! behave alike.

use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use object_store::ObjectStore;
use object_store::prefix::PrefixStore;

use super::objects::Objects;
use super::{Blob, BlobError, BlobKey, BlobStore, S3Url};

/// S3's smallest part but the last: a streamed upload holds a few of them
/// in memory at most, whatever the file's size.
const PART_SIZE: usize = 5 * 1024 * 1024;

pub struct S3Blobs {
    url: S3Url,
    objects: Objects,
}

impl S3Blobs {
    /// The bucket (and key prefix) `url` names. Nothing is sent until the
    /// first use: [`BlobStore::ping`] tells whether the bucket answers.
    pub fn new(url: &S3Url) -> anyhow::Result<Self> {
        let store = url
            .builder()
            .build()
            .with_context(|| format!("setting infra.blobs_url = \"{url}\""))?;
        let store: Arc<dyn ObjectStore> = match url.prefix() {
            Some(prefix) => Arc::new(PrefixStore::new(store, prefix.as_str())),
            None => Arc::new(store),
        };
        Ok(Self {
            url: url.clone(),
            objects: Objects::new(store, PART_SIZE),
        })
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        self.objects.put(key, bytes).await
    }

    async fn put_file(&self, key: &BlobKey, path: &Path) -> Result<(), BlobError> {
        self.objects.put_file(key, path).await
    }

    async fn get(
        &self,
        key: &BlobKey,
        range: Option<RangeInclusive<u64>>,
    ) -> Result<Blob, BlobError> {
        self.objects.get(key, range).await
    }

    async fn head(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        self.objects.head(key).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.objects.delete(key).await
    }

    async fn ping(&self) -> anyhow::Result<()> {
        self.objects
            .ping()
            .await
            .with_context(|| format!("blob bucket {}", self.url))
    }
}
