//! Timestamps: stored as Unix microseconds (one integer type in both SQL
//! dialects), shown as RFC 3339 in UTC.

use chrono::{DateTime, TimeZone, Utc};

pub type Timestamp = DateTime<Utc>;

pub fn now() -> Timestamp {
    Utc::now()
}

pub fn to_micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

pub fn from_micros(micros: i64) -> Timestamp {
    Utc.timestamp_micros(micros)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Serde helper for RFC 3339 with millisecond precision and a `Z`.
pub mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, s),
                None => s.serialize_none(),
            }
        }
    }
}
