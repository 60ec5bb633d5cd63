//! `POST /api/v1/auth/signup`: create an account and sign it in.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::time::{from_micros, now, to_micros};
use chorus_core::{ApiError, Json};
use chorus_ports::outbox;
use chorus_ports::store::is_unique_violation;
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::cookies::{self, SetCookies};
use super::{TokenResponse, UserView};
use crate::domain::{DisplayName, Email, Password, Username};
use crate::events;
use crate::state::AppState;
use crate::store::{self, NewUser, UserRecord};
use crate::tokens::{self, ClientInfo};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// 3 to 30 characters: lowercase letters a-z, digits and `_`.
    #[schema(pattern = "^[a-z0-9_]{3,30}$", example = "alice")]
    pub username: String,
    /// Unique whatever its case; stored lowercased.
    #[schema(format = Email, max_length = 254, example = "alice@example.com")]
    pub email: String,
    /// 8 to 128 characters.
    #[schema(format = Password, min_length = 8, max_length = 128, example = "correct horse battery")]
    pub password: String,
    /// Trimmed, 1 to 50 characters, no control characters; the username if absent.
    #[schema(min_length = 1, max_length = 50, example = "Alice")]
    pub display_name: Option<String>,
    /// Also set the session cookies (`chorus_access`, `chorus_refresh`, `chorus_csrf`).
    #[schema(default = false)]
    pub cookie: Option<bool>,
}

/// Create an account; answers with the account and its first tokens.
#[utoipa::path(
    post,
    path = "/api/v1/auth/signup",
    tag = "auth",
    operation_id = "auth_signup",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = TokenResponse),
        (status = 400, description = "A field is missing, malformed or not acceptable", body = ErrorBody),
        (status = 409, description = "The username or email is taken", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn signup(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(request): Json<SignupRequest>,
) -> Result<(StatusCode, SetCookies, Json<TokenResponse>), ApiError> {
    let username = Username::parse("username", &request.username)?;
    let email = Email::parse("email", &request.email)?;
    let password = Password::parse("password", request.password)?;
    let display_name = match request.display_name.as_deref() {
        Some(raw) => DisplayName::parse("display_name", raw)?,
        None => DisplayName::from_username(&username),
    };
    let cookie = request.cookie.unwrap_or(false);

    // Refuse a taken name before paying for a hash; the unique indexes settle races.
    let taken = store::taken(state.db.reader(), username.as_str(), email.as_str())
        .await
        .map_err(ApiError::internal)?;
    refuse_taken(taken)?;

    let password_hash = state.hasher.hash(&password).await?;
    let user = UserRecord {
        id: state.ids.next_id(),
        username: username.into_string(),
        email: email.into_string(),
        display_name: display_name.into_string(),
        created_at: from_micros(to_micros(now())),
    };

    let mut tx = state.db.begin().await?;
    let inserted = store::insert_user(
        &mut *tx,
        &NewUser {
            id: user.id,
            username: &user.username,
            email: &user.email,
            display_name: &user.display_name,
            password_hash: &password_hash,
            created_at: user.created_at,
        },
    )
    .await;
    if let Err(error) = inserted {
        if !is_unique_violation(&error) {
            return Err(ApiError::internal(error));
        }
        drop(tx);
        let taken = store::taken(state.db.reader(), &user.username, &user.email)
            .await
            .map_err(ApiError::internal)?;
        refuse_taken(taken)?;
        return Err(ApiError::conflict("the username or email is already taken"));
    }
    outbox::enqueue(&mut tx, &events::user_registered(&state.ids, &user)).await?;
    let issued = tokens::open_session(&mut tx, &state, user.id, &client, cookie).await?;
    tx.commit().await.map_err(ApiError::internal)?;
    // In one process, the profile exists by the time the client hears back.
    state.after_commit.run(&state.db).await;

    tracing::info!(user_id = %user.id, "account created");
    let user = UserView::from(user);
    state.users.put(&user).await;
    let cookies = match cookie {
        true => cookies::session(&state, &issued),
        false => cookies::none(),
    };
    Ok((
        StatusCode::CREATED,
        cookies,
        Json(TokenResponse::new(user, &issued)),
    ))
}

fn refuse_taken(taken: store::Taken) -> Result<(), ApiError> {
    let field = match taken {
        store::Taken { username: true, .. } => "username",
        store::Taken { email: true, .. } => "email",
        _ => return Ok(()),
    };
    Err(ApiError::conflict(format!("this {field} is already taken"))
        .with_details(json!({ "field": field })))
}
