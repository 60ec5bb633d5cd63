//! `FeedApi` over gRPC: pages come back exactly as the service gave them,
//! the page request and ranking arrive exactly as sent, refusals keep their
//! error, and calls without the internal identity are refused.

use std::sync::Arc;
use std::sync::Mutex;

use async_trait::async_trait;
use chorus_core::{ApiError, ApiResult, Cursor, Id, IdentityKey, PageQuery, Secret};
use chorus_rpc::FeedApi;
use chorus_rpc::feed::{FeedEntry, FeedPage, Ranking};
use chorus_rpc::grpc::{GrpcFeed, feed_routes};
use http::StatusCode;

use crate::helpers::{DEADLINE, key, serve, url};

/// A feed that records what it was asked and answers a page made from it;
/// the cursor `refuse` gets a validation error.
#[derive(Default)]
struct RecordingFeed {
    asked: Mutex<Vec<(Id, PageQuery, Ranking)>>,
}

fn page_for(viewer: Id, page: &PageQuery, ranking: Ranking) -> FeedPage {
    let entries = (0..page.limit)
        .map(|n| FeedEntry {
            post: Id(viewer.as_i64() * 1000 + i64::from(n)),
            cursor: Cursor::encode(format!("{}.{n}", ranking.as_str())),
        })
        .collect();
    FeedPage {
        entries,
        next_cursor: (page.limit > 1).then(|| Cursor::encode("more")),
    }
}

#[async_trait]
impl FeedApi for RecordingFeed {
    async fn home(&self, viewer: Id, page: PageQuery, ranking: Ranking) -> ApiResult<FeedPage> {
        if page
            .cursor
            .as_ref()
            .is_some_and(|cursor| cursor.0 == "refuse")
        {
            return Err(ApiError::invalid_field(
                "cursor",
                "not a cursor this list gave out",
            ));
        }
        let answer = page_for(viewer, &page, ranking);
        self.asked
            .lock()
            .expect("not poisoned")
            .push((viewer, page, ranking));
        Ok(answer)
    }
}

async fn connected(key_of_client: IdentityKey) -> (Arc<RecordingFeed>, GrpcFeed) {
    chorus_testkit::init_test_logs();
    let feed = Arc::new(RecordingFeed::default());
    let addr = serve(feed_routes(feed.clone(), key())).await;
    let client = GrpcFeed::new(&[url(addr)], key_of_client, DEADLINE).expect("a client");
    (feed, client)
}

#[tokio::test]
async fn pages_and_requests_cross_the_wire_exactly() {
    let (feed, remote) = connected(key()).await;
    let requests = [
        (
            Id(7),
            PageQuery {
                limit: 3,
                cursor: None,
            },
            Ranking::Latest,
        ),
        (
            Id(8),
            PageQuery {
                limit: 1,
                cursor: Some(Cursor("1700000000000.42.20".into())),
            },
            Ranking::Top,
        ),
    ];
    for (viewer, page, ranking) in requests.clone() {
        let over_grpc = remote
            .home(viewer, page.clone(), ranking)
            .await
            .expect("a page");
        assert_eq!(over_grpc, page_for(viewer, &page, ranking));
    }
    let asked = feed.asked.lock().expect("not poisoned").clone();
    assert_eq!(asked.len(), 2);
    for ((viewer, page, ranking), (sent_viewer, sent_page, sent_ranking)) in
        asked.into_iter().zip(requests)
    {
        assert_eq!((viewer, ranking), (sent_viewer, sent_ranking));
        assert_eq!(page.limit, sent_page.limit);
        assert_eq!(page.cursor.map(|c| c.0), sent_page.cursor.map(|c| c.0));
    }
}

#[tokio::test]
async fn a_refusal_arrives_as_the_same_error() {
    let (_, remote) = connected(key()).await;
    let page = PageQuery {
        limit: 5,
        cursor: Some(Cursor("refuse".into())),
    };
    let error = remote
        .home(Id(1), page, Ranking::Latest)
        .await
        .expect_err("refused");
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    assert_eq!(error.code, "validation_failed");
}

#[tokio::test]
async fn calls_signed_with_another_key_are_refused() {
    let stranger = IdentityKey::new(&Secret::new("not the cluster's key"));
    let (feed, remote) = connected(stranger).await;
    let page = PageQuery {
        limit: 5,
        cursor: None,
    };
    let error = remote
        .home(Id(1), page, Ranking::Latest)
        .await
        .expect_err("refused");
    assert_eq!(error.status, StatusCode::UNAUTHORIZED);
    assert!(feed.asked.lock().expect("not poisoned").is_empty());
}
