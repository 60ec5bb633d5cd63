//! The event envelope every service publishes and consumes:
//! `{id, type, version, occurred_at, actor, payload}` as JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Id;
use crate::time::Timestamp;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Envelope {
    /// Unique per event; consumers record it to apply each event once.
    pub id: Id,
    /// Dotted name, also the routing key: `user.registered`, `post.created`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Version of the payload's schema for this type.
    pub version: u32,
    pub occurred_at: Timestamp,
    /// The user whose action caused the event, if any.
    pub actor: Option<Id>,
    pub payload: Value,
    /// W3C `traceparent` of the request that caused the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl Envelope {
    pub fn new(id: Id, kind: impl Into<String>, actor: Option<Id>, payload: Value) -> Self {
        Self {
            id,
            kind: kind.into(),
            version: 1,
            occurred_at: chrono::Utc::now(),
            actor,
            payload,
            traceparent: None,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        // An envelope is plain data: serialization cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Reads the payload as the type its consumer expects.
    pub fn payload_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.payload)
    }
}

/// Does a routing key match an AMQP topic pattern? `*` is one word, `#` is zero or more.
pub fn topic_matches(pattern: &str, key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match (p.first(), k.first()) {
            (None, None) => true,
            (Some(&"#"), _) => go(&p[1..], k) || (!k.is_empty() && go(p, &k[1..])),
            (Some(&"*"), Some(_)) => go(&p[1..], &k[1..]),
            (Some(pw), Some(kw)) => pw == kw && go(&p[1..], &k[1..]),
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    go(&p, &k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_round_trips_through_json_with_type_as_the_field_name() {
        let event = Envelope::new(
            Id(42),
            "user.registered",
            Some(Id(7)),
            serde_json::json!({"a": 1}),
        );
        let json: Value = serde_json::from_slice(&event.to_bytes()).expect("json");
        assert_eq!(json["type"], "user.registered");
        assert_eq!(json["id"], "42");
        assert_eq!(
            Envelope::from_bytes(&event.to_bytes()).expect("parses"),
            event
        );
    }

    #[test]
    fn topic_patterns_match_like_amqp() {
        assert!(topic_matches("user.*", "user.registered"));
        assert!(!topic_matches("user.*", "user.a.b"));
        assert!(topic_matches("#", "post.created"));
        assert!(topic_matches("post.#", "post.created"));
        assert!(topic_matches("post.#", "post"));
        assert!(!topic_matches("post.created", "post.deleted"));
    }
}
