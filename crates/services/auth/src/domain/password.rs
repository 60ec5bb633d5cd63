use std::fmt;

use super::Invalid;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// A password of 8 to 128 characters (characters, not bytes). It never
/// prints, and its length is checked before anything hashes it, so an
/// oversized one costs nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(field: &'static str, raw: String) -> Result<Self, Invalid> {
        // Stop counting past the maximum: a megabyte of input is refused in O(MAX_LEN).
        let len = raw.chars().take(MAX_LEN + 1).count();
        if len < MIN_LEN {
            return Err(Invalid::new(
                field,
                format!("must be at least {MIN_LEN} characters long"),
            ));
        }
        if len > MAX_LEN {
            return Err(Invalid::new(
                field,
                format!("must be at most {MAX_LEN} characters long"),
            ));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Password, Invalid> {
        Password::parse("password", raw.to_string())
    }

    #[test]
    fn passwords_of_eight_to_one_hundred_twenty_eight_characters_are_accepted() {
        for good in ["12345678", "correct horse battery staple", &"x".repeat(128)] {
            assert!(parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn short_and_long_passwords_are_refused() {
        for bad in ["", "1234567", &"x".repeat(129), &"x".repeat(1024 * 1024)] {
            assert!(parse(bad).is_err(), "{} characters", bad.len());
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        // 8 characters but 32 bytes: accepted.
        assert!(parse(&"🦀".repeat(8)).is_ok());
        // 128 characters but 512 bytes: accepted; one more: refused.
        assert!(parse(&"🦀".repeat(128)).is_ok());
        assert!(parse(&"🦀".repeat(129)).is_err());
    }

    #[test]
    fn a_password_never_prints() {
        let password = parse("hunter2hunter2").expect("valid");
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
