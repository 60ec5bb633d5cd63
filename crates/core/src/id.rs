//! 64-bit, time-ordered ids (Snowflake layout), serialized as strings in JSON.
//!
//! Layout: 41 bits of milliseconds since 2024-01-01, 10 bits of node id, 12 bits
//! of sequence. Sorting ids sorts by creation time, which is what cursors use.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Milliseconds from the Unix epoch to 2024-01-01T00:00:00Z.
const EPOCH_MS: i64 = 1_704_067_200_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
const MAX_NODE: u16 = (1 << NODE_BITS) - 1;
const MAX_SEQ: i64 = (1 << SEQ_BITS) - 1;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(pub i64);

impl Id {
    pub fn as_i64(self) -> i64 {
        self.0
    }

    /// The id minted at Unix millisecond `timestamp_ms` by `node` with
    /// `sequence` (for tools that make ids for other times, such as a
    /// benchmark seeding past posts); `None` when a part is out of range.
    pub fn from_parts(timestamp_ms: i64, node: u16, sequence: i64) -> Option<Id> {
        let since_epoch = timestamp_ms.checked_sub(EPOCH_MS)?;
        let fits = (0..1 << 41).contains(&since_epoch)
            && node <= MAX_NODE
            && (0..=MAX_SEQ).contains(&sequence);
        fits.then(|| {
            Id(since_epoch << (NODE_BITS + SEQ_BITS) | i64::from(node) << SEQ_BITS | sequence)
        })
    }

    /// The creation time encoded in the id, in Unix milliseconds.
    pub fn timestamp_ms(self) -> i64 {
        (self.0 >> (NODE_BITS + SEQ_BITS)) + EPOCH_MS
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not a valid id")]
pub struct InvalidId;

impl FromStr for Id {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only plain positive decimals: "+1", " 1" or "-1" are not ids.
        if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidId);
        }
        s.parse::<i64>().map(Id).map_err(|_| InvalidId)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Number(i64),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Text(s) => s.parse().map_err(serde::de::Error::custom),
            Repr::Number(n) if n > 0 => Ok(Id(n)),
            Repr::Number(_) => Err(serde::de::Error::custom("not a valid id")),
        }
    }
}

impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{1,19}$"))
            .description(Some("64-bit time-ordered id, as a decimal string"))
            .examples(["7244718265810944001"])
            .into()
    }
}

impl utoipa::ToSchema for Id {}

/// Makes ids for one process. `node` tells processes apart so that two
/// instances never mint the same id in the same millisecond.
pub struct IdGenerator {
    node: i64,
    state: Mutex<(i64, i64)>, // (last millisecond, sequence within it)
}

impl IdGenerator {
    pub fn new(node: u16) -> Self {
        Self {
            node: i64::from(node & MAX_NODE),
            state: Mutex::new((0, 0)),
        }
    }

    /// A generator with a random node id, for processes not told theirs.
    pub fn with_random_node() -> Self {
        Self::new(rand::random::<u16>() & MAX_NODE)
    }

    pub fn next_id(&self) -> Id {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut now = chrono::Utc::now().timestamp_millis() - EPOCH_MS;
        if now < state.0 {
            // The clock went backwards: keep minting from the last instant.
            now = state.0;
        }
        if now == state.0 {
            state.1 += 1;
            if state.1 > MAX_SEQ {
                // 4096 ids in one millisecond: borrow the next one.
                now += 1;
                state.1 = 0;
            }
        } else {
            state.1 = 0;
        }
        state.0 = now;
        Id((now << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS) | state.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_from_parts_tells_its_time_and_refuses_what_does_not_fit() {
        let at = EPOCH_MS + 123_456;
        let id = Id::from_parts(at, 7, 9).expect("fits");
        assert_eq!(id.timestamp_ms(), at);
        assert!(Id::from_parts(at, 7, 10).expect("fits") > id);
        assert!(Id::from_parts(EPOCH_MS - 1, 0, 0).is_none());
        assert!(Id::from_parts(at, MAX_NODE + 1, 0).is_none());
        assert!(Id::from_parts(at, 0, MAX_SEQ + 1).is_none());
    }

    #[test]
    fn ids_increase_and_never_repeat() {
        let ids = IdGenerator::new(7);
        let mut last = ids.next_id();
        for _ in 0..20_000 {
            let next = ids.next_id();
            assert!(next > last);
            last = next;
        }
    }

    #[test]
    fn an_id_carries_its_creation_time() {
        let before = chrono::Utc::now().timestamp_millis();
        let id = IdGenerator::new(1).next_id();
        let after = chrono::Utc::now().timestamp_millis();
        assert!((before..=after + 5).contains(&id.timestamp_ms()));
    }

    #[test]
    fn ids_are_strings_in_json_and_parse_back() {
        let id = Id(7_244_718_265_810_944_001);
        let json = serde_json::to_string(&id).expect("serializes");
        assert_eq!(json, "\"7244718265810944001\"");
        let back: Id = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, id);
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in ["", "-1", "+1", " 1", "abc", "99999999999999999999", "1.5"] {
            assert!(bad.parse::<Id>().is_err(), "{bad:?} should be refused");
        }
    }
}
