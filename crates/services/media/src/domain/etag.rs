//! Entity tags (RFC 9110 §8.8.3): a file's is its SHA-256, which never
//! changes for an id, so a client that has the bytes may keep them forever.

/// The `ETag` of content whose SHA-256 is `sha256` (hex).
pub fn of(sha256: &str) -> String {
    format!("\"{sha256}\"")
}

/// Does an `If-None-Match` (or `If-Range`-like list) name `etag`? Weak
/// comparison, as `If-None-Match` asks: `W/"x"` matches `"x"`.
pub fn any_matches(header: &str, etag: &str) -> bool {
    let header = header.trim();
    header == "*"
        || header
            .split(',')
            .map(|tag| tag.trim())
            .map(|tag| tag.strip_prefix("W/").unwrap_or(tag))
            .any(|tag| tag == etag)
}

/// Does an `If-Range` allow the range? Only for the same strong tag;
/// anything else (a date, another tag) means: send the whole file.
pub fn if_range_allows(header: Option<&str>, etag: &str) -> bool {
    header.is_none_or(|value| value.trim() == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_is_the_quoted_hash() {
        assert_eq!(of("ab12"), "\"ab12\"");
    }

    #[test]
    fn if_none_match_matches_a_listed_weak_or_strong_tag_or_a_star() {
        let etag = of("ab12");
        assert!(any_matches("\"ab12\"", &etag));
        assert!(any_matches("W/\"ab12\"", &etag));
        assert!(any_matches("\"zz\", \"ab12\"", &etag));
        assert!(any_matches("*", &etag));
        assert!(!any_matches("\"zz\"", &etag));
        assert!(!any_matches("ab12", &etag));
        assert!(!any_matches("", &etag));
    }

    #[test]
    fn if_range_allows_the_range_for_the_same_strong_tag_only() {
        let etag = of("ab12");
        assert!(if_range_allows(None, &etag));
        assert!(if_range_allows(Some("\"ab12\""), &etag));
        assert!(!if_range_allows(Some("W/\"ab12\""), &etag));
        assert!(!if_range_allows(
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
            &etag
        ));
    }
}
