//! [`FeedApi`](crate::FeedApi) over gRPC: the feed service serves
//! [`feed_routes`]; the GraphQL API beside the posts service calls it
//! through [`GrpcFeed`].

mod client;
mod server;

pub use client::GrpcFeed;
pub use server::feed_routes;
