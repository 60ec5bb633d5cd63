//! `POST /api/v1/auth/login`: exchange a username or email and a password
//! for a new session.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::time::now;
use chorus_core::{ApiError, Id, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use super::cookies::{self, SetCookies};
use super::{TokenResponse, UserView};
use crate::domain::{Invalid, Password, email, password};
use crate::state::AppState;
use crate::store::{self, Credentials, Login};
use crate::tokens::{self, ClientInfo};

/// The one answer to every wrong pair, whether or not the account exists.
const WRONG_PAIR: &str = "the username or email and password do not match";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// A username, or an email address (any case).
    #[schema(min_length = 1, max_length = 254, example = "alice")]
    pub identifier: String,
    #[schema(format = Password, min_length = 1, max_length = 128, example = "correct horse battery")]
    pub password: String,
    /// Also set the session cookies (`chorus_access`, `chorus_refresh`, `chorus_csrf`).
    #[schema(default = false)]
    pub cookie: Option<bool>,
}

/// Sign in; answers with the account and a new pair of tokens.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    operation_id = "auth_login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "A field is missing or malformed", body = ErrorBody),
        (status = 401, description = "No account has this identifier and password", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(request): Json<LoginRequest>,
) -> Result<(SetCookies, Json<TokenResponse>), ApiError> {
    let identifier = parse_identifier(&request.identifier)?;
    check_length(&request.password)?;
    let cookie = request.cookie.unwrap_or(false);

    let credentials = store::find_credentials(state.db.reader(), identifier.login())
        .await
        .map_err(ApiError::internal)?;
    // The same hash is computed whether or not the account exists.
    let stored = credentials.as_ref().map(|c| c.password_hash.as_str());
    let matches = state.hasher.verify(&request.password, stored).await?;
    let Some(Credentials {
        user,
        password_hash,
    }) = credentials.filter(|_| matches)
    else {
        return Err(ApiError::unauthorized(WRONG_PAIR));
    };
    if state.hasher.needs_rehash(&password_hash) {
        upgrade_hash(&state, user.id, request.password).await;
    }

    let mut tx = state.db.begin().await?;
    let issued = tokens::open_session(&mut tx, &state, user.id, &client, cookie).await?;
    tx.commit().await.map_err(ApiError::internal)?;

    tracing::info!(user_id = %user.id, session_id = %issued.session_id, "signed in");
    let cookies = match cookie {
        true => cookies::session(&state, &issued),
        false => cookies::none(),
    };
    Ok((
        cookies,
        Json(TokenResponse::new(UserView::from(user), &issued)),
    ))
}

/// A login identifier, lowercased: emails ignore case, usernames have none.
struct Identifier(String);

impl Identifier {
    fn login(&self) -> Login<'_> {
        // Usernames cannot contain `@`: anything with one is an email.
        match self.0.contains('@') {
            true => Login::Email(&self.0),
            false => Login::Username(&self.0),
        }
    }
}

fn parse_identifier(raw: &str) -> Result<Identifier, Invalid> {
    if raw.is_empty() {
        return Err(Invalid::new("identifier", "must not be empty"));
    }
    if raw.len() > email::MAX_LEN {
        return Err(Invalid::new(
            "identifier",
            format!("must be at most {} characters long", email::MAX_LEN),
        ));
    }
    Ok(Identifier(raw.to_lowercase()))
}

/// No password longer than the maximum can exist: refuse it before hashing.
fn check_length(raw: &str) -> Result<(), Invalid> {
    if raw.is_empty() {
        return Err(Invalid::new("password", "must not be empty"));
    }
    if raw.chars().take(password::MAX_LEN + 1).count() > password::MAX_LEN {
        return Err(Invalid::new(
            "password",
            format!("must be at most {} characters long", password::MAX_LEN),
        ));
    }
    Ok(())
}

/// Rehashes a password made with older parameters; a failure only waits for
/// the next login.
async fn upgrade_hash(state: &AppState, user_id: Id, raw: String) {
    let Ok(password) = Password::parse("password", raw) else {
        return;
    };
    let upgraded = async {
        let hash = state.hasher.hash(&password).await?;
        store::set_password_hash(state.db.writer(), user_id, &hash, now()).await?;
        anyhow::Ok(())
    };
    if let Err(error) = upgraded.await {
        tracing::warn!(%user_id, error = %format!("{error:#}"), "could not upgrade a password hash");
    }
}
