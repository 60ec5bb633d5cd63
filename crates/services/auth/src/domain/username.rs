use super::Invalid;

pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 30;

/// 3 to 30 characters, each a lowercase ASCII letter, a digit or `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            return Err(Invalid::new(
                field,
                format!("must be {MIN_LEN} to {MAX_LEN} characters long"),
            ));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
        if !raw.chars().all(allowed) {
            return Err(Invalid::new(
                field,
                "may contain only lowercase letters a-z, digits and underscores",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Username, Invalid> {
        Username::parse("username", raw)
    }

    #[test]
    fn lowercase_letters_digits_and_underscores_are_accepted() {
        for good in ["abc", "alice_99", "___", "a1_", &"z".repeat(30)] {
            assert_eq!(parse(good).map(|u| u.into_string()), Ok(good.to_string()));
        }
    }

    #[test]
    fn names_shorter_than_three_or_longer_than_thirty_are_refused() {
        for bad in ["", "ab", &"a".repeat(31), &"a".repeat(10_000)] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn uppercase_spaces_punctuation_and_non_ascii_are_refused() {
        for bad in [
            "Alice",
            "al ice",
            "al-ice",
            "al.ice",
            "alïce",
            "ali\u{0}ce",
            "ａbc",
            " abc",
        ] {
            let error = parse(bad).expect_err(bad);
            assert_eq!(error.field, "username");
        }
    }

    #[test]
    fn the_length_counts_characters_not_bytes() {
        // Three characters but six bytes: refused for the characters, not the length.
        let error = parse("ééé").expect_err("refused");
        assert!(error.reason.contains("lowercase"), "{}", error.reason);
    }
}
