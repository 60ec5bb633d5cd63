//! The blob store contract, written once and run on every adapter: a local
//! folder, and an S3-compatible bucket (skipped when no server answers, like
//! the Redis and RabbitMQ suites; `scripts/services.sh start` runs SeaweedFS).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chorus_ports::blobs::{BlobError, BlobKey, BlobStore, LocalBlobs, S3Blobs, S3Url};
use chorus_testkit::{s3_url_under, unique_namespace};
use futures::TryStreamExt;

/// The longest any one adapter's run may take before the test fails.
const SUITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Every check, in order. `scratch` is a folder for files to upload from.
async fn blob_conformance(blobs: Arc<dyn BlobStore>, scratch: &Path) {
    let checks = async {
        ping_answers(&blobs).await;
        bytes_put_read_back_exactly(&blobs).await;
        a_file_put_reads_back_exactly(&blobs, scratch).await;
        putting_a_missing_file_fails_and_stores_nothing(&blobs, scratch).await;
        ranges_read_the_bytes_asked_for(&blobs).await;
        a_range_starting_past_the_end_is_not_satisfiable(&blobs).await;
        head_tells_the_size_or_none(&blobs).await;
        a_missing_blob_is_not_found(&blobs).await;
        a_deleted_blob_is_gone_and_deleting_again_is_fine(&blobs).await;
        an_overwrite_replaces_the_whole_blob(&blobs).await;
        an_empty_blob_reads_back_empty(&blobs).await;
    };
    tokio::time::timeout(SUITE_TIMEOUT, checks)
        .await
        .expect("the blob suite finishes in time");
}

fn key(raw: &str) -> BlobKey {
    BlobKey::parse(raw).expect("a valid key")
}

/// `len` bytes that differ from offset to offset, so a wrong range shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

async fn read(blobs: &Arc<dyn BlobStore>, key: &BlobKey, range: Option<(u64, u64)>) -> Vec<u8> {
    let blob = blobs
        .get(key, range.map(|(start, end)| start..=end))
        .await
        .expect("get");
    let chunks: Vec<Bytes> = blob.stream.try_collect().await.expect("the stream reads");
    let bytes = chunks.concat();
    assert_eq!(bytes.len() as u64, blob.range.end - blob.range.start);
    bytes
}

async fn ping_answers(blobs: &Arc<dyn BlobStore>) {
    blobs.ping().await.expect("ping");
}

async fn bytes_put_read_back_exactly(blobs: &Arc<dyn BlobStore>) {
    let key = key("conformance/bytes");
    let content = Bytes::from_static(&[0, 159, 146, 150, 255, b'\n', b'/']);
    blobs.put(&key, content.clone()).await.expect("put");
    let blob = blobs.get(&key, None).await.expect("get");
    assert_eq!(blob.size, 7);
    assert_eq!(blob.range, 0..7);
    assert_eq!(read(blobs, &key, None).await, content.to_vec());
}

async fn a_file_put_reads_back_exactly(blobs: &Arc<dyn BlobStore>, scratch: &Path) {
    // Larger than any adapter's part (S3's are 5 MiB), and not a multiple of one.
    let content = pattern(2 * 5 * 1024 * 1024 + 17);
    let file = scratch.join("upload.bin");
    std::fs::write(&file, &content).expect("writes the file");
    let key = key("conformance/from-a-file");
    blobs.put_file(&key, &file).await.expect("put_file");
    assert_eq!(
        blobs.head(&key).await.expect("head"),
        Some(content.len() as u64)
    );
    assert!(read(blobs, &key, None).await == content, "the bytes differ");
    // The largest blob: not left behind on a shared server.
    blobs.delete(&key).await.expect("delete");
}

