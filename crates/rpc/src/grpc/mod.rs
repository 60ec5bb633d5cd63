//! The gRPC transport for the service traits: each service serves its
//! routes ([`users_routes`], [`posts_routes`], [`feed_routes`]) on its own
//! HTTP port; other services call it through a balanced client
//! ([`GrpcUsers`], [`GrpcPosts`], [`GrpcFeed`]). Wire formats: `proto/*.proto`.

mod auth;
mod balance;
mod feed;
mod posts;
pub mod status;
mod users;

/// Code generated from `proto/*.proto` by `build.rs`.
pub mod proto {
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod users {
        tonic::include_proto!("chorus.users.v1");
    }

    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod feed {
        tonic::include_proto!("chorus.feed.v1");
    }

    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod posts {
        tonic::include_proto!("chorus.posts.v1");
    }
}

pub use feed::{GrpcFeed, feed_routes};
pub use posts::{GrpcPosts, posts_routes};
pub use status::{from_status, to_status};
pub use users::{GrpcUsers, users_routes};

use chorus_core::Id;

fn ids_to_wire(ids: &[Id]) -> Vec<i64> {
    ids.iter().map(|id| id.as_i64()).collect()
}

fn ids_from_wire(ids: &[i64]) -> Vec<Id> {
    ids.iter().copied().map(Id).collect()
}

/// A scan's `limit` on the wire: one too large for `uint32` saturates, so
/// the server still refuses it rather than answering a truncated page.
fn limit_to_wire(limit: usize) -> u32 {
    u32::try_from(limit).unwrap_or(u32::MAX)
}

fn limit_from_wire(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}
