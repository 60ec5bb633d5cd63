//! The REST routes: thin handlers over the application layer
//! ([`crate::app::Media`]). Uploading and deleting need a signed-in caller;
//! a media's JSON and its bytes are public.

pub mod content;
pub mod media;
pub mod upload;

use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, Path};
use axum::routing::{get, post};
use axum::{Router, middleware};
use chorus_core::private::private_answers;
use chorus_core::{ApiError, Id, IdentityKey};
use http::request::Parts;

use crate::app::Media;

pub const UPLOAD: &str = "/api/v1/media";
pub const MEDIA: &str = "/api/v1/media/{id}";
/// Where the bytes are served: outside `/api/v1`, like any static file,
/// so a CDN or a plain proxy can front it.
pub const CONTENT: &str = "/media/{id}";
/// Where a resized copy is served: beside the original, cached alike.
pub const VARIANT: &str = "/media/{id}/{variant}";

/// The `url` of media `id`.
pub fn content_path(id: Id) -> String {
    CONTENT.replace("{id}", &id.to_string())
}

/// The `url` of media `id`'s variant `name`.
pub fn variant_path(id: Id, name: &str) -> String {
    VARIANT
        .replace("{id}", &id.to_string())
        .replace("{variant}", name)
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub media: Media,
    pub identity_key: IdentityKey,
}

impl FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}

pub fn router(state: AppState) -> Router {
    // The spool bounds each file by its kind; this bounds the whole body
    // (other fields included) at the largest file and its framing.
    let body_limit = state.media.config().upload_body_limit();
    let api = Router::new()
        .route(
            UPLOAD,
            post(upload::upload).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route(MEDIA, get(media::show).delete(media::delete))
        .layer(middleware::map_response(private_answers));
    // Not private: the same bytes for everyone, cached by anyone.
    let content = Router::new()
        .route(CONTENT, get(content::serve))
        .route(VARIANT, get(content::serve_variant));
    api.merge(content)
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(state)
}

/// The `{id}` of a media in a path; whatever is not an id names nothing: 404.
pub struct MediaId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for MediaId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let not_found = || crate::app::media_not_found();
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        raw.parse().map(MediaId).map_err(|_| not_found())
    }
}

/// The `{id}` and `{variant}` of a variant's path; an id that is none: 404.
pub struct VariantPath {
    pub id: Id,
    pub variant: String,
}

impl<S: Send + Sync> FromRequestParts<S> for VariantPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let not_found = || crate::app::media_not_found();
        let Path((raw, variant)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        let id = raw.parse().map_err(|_| not_found())?;
        Ok(Self { id, variant })
    }
}
