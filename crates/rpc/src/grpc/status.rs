//! `ApiError` ↔ `tonic::Status`.
//!
//! A refusal must reach the caller's client exactly as the called service
//! gave it (a 404 for a hidden user stays a 404), so the HTTP status and the code
//! ride in metadata beside the gRPC code, the message is the status message,
//! and details travel as JSON in binary metadata. A status without our
//! metadata never came from the service's logic: the transport failed.

use chorus_core::ApiError;
use http::StatusCode;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};

pub const STATUS_KEY: &str = "x-chorus-status";
pub const CODE_KEY: &str = "x-chorus-code";
pub const RETRY_AFTER_KEY: &str = "x-chorus-retry-after";
/// Binary (`-bin`) so that any JSON, non-ASCII included, fits.
pub const DETAILS_KEY: &str = "x-chorus-details-bin";

/// Every code `chorus_core::ApiError`'s constructors (and the gateway) use;
/// a code read off the wire is mapped back to one of these `&'static str`s.
pub const KNOWN_CODES: &[&str] = &[
    "validation_failed",
    "malformed_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "payload_too_large",
    "unsupported_media_type",
    "rate_limited",
    "unavailable",
    "bad_gateway",
    "timeout",
    "internal",
    "token_revoked",
    "token_expired",
    "invalid_token",
    "csrf_failed",
];

/// The code as a `&'static str` of [`KNOWN_CODES`]; anything else is `internal`.
pub fn known_code(code: &str) -> &'static str {
    KNOWN_CODES
        .iter()
        .copied()
        .find(|known| *known == code)
        .unwrap_or("internal")
}

/// The gRPC code closest to an HTTP status, for gRPC-aware tools and logs.
fn grpc_code(status: StatusCode) -> Code {
    match status.as_u16() {
        400 | 413 | 415 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::AlreadyExists,
        429 => Code::ResourceExhausted,
        502 | 503 => Code::Unavailable,
        504 => Code::DeadlineExceeded,
        405 | 501 => Code::Unimplemented,
        500 => Code::Internal,
        _ => Code::Unknown,
    }
}

pub fn to_status(error: &ApiError) -> Status {
    let mut metadata = MetadataMap::new();
    metadata.insert(STATUS_KEY, MetadataValue::from(error.status.as_u16()));
    if let Ok(code) = MetadataValue::try_from(error.code) {
        metadata.insert(CODE_KEY, code);
    }
    if let Some(seconds) = error.retry_after {
        metadata.insert(RETRY_AFTER_KEY, MetadataValue::from(seconds));
    }
    if let Some(details) = &error.details
        && let Ok(json) = serde_json::to_vec(details)
    {
        metadata.insert_bin(DETAILS_KEY, MetadataValue::from_bytes(&json));
    }
    Status::with_metadata(grpc_code(error.status), error.message.clone(), metadata)
}

/// The error `service` answered, or, for a status it did not produce, what
/// the caller should make of its failure.
pub fn from_status(service: &str, status: &Status) -> ApiError {
    let metadata = status.metadata();
    let Some(code) = metadata.get(CODE_KEY).and_then(|v| v.to_str().ok()) else {
        return transport_failure(service, status);
    };
    let http_status = metadata
        .get(STATUS_KEY)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u16>().ok())
        .and_then(|v| StatusCode::from_u16(v).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut error = ApiError::new(http_status, known_code(code), status.message());
    error.retry_after = metadata
        .get(RETRY_AFTER_KEY)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    error.details = metadata
        .get_bin(DETAILS_KEY)
        .and_then(|v| v.to_bytes().ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    error
}

/// Whether the call failed in the transport (connection refused, or cut
/// under it), so that another instance may be tried. Retrying is safe even
/// if the call did arrive: every `UsersApi` and `PostsApi` method is idempotent.
pub fn is_transport_failure(status: &Status) -> bool {
    status.metadata().get(CODE_KEY).is_none()
        && matches!(
            status.code(),
            Code::Unavailable | Code::Unknown | Code::Cancelled
        )
}

/// A status the service did not produce: it was down, too slow, or answered
/// something this client cannot read.
fn transport_failure(service: &str, status: &Status) -> ApiError {
    match status.code() {
        Code::Unavailable
        | Code::Unknown
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Aborted
        | Code::ResourceExhausted => {
            tracing::warn!(code = ?status.code(), message = status.message(), "{service} service unavailable");
            ApiError::unavailable(format!("the {service} service is unavailable; try again"))
        }
        _ => ApiError::internal(format!(
            "{service} service answered {:?}: {}",
            status.code(),
            status.message()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(error: &ApiError) -> ApiError {
        from_status("users", &to_status(error))
    }

    #[test]
    fn every_known_code_survives_the_trip() {
        for code in KNOWN_CODES {
            let error = ApiError::new(StatusCode::IM_A_TEAPOT, code, "message");
            let back = round_trip(&error);
            assert_eq!(back.code, *code);
            assert_eq!(back.status, StatusCode::IM_A_TEAPOT);
        }
    }

    #[test]
    fn details_and_retry_after_survive_the_trip() {
        let mut error = ApiError::invalid_field("bio", "trop long — ünïcödé");
        error.retry_after = Some(9);
        let back = round_trip(&error);
        assert_eq!(back.message, error.message);
        assert_eq!(back.details, error.details);
        assert_eq!(back.retry_after, Some(9));
    }

    #[test]
    fn an_unknown_code_becomes_internal_with_its_status() {
        let error = ApiError::new(StatusCode::BAD_REQUEST, "no_such_code", "m");
        let back = round_trip(&error);
        assert_eq!(back.code, "internal");
        assert_eq!(back.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_bare_transport_status_is_unavailable() {
        let back = from_status("posts", &Status::unavailable("connection refused"));
        assert_eq!(back.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(back.code, "unavailable");
        assert_eq!(back.message, "the posts service is unavailable; try again");
        assert!(is_transport_failure(&Status::unavailable("refused")));
        assert!(!is_transport_failure(&to_status(&ApiError::unavailable(
            "from the service"
        ))));
    }

    #[test]
    fn a_bare_unexpected_status_is_internal() {
        let back = from_status("users", &Status::unimplemented("no such method"));
        assert_eq!(back.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(back.code, "internal");
    }
}
