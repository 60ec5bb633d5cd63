//! The rules a profile's fields follow.

use chorus_core::ApiError;

pub const DISPLAY_NAME_MAX: usize = 50;
pub const BIO_MAX: usize = 500;

/// A name to show: trimmed, 1 to 50 characters, no control characters.
pub fn display_name(raw: &str) -> Result<String, ApiError> {
    const FIELD: &str = "display_name";
    let trimmed = raw.trim();
    let len = trimmed.chars().take(DISPLAY_NAME_MAX + 1).count();
    if len == 0 {
        return Err(ApiError::invalid_field(FIELD, "must not be blank"));
    }
    if len > DISPLAY_NAME_MAX {
        return Err(ApiError::invalid_field(
            FIELD,
            format!("must be at most {DISPLAY_NAME_MAX} characters long"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            FIELD,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_string())
}

/// Free text about oneself: trimmed, at most 500 characters; line breaks and
/// tabs are fine, other control characters are not. Empty clears it.
pub fn bio(raw: &str) -> Result<String, ApiError> {
    const FIELD: &str = "bio";
    let trimmed = raw.trim();
    if trimmed.chars().take(BIO_MAX + 1).count() > BIO_MAX {
        return Err(ApiError::invalid_field(
            FIELD,
            format!("must be at most {BIO_MAX} characters long"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::invalid_field(
            FIELD,
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(display_name("  Zoë ").expect("valid"), "Zoë");
        assert!(display_name(&"é".repeat(50)).is_ok());
        for bad in ["", "   ", &"a".repeat(51), "a\u{0}b", "a\nb"] {
            assert!(display_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_bio_keeps_line_breaks_and_counts_characters() {
        assert_eq!(bio(" one\ntwo ").expect("valid"), "one\ntwo");
        assert!(bio(&"日".repeat(500)).is_ok());
        assert!(bio(&"日".repeat(501)).is_err());
        assert!(bio("bell\u{7}").is_err());
        assert_eq!(bio("").expect("valid"), "");
    }
}
