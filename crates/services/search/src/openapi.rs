//! The OpenAPI description of the search routes; the gateway merges it into
//! `/api/v1/openapi.json`. `Post` and `Profile` are the owning services'
//! schemas, from `chorus-rpc`, so every document describes them alike.

use chorus_core::error::{ErrorBody, ErrorDetail};
use chorus_rpc::posts::{MediaView, PostView};
use chorus_rpc::users::{Profile, Relationship, UserCard};
use utoipa::OpenApi;

use crate::routes;
use crate::views::{HashtagView, TrendView};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus search",
        description = "Full-text search of posts, users and hashtags on an on-disk index fed by \
                       events, filtered by what the caller may see; trending hashtags."
    ),
    paths(routes::search, routes::trends),
    components(schemas(
        routes::SearchPage,
        PostView,
        MediaView,
        UserCard,
        Profile,
        Relationship,
        HashtagView,
        TrendView,
        ErrorBody,
        ErrorDetail
    )),
    tags((name = "search", description = "Search and trends"))
)]
struct SearchApi;

pub fn openapi() -> utoipa::openapi::OpenApi {
    SearchApi::openapi()
}
