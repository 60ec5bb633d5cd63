//! The public API document: every service's OpenAPI paths and schemas,
//! merged under one title and served at [`OPENAPI_PATH`].

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use utoipa::openapi::{Info, OpenApi, Paths};

use crate::Upstream;

pub(crate) const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// The merged OpenAPI document, title "Chorus". Where two services declare
/// the same path, their operations are combined; a schema name declared
/// twice keeps the first service's definition.
pub fn openapi(upstreams: &[Upstream]) -> OpenApi {
    let mut info = Info::new("Chorus", env!("CARGO_PKG_VERSION"));
    info.description = Some(
        "Chorus, a social-network backend. Every route is served through the gateway; \
         errors use the shape {\"error\": {\"code\", \"message\", \"details\"}}."
            .to_string(),
    );
    let mut document = OpenApi::new(info, Paths::new());
    for upstream in upstreams {
        document.merge(upstream.openapi.clone());
    }
    document
}

/// The route serving `document`, serialized once at start.
pub(crate) fn route(document: &OpenApi) -> anyhow::Result<Router> {
    let json = Bytes::from(serde_json::to_vec(document)?);
    Ok(Router::new().route(
        OPENAPI_PATH,
        get(move || {
            let json = json.clone();
            async move { ([(CONTENT_TYPE, "application/json")], json) }
        }),
    ))
}
