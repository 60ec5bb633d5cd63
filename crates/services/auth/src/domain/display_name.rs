use super::{Invalid, Username};

pub const MAX_LEN: usize = 50;

/// A name to show: trimmed, 1 to 50 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let len = trimmed.chars().take(MAX_LEN + 1).count();
        if len == 0 {
            return Err(Invalid::new(field, "must not be blank"));
        }
        if len > MAX_LEN {
            return Err(Invalid::new(
                field,
                format!("must be at most {MAX_LEN} characters long"),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid::new(field, "must not contain control characters"));
        }
        Ok(Self(trimmed.to_string()))
    }

    /// The display name of an account that chose none: its username.
    pub fn from_username(username: &Username) -> Self {
        Self(username.as_str().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<DisplayName, Invalid> {
        DisplayName::parse("display_name", raw)
    }

    #[test]
    fn a_name_is_trimmed() {
        assert_eq!(
            parse("  Alice Smith \t").map(DisplayName::into_string),
            Ok("Alice Smith".into())
        );
    }

    #[test]
    fn any_script_and_emoji_are_welcome() {
        for good in ["Zoë", "李小龍", "🦀 Ferris", &"é".repeat(50)] {
            assert!(parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn blank_long_and_control_character_names_are_refused() {
        for bad in [
            "",
            "   ",
            &"a".repeat(51),
            "Al\u{0}ice",
            "Al\nice",
            "Al\u{7f}ice",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_is_the_username() {
        let username = Username::parse("username", "alice").expect("valid");
        assert_eq!(DisplayName::from_username(&username).as_str(), "alice");
    }
}
