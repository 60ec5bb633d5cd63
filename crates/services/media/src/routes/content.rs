//! `GET /media/{id}` and `GET /media/{id}/{variant}`: the bytes, for
//! everyone, cacheable forever (an id's bytes never change), with
//! conditional requests and byte ranges.

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, ApiResult};
use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    IF_RANGE, RANGE, X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::{AppState, MediaId, VariantPath};
use crate::domain::etag;
use crate::domain::range::{self, RangeRequest};

const FOREVER: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// The file's bytes, whole (200) or one range (206).
#[utoipa::path(
    get,
    path = "/media/{id}",
    tag = "media",
    operation_id = "media_content",
    params(
        ("id" = String, Path, description = "The media"),
        ("Range" = Option<String>, Header, description = "One range of bytes: `bytes=0-99`, `bytes=100-`, `bytes=-100`; several are answered with the whole file"),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of a copy the client has: 304 when it still is the file"),
        ("If-Range" = Option<String>, Header, description = "The `Range` applies only while the file's `ETag` is this one"),
    ),
    responses(
        (status = 200, description = "Every byte; `Content-Type` is the media's `mime`; `Cache-Control: public, max-age=31536000, immutable`; `ETag` is the SHA-256 of the bytes; `Accept-Ranges: bytes`",
            content(
                ([u8] = "image/jpeg"), ([u8] = "image/png"), ([u8] = "image/gif"),
                ([u8] = "image/webp"), ([u8] = "video/mp4"), ([u8] = "video/webm"),
            )),
        (status = 206, description = "The range asked for, with `Content-Range`",
            content(
                ([u8] = "image/jpeg"), ([u8] = "image/png"), ([u8] = "image/gif"),
                ([u8] = "image/webp"), ([u8] = "video/mp4"), ([u8] = "video/webm"),
            )),
        (status = 304, description = "The client's copy (`If-None-Match`) is current"),
        (status = 404, description = "No such media", body = ErrorBody),
        (status = 416, description = "The range starts past the end; `Content-Range: bytes */<size>`", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(media_id = %id))]
pub async fn serve(
    State(state): State<AppState>,
    MediaId(id): MediaId,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let media = state.media.get(id).await?;
    let file = Served {
        sha256: &media.sha256,
        mime: &media.mime,
        size: media.size,
    };
    serve_file(&state, file, &headers).await
}

/// A resized WebP copy of an image, served as the original is.
#[utoipa::path(
    get,
    path = "/media/{id}/{variant}",
    tag = "media",
    operation_id = "media_variant_content",
    params(
        ("id" = String, Path, description = "The media"),
        ("variant" = String, Path, description = "A name among the media's `variants`: `small`, `medium` or `large`"),
        ("Range" = Option<String>, Header, description = "As for `/media/{id}`"),
        ("If-None-Match" = Option<String>, Header, description = "As for `/media/{id}`"),
        ("If-Range" = Option<String>, Header, description = "As for `/media/{id}`"),
    ),
    responses(
        (status = 200, description = "Every byte, with the same caching headers as `/media/{id}`", content(([u8] = "image/webp"))),
        (status = 206, description = "The range asked for, with `Content-Range`", content(([u8] = "image/webp"))),
        (status = 304, description = "The client's copy (`If-None-Match`) is current"),
        (status = 404, description = "No such media, or no such variant of it", body = ErrorBody),
        (status = 416, description = "The range starts past the end; `Content-Range: bytes */<size>`", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(media_id = %path.id, variant = %path.variant))]
pub async fn serve_variant(
    State(state): State<AppState>,
    path: VariantPath,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let media = state.media.get(path.id).await?;
    let Some(variant) = media.variants.iter().find(|v| v.name == path.variant) else {
        return Err(ApiError::not_found("no such variant of this media"));
    };
    let file = Served {
        sha256: &variant.sha256,
        mime: &variant.mime,
        size: variant.size,
    };
    serve_file(&state, file, &headers).await
}

/// What is served: content-addressed bytes of a known type and size.
struct Served<'a> {
    sha256: &'a str,
    mime: &'a str,
    size: i64,
}

async fn serve_file(
    state: &AppState,
    file: Served<'_>,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let etag = etag::of(file.sha256);
    let size = u64::try_from(file.size).map_err(ApiError::internal)?;
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };

    if header(IF_NONE_MATCH).is_some_and(|tags| etag::any_matches(tags, &etag)) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        cache_headers(response.headers_mut(), &etag)?;
        return Ok(response);
    }
    let asked = header(RANGE).filter(|_| etag::if_range_allows(header(IF_RANGE), &etag));
    let range = match range::parse(asked, size) {
        RangeRequest::Whole => None,
        RangeRequest::Part(range) => Some(range),
        RangeRequest::Unsatisfiable => return unsatisfiable(size),
    };
    let blob = match state.media.content(file.sha256, range.clone()).await {
        Err(error) if error.status == StatusCode::RANGE_NOT_SATISFIABLE => {
            return unsatisfiable(size);
        }
        blob => blob?,
    };

    let status = match range {
        Some(_) => StatusCode::PARTIAL_CONTENT,
        None => StatusCode::OK,
    };
    let length = blob.range.end - blob.range.start;
    let mut response = Response::new(Body::from_stream(blob.stream));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, value(file.mime)?);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    if status == StatusCode::PARTIAL_CONTENT {
        let last = blob.range.end.saturating_sub(1);
        let content_range = format!("bytes {}-{last}/{}", blob.range.start, blob.size);
        headers.insert(CONTENT_RANGE, value(&content_range)?);
    }
    cache_headers(headers, &etag)?;
    Ok(response)
}

/// What every answer with the bytes (or about them) carries.
fn cache_headers(headers: &mut HeaderMap, etag: &str) -> ApiResult<()> {
    headers.insert(ETAG, value(etag)?);
    headers.insert(CACHE_CONTROL, FOREVER);
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // The type is the sniffed one; a browser must not guess another.
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(())
}

/// 416, saying the file's size.
fn unsatisfiable(size: u64) -> ApiResult<Response> {
    let mut response = ApiError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
        format!("the range starts past the end of the file ({size} bytes)"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(CONTENT_RANGE, value(&format!("bytes */{size}"))?);
    Ok(response)
}

fn value(text: &str) -> ApiResult<HeaderValue> {
    HeaderValue::from_str(text).map_err(ApiError::internal)
}
