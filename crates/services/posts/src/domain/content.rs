//! How long posts and comments may be, counted in characters (not bytes),
//! after trimming.

use chorus_core::{ApiError, ApiResult};

pub const MAX_POST_CHARS: usize = 5_000;
pub const MAX_COMMENT_CHARS: usize = 2_000;
/// Media a post may carry at most.
pub const MAX_MEDIA: usize = 10;

/// A post's content, trimmed. Only a repost may be empty.
pub fn post_content(raw: &str, repost: bool) -> ApiResult<String> {
    let content = raw.trim();
    if content.is_empty() && !repost {
        return Err(ApiError::invalid_field("content", "must not be empty"));
    }
    within("content", content, MAX_POST_CHARS)
}

/// A comment's content, trimmed: 1 to 2,000 characters.
pub fn comment_content(raw: &str) -> ApiResult<String> {
    let content = raw.trim();
    if content.is_empty() {
        return Err(ApiError::invalid_field("content", "must not be empty"));
    }
    within("content", content, MAX_COMMENT_CHARS)
}

fn within(field: &str, content: &str, max: usize) -> ApiResult<String> {
    // `chars().nth(max)` stops early instead of counting a huge body to the end.
    if content.chars().nth(max).is_some() {
        return Err(ApiError::invalid_field(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(content.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_must_not_be_empty() {
        assert_eq!(post_content("  hello \n", false).expect("ok"), "hello");
        assert!(post_content("   \n\t", false).is_err());
        assert!(post_content("", false).is_err());
        assert_eq!(post_content("  ", true).expect("a repost may be empty"), "");
    }

    #[test]
    fn the_limit_counts_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_POST_CHARS);
        assert!(at_limit.len() > MAX_POST_CHARS, "more bytes than chars");
        assert!(post_content(&at_limit, false).is_ok());
        let emoji = "🎉".repeat(MAX_POST_CHARS);
        assert!(post_content(&emoji, false).is_ok());
        let over = "a".repeat(MAX_POST_CHARS + 1);
        let error = post_content(&over, false).expect_err("too long");
        assert_eq!(error.details.expect("details")["field"], "content");
    }

    #[test]
    fn surrounding_whitespace_does_not_count() {
        let padded = format!("  {}  ", "a".repeat(MAX_POST_CHARS));
        assert_eq!(
            post_content(&padded, false).expect("ok").chars().count(),
            MAX_POST_CHARS
        );
    }

    #[test]
    fn comments_are_one_to_two_thousand_characters() {
        assert!(comment_content(" ").is_err());
        assert!(comment_content(&"ü".repeat(MAX_COMMENT_CHARS)).is_ok());
        assert!(comment_content(&"a".repeat(MAX_COMMENT_CHARS + 1)).is_err());
    }
}
