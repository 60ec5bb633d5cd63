use email_address::{EmailAddress, Options};

use super::Invalid;

/// The longest address SMTP can carry (RFC 5321 path limit less the brackets).
pub const MAX_LEN: usize = 254;

/// A valid email address, lowercased so that uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        if raw.len() > MAX_LEN {
            return Err(Invalid::new(
                field,
                format!("must be at most {MAX_LEN} characters long"),
            ));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new(
                field,
                "must not contain spaces or control characters",
            ));
        }
        // A plain address with a dotted domain: no display names, no `[1.2.3.4]`.
        let options = Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        EmailAddress::parse_with_options(raw, options)
            .map_err(|_| Invalid::new(field, "is not a valid email address"))?;
        Ok(Self(raw.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Email, Invalid> {
        Email::parse("email", raw)
    }

    #[test]
    fn a_valid_address_is_accepted_and_lowercased() {
        let email = parse("Alice.Smith+tag@Example.COM").expect("valid");
        assert_eq!(email.as_str(), "alice.smith+tag@example.com");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@localhost",
            "alice@@example.com",
            "alice @example.com",
            "Alice <alice@example.com>",
            "alice@[127.0.0.1]",
            "alice@example.com\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_address_longer_than_254_characters_is_refused() {
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert!(long.len() > MAX_LEN);
        let error = parse(&long).expect_err("too long");
        assert!(error.reason.contains("254"), "{}", error.reason);
    }
}
