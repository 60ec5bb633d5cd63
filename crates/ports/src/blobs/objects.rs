//! The blob operations over any `object_store` backend, so that the local
//! and S3 adapters behave alike.

use std::ops::RangeInclusive;
use std::path::Path as FilePath;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::AsyncWriteExt;

use super::{Blob, BlobError, BlobKey};

/// Where the ping writes; no other key starts with `_`.
const PING_KEY: &str = "_chorus/ping";

/// Parts of one streamed upload sent at once: each sits in memory meanwhile.
const PARTS_IN_FLIGHT: usize = 2;

pub(super) struct Objects {
    store: Arc<dyn ObjectStore>,
    /// Bytes a streamed upload buffers before it writes a part.
    part_size: usize,
}

impl Objects {
    pub(super) fn new(store: Arc<dyn ObjectStore>, part_size: usize) -> Self {
        Self { store, part_size }
    }

    pub(super) async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&location(key)?, PutPayload::from_bytes(bytes))
            .await
            .with_context(|| format!("writing blob {key}"))?;
        Ok(())
    }

    pub(super) async fn put_file(&self, key: &BlobKey, path: &FilePath) -> Result<(), BlobError> {
        let mut file = tokio::fs::File::open(path)
            .await
            .with_context(|| format!("opening {} to store it", path.display()))?;
        let mut writer =
            BufWriter::with_capacity(self.store.clone(), location(key)?, self.part_size)
                .with_max_concurrency(PARTS_IN_FLIGHT);
        if let Err(error) = tokio::io::copy(&mut file, &mut writer).await {
            // Leaves no partial upload behind (a staged file, an S3 multipart).
            let _ = writer.abort().await;
            return Err(anyhow!(error).context(format!("writing blob {key}")).into());
        }
        // A failed shutdown cleans up after itself (and the writer may not be
        // aborted once shut down).
        writer
            .shutdown()
            .await
            .with_context(|| format!("writing blob {key}"))?;
        Ok(())
    }

    pub(super) async fn get(
        &self,
        key: &BlobKey,
        range: Option<RangeInclusive<u64>>,
    ) -> Result<Blob, BlobError> {
        let path = location(key)?;
        if let Some(range) = &range
            && range.start() > range.end()
        {
            return Err(anyhow!("an empty range {range:?} was asked of blob {key}").into());
        }
        let options = GetOptions {
            range: range
                .clone()
                .map(|r| GetRange::Bounded(*r.start()..r.end().saturating_add(1))),
            ..GetOptions::default()
        };
        match self.store.get_opts(&path, options).await {
            Ok(result) => Ok(Blob {
                size: result.meta.size,
                range: result.range.clone(),
                stream: result.into_stream().map_err(std::io::Error::other).boxed(),
            }),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
            // Stores word a range past the end each their own way: look at the size.
            Err(error) => match (range, self.head(key).await?) {
                (Some(range), Some(size)) if *range.start() >= size => {
                    Err(BlobError::RangeNotSatisfiable { size })
                }
                (_, None) => Err(BlobError::NotFound),
                _ => Err(anyhow!(error).context(format!("reading blob {key}")).into()),
            },
        }
    }

    pub(super) async fn head(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        match self.store.head(&location(key)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(anyhow!(error)
                .context(format!("looking up blob {key}"))
                .into()),
        }
    }

    pub(super) async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&location(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(anyhow!(error)
                .context(format!("deleting blob {key}"))
                .into()),
        }
    }

    /// Writes and reads back a tiny object.
    pub(super) async fn ping(&self) -> anyhow::Result<()> {
        let key = BlobKey::parse(PING_KEY)?;
        self.put(&key, Bytes::from_static(b"ok")).await?;
        let size = self.head(&key).await?;
        anyhow::ensure!(size == Some(2), "the blob store lost a write");
        Ok(())
    }
}

/// The object path of a key; a [`BlobKey`] is always a valid one.
fn location(key: &BlobKey) -> Result<Path, BlobError> {
    Path::parse(key.as_str())
        .map_err(|error| anyhow!(error).context(format!("blob key {key}")).into())
}
