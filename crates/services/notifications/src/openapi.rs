//! The OpenAPI description of the notifications routes; the gateway merges
//! it into `/api/v1/openapi.json` and routes by its path templates, so every
//! route must be here.

use chorus_core::error::{ErrorBody, ErrorDetail};
use chorus_core::token::ACCESS_COOKIE;
use chorus_rpc::users::UserCard;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::{NotificationView, PreferencesChange, PreferencesView};
use crate::domain::{Kind, Subject, SubjectKind};
use crate::routes::{inbox, preferences};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus notifications",
        description = "What others did that concerns you: follows and requests, comments, \
                       replies, reactions, mentions, reposts, messages while offline. Repeats \
                       on one subject group into the unread notification about it. The same \
                       object is pushed live on the Socket.IO namespace `/notifications` \
                       (event `notification`)."
    ),
    paths(
        inbox::list,
        inbox::unread_count,
        inbox::read,
        inbox::read_all,
        preferences::show,
        preferences::change,
    ),
    components(schemas(
        NotificationView,
        Kind,
        Subject,
        SubjectKind,
        UserCard,
        inbox::UnreadCount,
        inbox::ReadAll,
        PreferencesView,
        PreferencesChange,
        ErrorBody,
        ErrorDetail,
    )),
    modifiers(&SecuritySchemes),
    tags((name = "notifications", description = "Notifications, read marks and preferences"))
)]
struct NotificationsDoc;

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

/// Every notifications route, its bodies, answers and errors.
pub fn openapi() -> utoipa::openapi::OpenApi {
    NotificationsDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes;

    #[test]
    fn every_route_is_in_the_document_with_its_method() {
        let document = serde_json::to_value(openapi()).expect("serializes");
        let paths = &document["paths"];
        for (path, method) in [
            (routes::NOTIFICATIONS, "get"),
            (routes::UNREAD_COUNT, "get"),
            (routes::READ, "post"),
            (routes::READ_ALL, "post"),
            (routes::PREFERENCES, "get"),
            (routes::PREFERENCES, "patch"),
        ] {
            assert!(paths[path][method].is_object(), "{method} {path} missing");
            assert!(
                paths[path][method]["responses"]["401"].is_object(),
                "{method} {path} says it needs a signed-in caller"
            );
        }
        assert!(document["components"]["schemas"]["Notification"].is_object());
        let required = &document["components"]["schemas"]["Notification"]["required"];
        for always_there in ["actor", "read_at", "actors", "subject"] {
            let listed = required
                .as_array()
                .is_some_and(|r| r.iter().any(|f| f == always_there));
            assert!(listed, "{always_there} is always present (maybe null)");
        }
    }

    /// Every `$ref` of the document names a schema it declares.
    #[test]
    fn every_reference_resolves() {
        fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, inner) in map {
                        match (key.as_str(), inner.as_str()) {
                            ("$ref", Some(target)) => found.push(target.to_string()),
                            _ => refs(inner, found),
                        }
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|i| refs(i, found)),
                _ => {}
            }
        }
        let document = serde_json::to_value(openapi()).expect("serializes");
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let name = target
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{target}"));
            assert!(
                document["components"]["schemas"][name].is_object(),
                "{target} is not declared"
            );
        }
    }
}
