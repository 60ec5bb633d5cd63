//! The gRPC transport of `UsersApi`, `PostsApi` and `FeedApi`, end to end over real
//! sockets: in-memory implementations served with `axum::serve`, called
//! through `GrpcUsers`, `GrpcPosts` and `GrpcFeed`.

mod errors;
mod fake;
mod fake_posts;
mod feed;
mod helpers;
mod posts;
mod resilience;
mod round_trip;
mod same_port;
mod trace_context;