async fn putting_a_missing_file_fails_and_stores_nothing(
    blobs: &Arc<dyn BlobStore>,
    scratch: &Path,
) {
    let key = key("conformance/never-stored");
    let missing = scratch.join("no-such-file");
    assert!(matches!(
        blobs.put_file(&key, &missing).await,
        Err(BlobError::Other(_))
    ));
    assert_eq!(blobs.head(&key).await.expect("head"), None);
}

async fn ranges_read_the_bytes_asked_for(blobs: &Arc<dyn BlobStore>) {
    let content = pattern(1000);
    let key = key("conformance/ranges");
    blobs
        .put(&key, Bytes::from(content.clone()))
        .await
        .expect("put");
    assert_eq!(read(blobs, &key, Some((0, 9))).await, content[..10]);
    assert_eq!(read(blobs, &key, Some((100, 199))).await, content[100..200]);
    assert_eq!(read(blobs, &key, Some((999, 999))).await, content[999..]);
    assert_eq!(read(blobs, &key, Some((0, 0))).await, content[..1]);

    let tail = blobs.get(&key, Some(995..=5_000)).await.expect("get");
    assert_eq!(
        (tail.size, tail.range.clone()),
        (1000, 995..1000),
        "a range ending past the end stops at the last byte"
    );
    assert_eq!(read(blobs, &key, Some((995, 5_000))).await, content[995..]);

    let middle = blobs.get(&key, Some(100..=199)).await.expect("get");
    assert_eq!(middle.size, 1000, "the size is the whole blob's");
}

async fn a_range_starting_past_the_end_is_not_satisfiable(blobs: &Arc<dyn BlobStore>) {
    let key = key("conformance/short");
    blobs
        .put(&key, Bytes::from_static(b"0123456789"))
        .await
        .expect("put");
    for range in [10..=10, 10..=20, 11..=11, 1_000_000..=2_000_000] {
        match blobs.get(&key, Some(range.clone())).await {
            Err(BlobError::RangeNotSatisfiable { size }) => assert_eq!(size, 10),
            other => panic!("{range:?}: {other:?}"),
        }
    }
}

async fn head_tells_the_size_or_none(blobs: &Arc<dyn BlobStore>) {
    let key = key("conformance/head");
    blobs
        .put(&key, Bytes::from(pattern(4321)))
        .await
        .expect("put");
    assert_eq!(blobs.head(&key).await.expect("head"), Some(4321));
    let missing = self::key("conformance/head-missing");
    assert_eq!(blobs.head(&missing).await.expect("head"), None);
}

async fn a_missing_blob_is_not_found(blobs: &Arc<dyn BlobStore>) {
    let missing = key("conformance/never/put");
    assert!(matches!(
        blobs.get(&missing, None).await,
        Err(BlobError::NotFound)
    ));
    assert!(matches!(
        blobs.get(&missing, Some(0..=10)).await,
        Err(BlobError::NotFound)
    ));
}

async fn a_deleted_blob_is_gone_and_deleting_again_is_fine(blobs: &Arc<dyn BlobStore>) {
    let key = key("conformance/deleted");
    blobs
        .put(&key, Bytes::from_static(b"short-lived"))
        .await
        .expect("put");
    blobs.delete(&key).await.expect("delete");
    assert_eq!(blobs.head(&key).await.expect("head"), None);
    assert!(matches!(
        blobs.get(&key, None).await,
        Err(BlobError::NotFound)
    ));
    blobs
        .delete(&key)
        .await
        .expect("deleting a missing blob is no error");
}

async fn an_overwrite_replaces_the_whole_blob(blobs: &Arc<dyn BlobStore>) {
    let key = key("conformance/overwritten");
    blobs
        .put(&key, Bytes::from(pattern(5000)))
        .await
        .expect("put");
    blobs
        .put(&key, Bytes::from_static(b"shorter"))
        .await
        .expect("overwrite");
    assert_eq!(blobs.head(&key).await.expect("head"), Some(7));
    assert_eq!(read(blobs, &key, None).await, b"shorter");
}

