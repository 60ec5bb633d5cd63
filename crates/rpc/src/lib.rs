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

use chorus_core::{ApiError, ApiResult};

/// Refuses a keyset scan's `limit` (`bodies_after`, `cards_after`) unless it
/// is 1 to `max` (400 `validation_failed`): a scan asks for pages of bounded
/// work, and a page of none would never move on.
pub fn check_limit(limit: usize, max: usize) -> ApiResult<()> {
    if limit == 0 || limit > max {
        return Err(ApiError::invalid_field(
            "limit",
            format!("must be between 1 and {max}"),
        ));
    }
    Ok(())
}
