//! The OpenAPI description of the auth routes; the gateway merges it into
//! `/api/v1/openapi.json`.

use chorus_core::error::{ErrorBody, ErrorDetail};
use chorus_core::token::ACCESS_COOKIE;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::login::LoginRequest;
use crate::routes::password::ChangePasswordRequest;
use crate::routes::refresh::RefreshRequest;
use crate::routes::signup::SignupRequest;
use crate::routes::{TokenResponse, UserView, login, logout, me, password, refresh, signup};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus auth",
        description = "Accounts, sessions and tokens. Access tokens are short-lived JWTs sent as \
                       `Authorization: Bearer …`; a login with `\"cookie\": true` sets them as \
                       cookies instead, and state-changing requests then echo the `chorus_csrf` \
                       cookie in the `x-csrf-token` header."
    ),
    paths(
        signup::signup,
        login::login,
        refresh::refresh,
        logout::logout,
        me::me,
        password::change_password,
    ),
    components(schemas(
        UserView,
        TokenResponse,
        SignupRequest,
        LoginRequest,
        RefreshRequest,
        ChangePasswordRequest,
        ErrorBody,
        ErrorDetail,
    )),
    modifiers(&SecuritySchemes),
    tags((name = "auth", description = "Accounts, sessions and tokens"))
)]
struct AuthApi;

/// `bearer`: the access token in `Authorization`; `cookie`: the access cookie.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                ACCESS_COOKIE,
                "The access token as set by a login with `\"cookie\": true`; state-changing \
                 requests must also send the `chorus_csrf` cookie's value in `x-csrf-token`.",
            ))),
        );
    }
}

/// Every auth route, its bodies, answers and errors.
pub fn openapi() -> utoipa::openapi::OpenApi {
    AuthApi::openapi()
}
