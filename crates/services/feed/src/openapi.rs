//! The OpenAPI description of the feed's route; the gateway merges it into
//! `/api/v1/openapi.json`. The `Post` schema is the posts service's, from
//! `chorus-rpc`, so both documents describe it identically.

use chorus_core::error::{ErrorBody, ErrorDetail};
use chorus_rpc::posts::{MediaView, PostView};
use chorus_rpc::users::UserCard;
use utoipa::OpenApi;

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus feed",
        description = "Home timelines: fanned out on write into each follower's timeline, \
                       merged at read for accounts with very many followers, filtered by what \
                       the caller may see at the moment of reading."
    ),
    paths(routes::home),
    components(schemas(PostView, MediaView, UserCard, ErrorBody, ErrorDetail)),
    tags((name = "feed", description = "Home timelines"))
)]
struct FeedApi;

pub fn openapi() -> utoipa::openapi::OpenApi {
    FeedApi::openapi()
}
