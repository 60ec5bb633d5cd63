//! Blob keys: relative, `/`-separated, from a small alphabet.

use super::BlobError;

/// Longer keys are refused: S3 allows 1024 bytes, file systems less per path.
const MAX_LEN: usize = 512;

/// A key that is safe under any adapter: relative, segments of ASCII
/// letters, digits, `-`, `_` and `.` joined by single `/`, and no segment
/// that is `.` or `..`. So it can neither escape a directory nor mean two
/// different objects on two stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(raw: &str) -> Result<Self, BlobError> {
        let refuse = |reason| {
            Err(BlobError::InvalidKey {
                key: raw.chars().take(80).collect(),
                reason,
            })
        };
        if raw.is_empty() {
            return refuse("it is empty");
        }
        if raw.len() > MAX_LEN {
            return refuse("it is longer than 512 bytes");
        }
        if raw.starts_with('/') {
            return refuse("it is absolute");
        }
        if raw.contains('\\') {
            return refuse("it contains a backslash");
        }
        for segment in raw.split('/') {
            match segment {
                "" => return refuse("it has an empty segment"),
                "." | ".." => return refuse("it has a `.` or `..` segment"),
                _ => {}
            }
            let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
            if !segment.bytes().all(allowed) {
                return refuse("only ASCII letters, digits, `-`, `_`, `.` and `/` may appear");
            }
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for BlobKey {
    type Err = BlobError;

    fn from_str(raw: &str) -> Result<Self, BlobError> {
        Self::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_keys_are_accepted() {
        for good in ["a", "sha256/0123abcdef", "x/y/z.bin", "A-b_c.9"] {
            assert_eq!(BlobKey::parse(good).expect(good).as_str(), good);
        }
    }

    #[test]
    fn keys_that_could_escape_or_alias_are_refused() {
        let long = "a".repeat(MAX_LEN + 1);
        for bad in [
            "",
            "/etc/passwd",
            "../secrets",
            "a/../../b",
            "a/./b",
            "..",
            ".",
            "a\\b",
            "..\\..\\windows",
            "a//b",
            "a/",
            "a b",
            "a%2f..",
            "café",
            "a\0b",
            "a\nb",
            "C:foo",
            long.as_str(),
        ] {
            assert!(
                matches!(BlobKey::parse(bad), Err(BlobError::InvalidKey { .. })),
                "{bad:?} should be refused"
            );
        }
    }
}
