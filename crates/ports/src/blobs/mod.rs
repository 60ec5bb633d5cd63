//! The blob port: byte objects (media files) under validated keys.
//!
//! Adapters: [`LocalBlobs`] (a directory, embedded mode) and [`S3Blobs`]
//! (an S3-compatible bucket, see [`S3Url`]), on the same `object_store`
//! code. A key is a [`BlobKey`], checked when it is made, so no adapter ever
//! sees a key that could climb out of its directory or bucket prefix.
//!
//! Writes are atomic: a reader sees the whole old object or the whole new
//! one, never a part. Reads stream, so a large object never sits in memory.

mod key;
mod local;
mod objects;
mod s3;
mod s3_url;

use std::ops::RangeInclusive;
use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

pub use key::BlobKey;
pub use local::LocalBlobs;
pub use s3::S3Blobs;
pub use s3_url::S3Url;

/// The bytes of a blob, as they are read.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

/// What [`BlobStore::get`] answers.
pub struct Blob {
    /// The whole blob's size, whatever range was asked for.
    pub size: u64,
    /// The offsets of the bytes `stream` yields (empty for an empty blob).
    pub range: std::ops::Range<u64>,
    pub stream: ByteStream,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("size", &self.size)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// Not a key a blob may have (see [`BlobKey::parse`]).
    #[error("invalid blob key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("no blob under this key")]
    NotFound,
    /// The range starts at or past the end (HTTP 416).
    #[error("the range starts past the end of the blob ({size} bytes)")]
    RangeNotSatisfiable { size: u64 },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing what was there.
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError>;

    /// Stores the content of the file at `path` under `key`, replacing what
    /// was there; the file is streamed, never read whole into memory.
    async fn put_file(&self, key: &BlobKey, path: &Path) -> Result<(), BlobError>;

    /// The blob under `key`, whole or `range` of it (offsets included at
    /// both ends). A range ending past the end stops at the last byte; one
    /// starting at or past the end is [`BlobError::RangeNotSatisfiable`].
    async fn get(
        &self,
        key: &BlobKey,
        range: Option<RangeInclusive<u64>>,
    ) -> Result<Blob, BlobError>;

    /// The size of the blob under `key`, `None` when there is none.
    async fn head(&self, key: &BlobKey) -> Result<Option<u64>, BlobError>;

    /// Deletes the blob under `key`; a missing one is no error.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Can the store be read and written? (for `/ready`)
    async fn ping(&self) -> anyhow::Result<()>;
}
