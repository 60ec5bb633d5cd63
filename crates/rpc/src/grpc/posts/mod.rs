//! [`PostsApi`](crate::PostsApi) over gRPC: the posts service serves
//! [`posts_routes`]; other services (the feed) call it through [`GrpcPosts`].

mod client;
mod convert;
mod server;

pub use client::GrpcPosts;
pub use server::posts_routes;
