//! The OpenAPI description of the users routes; the gateway merges it into
//! `/api/v1/openapi.json` and routes by its path templates.

use chorus_core::error::{ErrorBody, ErrorDetail};
use chorus_core::token::ACCESS_COOKIE;
use chorus_rpc::users::{FollowState, Profile, Relationship, UserCard};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::{
    FollowRequestView, FollowStateView, FriendRequestStatus, FriendRequestView, ProfileEdit,
};
use crate::routes::{blocks, follow_requests, follows, friends, profiles};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus users",
        description = "Profiles, privacy and the social graph: follows, follow requests to \
                       private accounts, friendships and blocks. A block hides each account \
                       from the other (404), both ways."
    ),
    paths(
        profiles::profile,
        profiles::me,
        profiles::update_me,
        follows::follow,
        follows::unfollow,
        follows::followers,
        follows::following,
        follow_requests::list,
        follow_requests::approve,
        follow_requests::reject,
        friends::send_request,
        friends::requests,
        friends::accept,
        friends::decline,
        friends::cancel,
        friends::friends,
        friends::unfriend,
        blocks::block,
        blocks::unblock,
        blocks::list,
    ),
    components(schemas(
        Profile,
        Relationship,
        UserCard,
        FollowState,
        FollowStateView,
        FollowRequestView,
        FriendRequestView,
        FriendRequestStatus,
        ProfileEdit,
        ErrorBody,
        ErrorDetail,
    )),
    modifiers(&SecuritySchemes),
    tags((name = "users", description = "Profiles and the social graph"))
)]
struct UsersDoc;

/// `bearer`: the access token in `Authorization`; `cookie`: the access cookie
/// (the same schemes the auth document declares).
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

/// Every users route, its bodies, answers and errors.
pub fn openapi() -> utoipa::openapi::OpenApi {
    UsersDoc::openapi()
}
