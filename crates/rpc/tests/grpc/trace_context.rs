//! The trace context crosses a gRPC call: the client sends the current
//! span's `traceparent` as metadata, and the server's handling runs in a
//! span that continues it (here without an exporter: passed through as is).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chorus_core::{ApiResult, Id};
use chorus_rpc::PostsApi;
use chorus_rpc::grpc::posts_routes;
use chorus_rpc::posts::PostBody;
use chorus_telemetry::{current_traceparent, set_parent_from};
use tracing::Instrument;

use crate::fake_posts::{FIRST, FakePosts};
use crate::helpers::{DEADLINE, key, posts_client_with, serve};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Posts that note the trace context each call is served in.
#[derive(Default)]
struct Recording {
    inner: FakePosts,
    seen: Mutex<Vec<Option<String>>>,
}

impl Recording {
    fn note(&self) {
        self.seen.lock().expect("lock").push(current_traceparent());
    }
}

#[async_trait]
impl PostsApi for Recording {
    async fn bodies(&self, ids: &[Id]) -> ApiResult<Vec<PostBody>> {
        self.note();
        self.inner.bodies(ids).await
    }

    async fn bodies_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<PostBody>> {
        self.note();
        self.inner.bodies_after(after, limit).await
    }

    async fn reactions_of(&self, viewer: Id, posts: &[Id]) -> ApiResult<HashMap<Id, Vec<String>>> {
        self.note();
        self.inner.reactions_of(viewer, posts).await
    }
}

// One thread: the subscriber set for this test reaches the server's tasks too.
#[tokio::test(flavor = "current_thread")]
async fn a_call_carries_the_callers_trace_to_the_server() {
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry());
    let posts = Arc::new(Recording::default());
    let addr = serve(posts_routes(posts.clone(), key())).await;
    let client = posts_client_with(&[addr], key(), DEADLINE);

    client.bodies(&[FIRST]).await.expect("untraced call");
    let caller = tracing::info_span!("caller");
    set_parent_from(&caller, Some(TRACEPARENT));
    client
        .bodies(&[FIRST])
        .instrument(caller)
        .await
        .expect("traced call");

    let seen = posts.seen.lock().expect("lock").clone();
    assert_eq!(seen, vec![None, Some(TRACEPARENT.to_string())]);
}
