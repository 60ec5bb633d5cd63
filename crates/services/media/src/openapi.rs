//! The OpenAPI description of the media routes; the gateway merges it into
//! `/api/v1/openapi.json` and routes by its path templates, so every route
//! must be here.

use chorus_core::error::{ErrorBody, ErrorDetail};
use chorus_core::token::ACCESS_COOKIE;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{content, media, upload};
use crate::views::{MediaView, VariantView};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus media",
        description = "Images (JPEG, PNG, GIF, WebP) and videos (MP4, WebM) users upload, \
                       told apart by their bytes, bounded in size, pixels and per-user quota. \
                       A media's `url` (`/media/{id}`) serves its bytes to anyone, cacheable \
                       forever, with `ETag`, `If-None-Match` and byte ranges. Images are \
                       re-encoded on upload (no EXIF, nothing appended) and get resized WebP \
                       `variants` (`/media/{id}/{variant}`) and a `blurhash`."
    ),
    paths(
        upload::upload,
        media::show,
        media::delete,
        content::serve,
        content::serve_variant
    ),
    components(schemas(MediaView, VariantView, ErrorBody, ErrorDetail)),
    modifiers(&SecuritySchemes),
    tags((name = "media", description = "Uploads and their bytes"))
)]
struct MediaDoc;

/// `bearer` and `cookie`, as the auth document declares them.
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
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(ACCESS_COOKIE))),
        );
    }
}

/// Every media route, its bodies, answers and errors.
pub fn openapi() -> utoipa::openapi::OpenApi {
    MediaDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes;

    #[test]
    fn every_route_is_in_the_document_with_its_method() {
        let document = serde_json::to_value(openapi()).expect("serializes");
        let paths = &document["paths"];
        for (path, method, needs_caller) in [
            (routes::UPLOAD, "post", true),
            (routes::MEDIA, "get", false),
            (routes::MEDIA, "delete", true),
            (routes::CONTENT, "get", false),
            (routes::VARIANT, "get", false),
        ] {
            assert!(paths[path][method].is_object(), "{method} {path} missing");
            assert_eq!(
                paths[path][method]["responses"]["401"].is_object(),
                needs_caller,
                "{method} {path}: a 401 exactly when it needs a signed-in caller"
            );
        }
        let upload = &paths[routes::UPLOAD]["post"];
        assert!(upload["requestBody"]["content"]["multipart/form-data"].is_object());
        for status in ["413", "415", "422"] {
            assert!(upload["responses"][status].is_object(), "upload {status}");
        }
        let content = &paths[routes::CONTENT]["get"]["responses"];
        for status in ["200", "206", "304", "416"] {
            assert!(content[status].is_object(), "content {status}");
        }
        assert!(content["200"]["content"]["image/png"].is_object());
        let required = &document["components"]["schemas"]["Media"]["required"];
        for field in [
            "id", "url", "mime", "size", "width", "height", "variants", "blurhash",
        ] {
            let listed = required
                .as_array()
                .is_some_and(|r| r.iter().any(|f| f == field));
            assert!(listed, "{field} is always present (maybe null)");
        }
        let variants = &document["components"]["schemas"]["Media"]["properties"]["variants"];
        assert_eq!(
            variants["additionalProperties"]["$ref"],
            "#/components/schemas/MediaVariant"
        );
        let variant = &document["components"]["schemas"]["MediaVariant"]["properties"];
        for field in ["url", "width", "height", "mime"] {
            assert!(variant[field].is_object(), "a variant's {field}");
        }
    }
}
