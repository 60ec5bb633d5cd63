//! A GraphQL answer and what tests read from it.

use chorus_core::Id;
use http::StatusCode;
use serde_json::Value;

/// A GraphQL answer.
#[derive(Debug)]
pub struct Gql {
    pub status: StatusCode,
    pub body: Value,
}

impl Gql {
    /// `data`, after checking the answer is 200 without errors.
    pub fn data(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"]
    }

    /// The first error's `extensions.code`.
    pub fn error_code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }

    pub fn error_message(&self) -> &str {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message in {}", self.body))
    }

    /// The first error's `extensions.status`.
    pub fn error_status(&self) -> u64 {
        self.body["errors"][0]["extensions"]["status"]
            .as_u64()
            .unwrap_or_else(|| panic!("no error status in {}", self.body))
    }
}

/// The id inside a GraphQL `ID` value.
pub fn id(value: &Value) -> Id {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an ID: {value}"))
}