async fn an_empty_blob_reads_back_empty(blobs: &Arc<dyn BlobStore>) {
    let key = key("conformance/empty");
    blobs.put(&key, Bytes::new()).await.expect("put");
    assert_eq!(blobs.head(&key).await.expect("head"), Some(0));
    assert!(read(blobs, &key, None).await.is_empty());
    assert!(matches!(
        blobs.get(&key, Some(0..=0)).await,
        Err(BlobError::RangeNotSatisfiable { size: 0 })
    ));
}

/// A fresh folder under the system's temporary one, removed on drop.
struct Folder(PathBuf);

impl Folder {
    fn new() -> Self {
        Self(std::env::temp_dir().join(unique_namespace("blobs")))
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blob_contract_holds_on_a_local_folder() {
    chorus_testkit::init_test_logs();
    let folder = Folder::new();
    let scratch = folder.0.join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch folder");
    let blobs = Arc::new(LocalBlobs::new(&folder.0.join("blobs")));
    blob_conformance(blobs, &scratch).await;
}

#[tokio::test]
async fn a_local_blob_is_a_file_at_its_key_under_the_folder_made_at_first_use() {
    let folder = Folder::new();
    let root = folder.0.join("media");
    let blobs = LocalBlobs::new(&root);
    assert!(!root.exists(), "nothing is created before the first use");
    blobs
        .put(&key("sha256/00ff"), Bytes::from_static(b"x"))
        .await
        .expect("put");
    assert_eq!(
        std::fs::read(root.join("sha256").join("00ff")).expect("the file"),
        b"x"
    );
}

/// A bucket on the test S3 server, under a prefix no other run uses.
fn s3_blobs(url: &str) -> S3Blobs {
    S3Blobs::new(&S3Url::parse(url).expect("the test S3 URL")).expect("the S3 adapter")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blob_contract_holds_on_an_s3_bucket() {
    chorus_testkit::init_test_logs();
    let Some(url) = chorus_testkit::s3_url() else {
        return;
    };
    let scratch = Folder::new();
    std::fs::create_dir_all(&scratch.0).expect("scratch folder");
    let blobs = s3_blobs(&s3_url_under(&url, &unique_namespace("blobs")));
    blob_conformance(Arc::new(blobs), &scratch.0).await;
}

#[tokio::test]
async fn an_s3_blob_is_an_object_at_its_key_under_the_prefix() {
    let Some(url) = chorus_testkit::s3_url() else {
        return;
    };
    let run = unique_namespace("blobs");
    let prefixed = s3_blobs(&s3_url_under(&url, &run));
    prefixed
        .put(&key("sha256/00ff"), Bytes::from_static(b"x"))
        .await
        .expect("put");
    let whole_bucket = s3_blobs(&url);
    let under_prefix = key(&format!("{run}/sha256/00ff"));
    assert_eq!(
        whole_bucket.head(&under_prefix).await.expect("head"),
        Some(1)
    );
    let elsewhere = s3_blobs(&s3_url_under(&url, &unique_namespace("blobs")));
    assert_eq!(
        elsewhere.head(&key("sha256/00ff")).await.expect("head"),
        None,
        "another prefix sees none of it"
    );
    whole_bucket.delete(&under_prefix).await.expect("delete");
    assert_eq!(
        prefixed.head(&key("sha256/00ff")).await.expect("head"),
        None
    );
}

#[test]
fn keys_that_could_leave_the_store_are_refused_before_any_adapter_sees_them() {
    for bad in [
        "",
        "/etc/passwd",
        "../outside",
        "a/../../outside",
        "a/./b",
        "a\\..\\b",
        "a//b",
        "trailing/",
    ] {
        assert!(
            matches!(BlobKey::parse(bad), Err(BlobError::InvalidKey { .. })),
            "{bad:?} should be refused"
        );
        let from_str: Result<BlobKey, _> = bad.parse();
        assert!(from_str.is_err(), "{bad:?} should be refused");
    }
}
