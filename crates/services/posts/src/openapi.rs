//! The OpenAPI description of the posts routes; the gateway merges it into
//! `/api/v1/openapi.json`. Only the paths this service serves: the gateway
//! routes by path template, and `/api/v1/users/{id}` belongs to users.

use chorus_core::error::{ErrorBody, ErrorDetail};
use chorus_core::token::ACCESS_COOKIE;
use chorus_rpc::users::UserCard;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{comments, posts, reactions, stream};
use crate::views::{
    CommentEdit, CommentView, MediaView, NewComment, NewPost, PostEdit, PostView, ReactionSummary,
    ReactionView,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus posts",
        description = "Posts, comments, reactions and reposts. A post is visible to everyone \
                       (`public`), to its author's followers (`followers`) or to its author alone \
                       (`private`); a block either way hides it. Hidden and missing answer alike: 404."
    ),
    paths(
        posts::create,
        posts::get,
        posts::edit,
        posts::delete,
        posts::user_posts,
        comments::create,
        comments::list,
        stream::stream,
        comments::edit,
        comments::delete,
        reactions::react,
        reactions::unreact,
        reactions::list,
    ),
    components(schemas(
        PostView,
        MediaView,
        CommentView,
        ReactionSummary,
        ReactionView,
        UserCard,
        NewPost,
        PostEdit,
        NewComment,
        CommentEdit,
        ErrorBody,
        ErrorDetail,
    )),
    modifiers(&SecuritySchemes),
    tags((name = "posts", description = "Posts, comments, reactions and reposts"))
)]
struct PostsApi;

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

/// Every posts route, its bodies, answers and errors.
pub fn openapi() -> utoipa::openapi::OpenApi {
    PostsApi::openapi()
}
