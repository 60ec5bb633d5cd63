//! Synchronous calls between services.
//!
//! Services prefer events; where a caller needs an answer now (is this viewer
//! allowed to see this author's posts? what do these posts say?), it calls a
//! small, batched trait. In `chorus up` the trait object is the owning
//! service itself; in distributed mode it is a gRPC client with deadlines
//! ([`grpc`]).

pub mod feed;
pub mod grpc;
pub mod posts;
pub mod push;
pub mod users;

pub use feed::FeedApi;
pub use posts::PostsApi;
pub use users::UsersApi;
