//! The kinds of reaction a post accepts.

use chorus_core::{ApiError, ApiResult};

pub const REACTION_KINDS: [&str; 8] = [
    "like", "love", "haha", "wow", "sad", "angry", "fire", "clap",
];

/// `kind` as one of [`REACTION_KINDS`]; anything else is a 400 on field `kind`.
pub fn reaction_kind(kind: &str) -> ApiResult<&'static str> {
    REACTION_KINDS
        .iter()
        .copied()
        .find(|known| *known == kind)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "kind",
                format!("must be one of {}", REACTION_KINDS.join(", ")),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_kinds_are_accepted_exactly() {
        for kind in REACTION_KINDS {
            assert_eq!(reaction_kind(kind).expect("known"), kind);
        }
        for bad in ["", "LIKE", "like ", "dislike", "👍"] {
            let error = reaction_kind(bad).expect_err("unknown");
            assert_eq!(error.details.expect("details")["field"], "kind");
        }
    }
}
