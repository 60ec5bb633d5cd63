//! An upload on its way in: written to a temporary file chunk by chunk
//! (never whole in memory), hashed and counted as it goes, its kind sniffed
//! from its first bytes, and refused the moment it passes a limit.

use chorus_core::{ApiError, ApiResult, Id};
use http::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::{AsyncWriteExt, BufWriter};

use super::Media;
use crate::domain::kind::{SNIFF_BYTES, sniff};
use crate::domain::{MediaKind, Sniffed};
use crate::store;

/// Spooled files older than this are left by a crash: no upload takes so long.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes the files in `dir` last written more than `older_than` ago:
/// what a killed process left behind (a live upload's file is removed when
/// it ends). Files younger than that may belong to another instance's
/// upload in progress, so they stay. Returns how many went.
pub fn sweep_stale(dir: &std::path::Path, older_than: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .ok()
            .filter(|meta| meta.is_file())
            .and_then(|meta| meta.modified().ok())
            .and_then(|at| at.elapsed().ok())
            .is_some_and(|age| age > older_than);
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The limits an upload must stay within.
#[derive(Debug, Clone, Copy)]
struct Limits {
    image_bytes: u64,
    video_bytes: u64,
    quota_bytes: u64,
    /// What the owner already keeps.
    used_bytes: u64,
}

pub struct Spool {
    limits: Limits,
    /// The first bytes, until the kind is known.
    head: Vec<u8>,
    kind: Option<MediaKind>,
    size: u64,
    hasher: Sha256,
    file: BufWriter<tokio::fs::File>,
    /// Removes the file when dropped: a refused upload leaves nothing.
    path: TempPath,
}

/// A whole upload, spooled and within its limits.
#[derive(Debug)]
pub struct Spooled {
    pub kind: MediaKind,
    pub size: u64,
    /// Hex.
    pub sha256: String,
    pub path: TempPath,
}

impl Media {
    /// A spool for an upload by `owner`, bounded by the kind's limit and
    /// by what is left of their quota.
    pub async fn spool(&self, owner: Id) -> ApiResult<Spool> {
        let used = store::usage::used(self.db().reader(), owner)
            .await
            .map_err(ApiError::internal)?;
        let config = self.config();
        let limits = Limits {
            image_bytes: config.max_image_bytes,
            video_bytes: config.max_video_bytes,
            quota_bytes: config.quota_bytes,
            used_bytes: u64::try_from(used).unwrap_or(0),
        };
        let dir = self.inner.spool_dir.clone();
        let temp = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::NamedTempFile::new_in(&dir)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|error| ApiError::internal(format!("creating an upload spool file: {error}")))?;
        let (file, path) = temp.into_parts();
        Ok(Spool {
            limits,
            head: Vec::with_capacity(SNIFF_BYTES),
            kind: None,
            size: 0,
            hasher: Sha256::new(),
            file: BufWriter::new(tokio::fs::File::from_std(file)),
            path,
        })
    }
}

impl Spool {
    /// Adds the next bytes of the file; refuses (415, 413) as soon as the
    /// kind is unknown or a limit is passed.
    pub async fn write(&mut self, chunk: &[u8]) -> ApiResult<()> {
        self.size += chunk.len() as u64;
        if self.kind.is_none() {
            let wanted = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..wanted]);
            if self.head.len() >= SNIFF_BYTES {
                self.kind = Some(kind_of(&self.head)?);
            }
        }
        self.check_size()?;
        self.hasher.update(chunk);
        self.file
            .write_all(chunk)
            .await
            .map_err(|error| ApiError::internal(format!("spooling an upload: {error}")))
    }

    /// The whole upload: refused when empty (400) or of an unknown kind (415).
    pub async fn finish(mut self) -> ApiResult<Spooled> {
        if self.size == 0 {
            return Err(ApiError::invalid_field("file", "is empty"));
        }
        let kind = match self.kind {
            Some(kind) => kind,
            // Shorter than the sniffing window.
            None => kind_of(&self.head)?,
        };
        self.kind = Some(kind);
        self.check_size()?;
        self.file
            .flush()
            .await
            .map_err(|error| ApiError::internal(format!("spooling an upload: {error}")))?;
        let sha256 = self
            .hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(Spooled {
            kind,
            size: self.size,
            sha256,
            path: self.path,
        })
    }

    fn check_size(&self) -> ApiResult<()> {
        let limits = &self.limits;
        if let Some(kind) = self.kind {
            let (max, what) = match kind.is_image() {
                true => (limits.image_bytes, "images"),
                false => (limits.video_bytes, "videos"),
            };
            if self.size > max {
                return Err(ApiError::payload_too_large(format!(
                    "{what} may be at most {max} bytes"
                ))
                .with_details(json!({ "max_bytes": max, "mime": kind.mime() })));
            }
        }
        if limits.used_bytes.saturating_add(self.size) > limits.quota_bytes {
            return Err(quota_exceeded(limits.quota_bytes, limits.used_bytes));
        }
        Ok(())
    }
}

