//! Serving a `UsersApi` or a `PostsApi` on a real port and building clients for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chorus_core::{IdentityKey, Secret};
use chorus_rpc::grpc::{GrpcPosts, GrpcUsers, posts_routes, users_routes};
use tokio::net::TcpListener;

use crate::fake::FakeUsers;
use crate::fake_posts::FakePosts;

/// Generous next to a loopback call, short next to a test's patience.
pub const DEADLINE: Duration = Duration::from_secs(2);

pub fn key() -> IdentityKey {
    IdentityKey::new(&Secret::new("internal key for rpc tests"))
}

/// Serves `router` on a free port of 127.0.0.1 until the test's runtime ends.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("read the bound address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// `users` as the users service would serve it.
pub async fn serve_users(users: Arc<FakeUsers>) -> SocketAddr {
    chorus_testkit::init_test_logs();
    serve(users_routes(users, key())).await
}

pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

pub fn client(addrs: &[SocketAddr]) -> GrpcUsers {
    client_with(addrs, key(), DEADLINE)
}

pub fn client_with(addrs: &[SocketAddr], key: IdentityKey, deadline: Duration) -> GrpcUsers {
    let urls: Vec<String> = addrs.iter().copied().map(url).collect();
    GrpcUsers::new(&urls, key, deadline).expect("a client for valid URLs")
}

/// A fake users service and a client for it.
pub async fn connected() -> (Arc<FakeUsers>, GrpcUsers) {
    let users = Arc::new(FakeUsers::default());
    let addr = serve_users(users.clone()).await;
    (users, client(&[addr]))
}

/// `posts` as the posts service would serve it.
pub async fn serve_posts(posts: Arc<FakePosts>) -> SocketAddr {
    chorus_testkit::init_test_logs();
    serve(posts_routes(posts, key())).await
}

pub fn posts_client_with(addrs: &[SocketAddr], key: IdentityKey, deadline: Duration) -> GrpcPosts {
    let urls: Vec<String> = addrs.iter().copied().map(url).collect();
    GrpcPosts::new(&urls, key, deadline).expect("a client for valid URLs")
}

/// A fake posts service and a client for it.
pub async fn posts_connected() -> (Arc<FakePosts>, GrpcPosts) {
    let posts = Arc::new(FakePosts::default());
    let addr = serve_posts(posts.clone()).await;
    (posts, posts_client_with(&[addr], key(), DEADLINE))
}
