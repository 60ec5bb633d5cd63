//! The `Range` header of a GET (RFC 9110 §14): one byte range, or the whole.

use std::ops::RangeInclusive;

/// What to send for a `Range` header, given the file's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// No range, one this server does not do (several, another unit) or a
    /// malformed one, which the RFC says to ignore: 200 and every byte.
    Whole,
    /// 206 and these bytes.
    Part(RangeInclusive<u64>),
    /// 416: the range starts past the end.
    Unsatisfiable,
}

pub fn parse(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    // Several ranges would need a multipart/byteranges answer: the whole
    // file is an allowed answer instead.
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let last_byte = size.checked_sub(1);
    match (first.trim().is_empty(), number(first), number(last)) {
        // `-n`: the last n bytes.
        (true, _, Some(suffix)) => match last_byte {
            Some(last_byte) if suffix > 0 => {
                RangeRequest::Part(size.saturating_sub(suffix)..=last_byte)
            }
            _ => RangeRequest::Unsatisfiable,
        },
        // `a-` and `a-b`.
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if end.is_some_and(|end| end < start) {
                return RangeRequest::Whole;
            }
            match last_byte {
                Some(last_byte) if start <= last_byte => {
                    RangeRequest::Part(start..=end.map_or(last_byte, |end| end.min(last_byte)))
                }
                _ => RangeRequest::Unsatisfiable,
            }
        }
        _ => RangeRequest::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{Part, Unsatisfiable, Whole};
    use super::*;

    #[test]
    fn one_range_of_bytes_is_read_in_its_three_forms() {
        assert_eq!(parse(Some("bytes=0-9"), 100), Part(0..=9));
        assert_eq!(parse(Some("bytes=10-"), 100), Part(10..=99));
        assert_eq!(parse(Some("bytes=-10"), 100), Part(90..=99));
        assert_eq!(parse(Some("bytes=99-99"), 100), Part(99..=99));
        assert_eq!(parse(Some(" bytes=5-6 "), 100), Part(5..=6));
    }

    #[test]
    fn a_range_past_the_end_stops_at_the_last_byte_or_is_unsatisfiable() {
        assert_eq!(parse(Some("bytes=90-1000"), 100), Part(90..=99));
        assert_eq!(parse(Some("bytes=-1000"), 100), Part(0..=99));
        assert_eq!(parse(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse(Some("bytes=100-200"), 100), Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-0"), 0), Unsatisfiable);
        assert_eq!(parse(Some("bytes=-5"), 0), Unsatisfiable);
    }

    #[test]
    fn what_this_server_does_not_do_or_cannot_read_is_ignored() {
        for header in [
            None,
            Some(""),
            Some("items=0-9"),
            Some("bytes=0-9,20-29"),
            Some("bytes=9-0"),
            Some("bytes=a-b"),
            Some("bytes=-"),
            Some("bytes=1"),
            Some("bytes=+1-2"),
            Some("bytes=99999999999999999999999-"),
        ] {
            assert_eq!(parse(header, 100), Whole, "{header:?}");
        }
    }
}
