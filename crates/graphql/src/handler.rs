//! `POST /graphql`: reads the request (JSON, bounded), runs it as the caller
//! the gateway vouched for, and answers 200 with `{data, errors}`, or 400
//! when the request was refused before anything ran (unparseable, invalid,
//! or over a limit).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chorus_core::{ApiError, MaybeIdentity};
use serde_json::json;

use crate::GraphqlState;
use crate::context::request_data;
use crate::limits::{
    ExecutionStarted, MAX_BODY_BYTES, MAX_QUERY_BYTES, refusal, uncoded_as_invalid,
};

pub(crate) async fn graphql(
    State(state): State<GraphqlState>,
    identity: Result<MaybeIdentity, ApiError>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let viewer = match identity {
        Ok(MaybeIdentity(identity)) => identity.map(|identity| identity.user_id),
        Err(error) => return transport_error(&error),
    };
    let request = match read_request(&headers, body).await {
        Ok(request) => request,
        Err(error) => return transport_error(&error),
    };
    let started = ExecutionStarted::default();
    let request = request_data(request, &state.backends, viewer).data(started.clone());
    let mut response = state.schema.execute(request).await;
    let status = if started.get() {
        response.errors = response
            .errors
            .into_iter()
            .map(uncoded_as_invalid)
            .collect();
        StatusCode::OK
    } else {
        response.errors = response.errors.into_iter().map(refusal).collect();
        StatusCode::BAD_REQUEST
    };
    json_response(status, &response)
}

/// `GET /graphql` and other methods: only POST runs queries (a GET must not
/// be able to run a mutation through a link).
pub(crate) async fn method_not_allowed() -> Response {
    let mut response = transport_error(&ApiError::method_not_allowed());
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    response
}

async fn read_request(headers: &HeaderMap, body: Body) -> Result<async_graphql::Request, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(ApiError::unsupported_media_type(
            "expected Content-Type: application/json",
        ));
    }
    let bytes = read_body(body).await?;
    let request: async_graphql::Request = serde_json::from_slice(&bytes).map_err(|error| {
        ApiError::malformed(format!(
            "expected {{\"query\": …, \"variables\"?: …, \"operationName\"?: …}}: {error}"
        ))
    })?;
    if request.query.len() > MAX_QUERY_BYTES {
        let mut error = ApiError::validation(format!(
            "query text is too long: at most {} KiB",
            MAX_QUERY_BYTES / 1024
        ));
        error.code = "query_too_large";
        return Err(error);
    }
    Ok(request)
}

async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|error| {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if too_large {
                ApiError::payload_too_large(format!(
                    "request body is too large: at most {} KiB",
                    MAX_BODY_BYTES / 1024
                ))
            } else {
                ApiError::malformed("the request body could not be read")
            }
        })
}

/// An error outside GraphQL execution, in the GraphQL response shape.
fn transport_error(error: &ApiError) -> Response {
    let mut extensions = json!({ "code": error.code, "status": error.status.as_u16() });
    if let Some(details) = &error.details {
        extensions["details"] = details.clone();
    }
    let body = json!({ "errors": [{ "message": error.message, "extensions": extensions }] });
    json_response(error.status, &body)
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec(body).unwrap_or_else(|_| {
        // Serializing our own values does not fail; say so in GraphQL's shape if it ever does.
        serde_json::to_vec(&json!({ "errors": [{ "message": "response could not be encoded" }] }))
            .unwrap_or_default()
    });
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
