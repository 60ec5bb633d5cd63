//! What the search routes answer, beside posts and profiles.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A hashtag found by `type=hashtags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HashtagView {
    /// Lowercase, without `#`.
    #[schema(example = "rustlang")]
    pub name: String,
    /// Public posts carrying it.
    pub posts_count: u64,
}

/// A hashtag trending now (`GET /api/v1/trends`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrendView {
    /// Lowercase, without `#`.
    #[schema(example = "eclipse")]
    pub name: String,
    /// Public posts carrying it in the current window.
    pub posts_count: u64,
    /// Its usual count per window, over the windows before.
    pub previous_average: f64,
    /// How far above its usual rate it is: `(now - usual) / sqrt(usual + 1)`.
    /// Trends are ordered by it, so a sudden rise outranks a steady volume.
    pub score: f64,
}
