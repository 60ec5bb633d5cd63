//! `POST /api/v1/media`: a multipart upload, its file in the field `file`.

use std::time::Duration;

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, ApiResult, Id, Identity, Json};
use http::StatusCode;
use utoipa::ToSchema;

use super::AppState;
use crate::app::Spooled;
use crate::views::MediaView;

/// The multipart field that carries the file.
const FIELD: &str = "file";

/// After a refusal, what is still read (and dropped) of the body so that
/// the client, still sending, gets the answer rather than a reset
/// connection; a larger remainder is cut off.
const DRAIN_BYTES: usize = 8 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// The upload form.
#[derive(ToSchema)]
#[schema(as = MediaUpload)]
#[allow(dead_code)] // Describes the form for the OpenAPI document only.
pub struct UploadForm {
    /// The file: JPEG, PNG, GIF or WebP (5 MiB by default), MP4 or WebM
    /// (50 MiB). Its kind is told from its bytes; its name and declared type
    /// are ignored.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads a file; the same bytes uploaded twice are stored once, as two media.
#[utoipa::path(
    post,
    path = "/api/v1/media",
    tag = "media",
    operation_id = "media_upload",
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Stored", body = MediaView),
        (status = 400, description = "Not a multipart body, no `file` field, or an empty file", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 413, description = "Larger than allowed for its kind (`payload_too_large`), or past the caller's quota (`quota_exceeded`)", body = ErrorBody),
        (status = 415, description = "Not a JPEG, PNG, GIF, WebP, MP4 or WebM file, judged by its bytes", body = ErrorBody),
        (status = 422, description = "An image that does not decode, whole (`invalid_image`), or that declares too many pixels (`image_too_large`)", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn upload(
    State(state): State<AppState>,
    identity: Identity,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<MediaView>)> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::malformed(format!(
            "expected a multipart/form-data body: {}",
            rejection.body_text()
        ))
    })?;
    let spooled = match receive(&state, identity.user_id, &mut multipart).await {
        Ok(spooled) => spooled,
        Err(error) => {
            drain(multipart).await;
            return Err(error);
        }
    };
    let media = state.media.upload(identity.user_id, spooled).await?;
    Ok((StatusCode::CREATED, Json(media.into())))
}

/// Spools the `file` field; other fields are skipped.
async fn receive(state: &AppState, owner: Id, multipart: &mut Multipart) -> ApiResult<Spooled> {
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some(FIELD) {
            continue;
        }
        let mut spool = state.media.spool(owner).await?;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            spool.write(&chunk).await?;
        }
        return spool.finish().await;
    }
    Err(ApiError::invalid_field(
        FIELD,
        "is missing: send the file in a multipart/form-data field named `file`",
    ))
}

async fn drain(mut multipart: Multipart) {
    let drained = async {
        let mut read = 0;
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(chunk)) = field.chunk().await {
                read += chunk.len();
                if read > DRAIN_BYTES {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drained).await;
}

fn multipart_error(error: MultipartError) -> ApiError {
    match error.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::payload_too_large("the request body is too large")
        }
        _ => ApiError::malformed(format!("malformed multipart body: {}", error.body_text())),
    }
}
