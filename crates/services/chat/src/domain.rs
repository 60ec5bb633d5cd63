//! The chat's vocabulary: kinds and states as stored and shown, and the
//! checked values a message or a group is made of.

use chorus_core::ApiError;
use serde::Serialize;

/// A conversation between two people, or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    Direct,
    Group,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Direct => "direct",
            ConversationKind::Group => "group",
        }
    }

    /// As stored; anything unknown reads as a group (the stricter kind: no
    /// pair-wise block checks are skipped by reading it so).
    pub fn from_stored(raw: &str) -> Self {
        match raw {
            "direct" => ConversationKind::Direct,
            _ => ConversationKind::Group,
        }
    }
}

/// What a call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    Audio,
    Video,
}

impl CallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Audio => "audio",
            CallKind::Video => "video",
        }
    }

    /// `"audio"` or `"video"`; anything else is refused naming the field.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        match raw {
            "audio" => Ok(CallKind::Audio),
            "video" => Ok(CallKind::Video),
            _ => Err(ApiError::invalid_field(
                "kind",
                "must be \"audio\" or \"video\"",
            )),
        }
    }

    pub fn from_stored(raw: &str) -> Self {
        match raw {
            "video" => CallKind::Video,
            _ => CallKind::Audio,
        }
    }
}

/// Where a call session stands: ringing → active → ended, or rejected/missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Ringing,
    Active,
    Ended,
    Rejected,
    Missed,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Ringing => "ringing",
            CallState::Active => "active",
            CallState::Ended => "ended",
            CallState::Rejected => "rejected",
            CallState::Missed => "missed",
        }
    }

    pub fn from_stored(raw: &str) -> Self {
        match raw {
            "ringing" => CallState::Ringing,
            "active" => CallState::Active,
            "rejected" => CallState::Rejected,
            "missed" => CallState::Missed,
            _ => CallState::Ended,
        }
    }

    /// Ringing or active: signaling still makes sense.
    pub fn is_live(self) -> bool {
        matches!(self, CallState::Ringing | CallState::Active)
    }
}

/// A message's text: trimmed, not empty, at most the configured characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, ApiError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ApiError::invalid_field("content", "must not be empty"));
        }
        let chars = trimmed.chars().count();
        if chars > max_chars {
            return Err(ApiError::invalid_field(
                "content",
                format!("must be at most {max_chars} characters (it has {chars})"),
            ));
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A group's title: trimmed; blank means none.
pub fn parse_title(raw: Option<&str>, max_chars: usize) -> Result<Option<String>, ApiError> {
    let Some(trimmed) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(ApiError::invalid_field(
            "title",
            format!("must be at most {max_chars} characters (it has {chars})"),
        ));
    }
    Ok(Some(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_must_not_be_blank() {
        assert_eq!(
            MessageContent::parse("  hi \n", 10)
                .expect("ok")
                .into_string(),
            "hi"
        );
        for blank in ["", "   ", "\n\t"] {
            let error = MessageContent::parse(blank, 10).expect_err("blank");
            assert_eq!(error.code, "validation_failed");
        }
    }

    #[test]
    fn content_is_counted_in_characters_not_bytes() {
        let accents = "é".repeat(4_000);
        assert!(MessageContent::parse(&accents, 4_000).is_ok());
        let one_more = "é".repeat(4_001);
        let error = MessageContent::parse(&one_more, 4_000).expect_err("too long");
        assert_eq!(error.details.expect("details")["field"], "content");
    }

    #[test]
    fn a_blank_title_is_none_and_a_long_one_is_refused() {
        assert_eq!(parse_title(Some("  "), 5).expect("ok"), None);
        assert_eq!(parse_title(None, 5).expect("ok"), None);
        assert_eq!(
            parse_title(Some(" Team "), 5).expect("ok").as_deref(),
            Some("Team")
        );
        assert!(parse_title(Some("too long"), 5).is_err());
    }

    #[test]
    fn call_kinds_parse_and_states_round_trip() {
        assert_eq!(CallKind::parse("video").expect("ok"), CallKind::Video);
        assert!(CallKind::parse("hologram").is_err());
        for state in [
            CallState::Ringing,
            CallState::Active,
            CallState::Ended,
            CallState::Rejected,
            CallState::Missed,
        ] {
            assert_eq!(CallState::from_stored(state.as_str()), state);
        }
    }
}
