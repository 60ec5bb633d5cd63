//! Values that are valid by construction: a handler parses the request into
//! these once, and everything after works with input already checked.

pub mod display_name;
pub mod email;
pub mod password;
pub mod username;

pub use display_name::DisplayName;
pub use email::Email;
pub use password::Password;
pub use username::Username;

use chorus_core::ApiError;

/// Why a field of a request was refused; becomes a 400 naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

impl Invalid {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        ApiError::invalid_field(invalid.field, invalid.reason)
    }
}
