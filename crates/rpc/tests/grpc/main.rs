//! The gRPC transport of `UsersApi` and `PostsApi`, end to end over real
//! sockets: in-memory implementations served with `axum::serve`, called
//! through `GrpcUsers` and `GrpcPosts`.

mod errors;
mod fake;
mod fake_posts;
mod helpers;
mod posts;
mod resilience;
mod round_trip;
mod same_port;
