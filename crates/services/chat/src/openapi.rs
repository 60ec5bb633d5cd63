//! The OpenAPI description of the chat routes; the gateway merges it into
//! `/api/v1/openapi.json` and routes by its path templates (plus
//! [`crate::SOCKET_IO_PATHS`], which no document lists).

use chorus_core::error::{ErrorBody, ErrorDetail};
use chorus_core::token::ACCESS_COOKIE;
use chorus_rpc::users::UserCard;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::views::{CallView, ConversationView, IceServers, MessageView};
use crate::config::IceServer;
use crate::domain::{CallKind, CallState, ConversationKind};
use crate::routes::conversations::NewConversation;
use crate::routes::messages::{NewMessage, ReadUpTo};
use crate::routes::{calls, conversations, messages};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus chat",
        description = "Direct and group conversations, messages, read receipts and call \
                       sessions. Live delivery, typing, presence and call signaling go over \
                       Socket.IO at `/socket.io` (namespaces `/chat` and `/notifications`; \
                       handshake `auth: {token}`); see API.md."
    ),
    paths(
        conversations::create,
        conversations::list,
        conversations::get,
        messages::list,
        messages::send,
        messages::mark_read,
        calls::list,
        calls::ice_servers,
    ),
    components(schemas(
        ConversationView,
        ConversationKind,
        MessageView,
        CallView,
        CallKind,
        CallState,
        IceServers,
        IceServer,
        NewConversation,
        NewMessage,
        ReadUpTo,
        UserCard,
        ErrorBody,
        ErrorDetail,
    )),
    modifiers(&SecuritySchemes),
    tags((name = "chat", description = "Conversations, messages and calls"))
)]
struct ChatDoc;

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

/// Every chat route, its bodies, answers and errors.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ChatDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_rest_route_of_the_contract() {
        let document = openapi();
        let paths: Vec<&str> = document.paths.paths.keys().map(String::as_str).collect();
        for path in [
            "/api/v1/conversations",
            "/api/v1/conversations/{id}",
            "/api/v1/conversations/{id}/messages",
            "/api/v1/conversations/{id}/read",
            "/api/v1/conversations/{id}/calls",
            "/api/v1/calls/ice-servers",
        ] {
            assert!(paths.contains(&path), "{path} missing from {paths:?}");
        }
    }
}
