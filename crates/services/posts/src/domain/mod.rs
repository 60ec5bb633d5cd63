//! The rules of posts, free of storage and transport: what content is
//! acceptable, what a hashtag or a mention is, who may see a post.

pub mod content;
pub mod reaction;
pub mod text;
pub mod visibility;

pub use content::{MAX_COMMENT_CHARS, MAX_MEDIA, MAX_POST_CHARS};
pub use reaction::REACTION_KINDS;
pub use visibility::Visibility;