fn kind_of(head: &[u8]) -> ApiResult<MediaKind> {
    match sniff(head) {
        Sniffed::Known(kind) => Ok(kind),
        Sniffed::Unknown => {
            let accepted: Vec<&str> = MediaKind::ALL.iter().map(|kind| kind.mime()).collect();
            Err(ApiError::unsupported_media_type(
                "the file is none of JPEG, PNG, GIF, WebP, MP4 or WebM (judged by its content)",
            )
            .with_details(json!({ "accepted": accepted })))
        }
    }
}

/// 413: the upload would take `owner` past their quota.
pub(super) fn quota_exceeded(quota: u64, used: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "quota_exceeded",
        format!("this upload would pass your storage quota of {quota} bytes (you use {used})"),
    )
    .with_details(json!({ "quota_bytes": quota, "used_bytes": used }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_HEAD: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";

    #[test]
    fn only_files_older_than_the_limit_are_swept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let old = dir.path().join("left-by-a-crash");
        let young = dir.path().join("in-progress");
        std::fs::write(&old, b"x").expect("write");
        std::fs::write(&young, b"y").expect("write");
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .expect("open")
            .set_modified(two_hours_ago)
            .expect("set mtime");
        assert_eq!(sweep_stale(dir.path(), STALE_AFTER), 1);
        assert!(!old.exists());
        assert!(young.exists());
        assert_eq!(sweep_stale(&dir.path().join("missing"), STALE_AFTER), 0);
    }

    async fn new_spool(limits: Limits) -> (Spool, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let temp = tempfile::NamedTempFile::new_in(dir.path()).expect("a temp file");
        let (file, path) = temp.into_parts();
        let spool = Spool {
            limits,
            head: Vec::new(),
            kind: None,
            size: 0,
            hasher: Sha256::new(),
            file: BufWriter::new(tokio::fs::File::from_std(file)),
            path,
        };
        (spool, dir)
    }

    const ROOMY: Limits = Limits {
        image_bytes: 100,
        video_bytes: 1000,
        quota_bytes: 10_000,
        used_bytes: 0,
    };

    #[tokio::test]
    async fn a_file_arriving_in_tiny_chunks_is_sniffed_hashed_and_kept_whole() {
        let (mut spool, _dir) = new_spool(ROOMY).await;
        let content = [PNG_HEAD, b"rest of it"].concat();
        for byte in &content {
            spool.write(&[*byte]).await.expect("within limits");
        }
        let spooled = spool.finish().await.expect("finishes");
        assert_eq!(spooled.kind, MediaKind::Png);
        assert_eq!(spooled.size, content.len() as u64);
        let expected: String = Sha256::digest(&content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(spooled.sha256, expected);
        assert_eq!(std::fs::read(&spooled.path).expect("reads"), content);
    }

    #[tokio::test]
    async fn an_unknown_kind_is_refused_at_its_first_bytes() {
        let (mut spool, _dir) = new_spool(ROOMY).await;
        let error = spool
            .write(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff")
            .await
            .expect_err("refused");
        assert_eq!(error.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn a_short_file_is_judged_at_its_end() {
        let (mut spool, _dir) = new_spool(ROOMY).await;
        spool
            .write(b"GIF89a")
            .await
            .expect("too short to judge yet");
        assert_eq!(spool.finish().await.expect("a GIF").kind, MediaKind::Gif);

        let (mut spool, _dir) = new_spool(ROOMY).await;
        spool.write(b"hello").await.expect("too short to judge yet");
        let error = spool.finish().await.expect_err("refused");
        assert_eq!(error.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn nothing_at_all_is_a_bad_request() {
        let (spool, _dir) = new_spool(ROOMY).await;
        let error = spool.finish().await.expect_err("refused");
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn the_kinds_limit_stops_the_upload_at_the_chunk_that_passes_it() {
        let (mut spool, _dir) = new_spool(ROOMY).await;
        spool.write(PNG_HEAD).await.expect("fits");
        spool.write(&[0; 84]).await.expect("exactly at the limit");
        let error = spool.write(&[0]).await.expect_err("one byte too many");
        assert_eq!(error.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error.code, "payload_too_large");

        // A video may be larger than an image.
        let (mut spool, _dir) = new_spool(ROOMY).await;
        spool.write(b"\0\0\0\x18ftypmp42").await.expect("fits");
        spool.write(&[0; 500]).await.expect("a video may be larger");
    }

    #[tokio::test]
    async fn the_quota_left_stops_the_upload_too() {
        let limits = Limits {
            used_bytes: 9_990,
            ..ROOMY
        };
        let (mut spool, _dir) = new_spool(limits).await;
        let error = spool.write(PNG_HEAD).await.expect_err("past the quota");
        assert_eq!(error.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error.code, "quota_exceeded");
    }
}
