//! `POST /api/v1/auth/refresh`: exchange a refresh token for a new pair.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum_extra::extract::CookieJar;
use chorus_core::error::ErrorBody;
use chorus_core::token::REFRESH_COOKIE;
use chorus_core::{ApiError, Json};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use super::cookies::{self, SetCookies};
use super::{TokenResponse, UserView};
use crate::state::AppState;
use crate::{store, tokens};

/// Longer than any token we issue: refused without hashing.
const MAX_TOKEN_LEN: usize = 256;

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh. A cookie-mode client
    /// may leave it out (or send no body) and rely on the `chorus_refresh` cookie.
    #[schema(example = "0sGZ1mT8hWq6oN3v5cQeXJb9kLr2yPfA4uDiHgE7wBz")]
    pub refresh_token: Option<String>,
}

/// Exchange a refresh token for a new pair; the presented one stops working,
/// and presenting it again revokes the whole session.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    operation_id = "auth_refresh",
    request_body(content = Option<RefreshRequest>, description = "Optional when the `chorus_refresh` cookie is sent"),
    responses(
        (status = 200, description = "A new pair of tokens; cookie-mode clients also get new cookies", body = TokenResponse),
        (status = 400, description = "The body is malformed", body = ErrorBody),
        (status = 401, description = "The refresh token is unknown, expired, already used or its session revoked", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    State(state): State<AppState>,
    jar: CookieJar,
    OptionalJson(request): OptionalJson<RefreshRequest>,
) -> Result<(SetCookies, Json<TokenResponse>), ApiError> {
    let cookie_mode = jar.get(REFRESH_COOKIE).is_some();
    let presented = request
        .and_then(|request| request.refresh_token)
        .or_else(|| cookies::refresh_token(&jar))
        .ok_or_else(|| {
            ApiError::unauthorized("no refresh token: send refresh_token, or the refresh cookie")
        })?;
    if presented.len() > MAX_TOKEN_LEN {
        return Err(ApiError::unauthorized(
            "the refresh token is not valid; sign in again",
        ));
    }

    let (user_id, issued) = tokens::rotate(&state, &presented, cookie_mode).await?;
    let user = store::find_user(state.db.reader(), user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;

    let cookies = match cookie_mode {
        true => cookies::session(&state, &issued),
        false => cookies::none(),
    };
    Ok((
        cookies,
        Json(TokenResponse::new(UserView::from(user), &issued)),
    ))
}

/// A JSON body that may be absent altogether (no bytes at all); when present,
/// it is read exactly like [`chorus_core::Json`], with the same errors.
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| match rejection.status() {
                http::StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::payload_too_large("request body is too large")
                }
                _ => ApiError::malformed("could not read the request body"),
            })?;
        if bytes.is_empty() {
            return Ok(Self(None));
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(Some(value)))
    }
}
