//! Socket.IO namespaces and room names, shared by the publishers and the
//! engine that delivers.

use chorus_core::Id;

/// The chat namespace: conversations, presence, calls.
pub const CHAT_NAMESPACE: &str = "/chat";

/// The notifications namespace (its name belongs to `chorus_rpc::push`).
pub const NOTIFICATIONS_NAMESPACE: &str = chorus_rpc::push::NOTIFICATIONS_NAMESPACE;

/// Every socket of a user, in either namespace: a user's sockets join it
/// at connect, so call invitations reach them in whatever room they are.
pub fn user_room(user: Id) -> String {
    format!("user:{user}")
}

/// The sockets that joined a conversation (`join_room`).
pub fn conversation_room(conversation: Id) -> String {
    format!("conversation:{conversation}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_room_is_the_one_the_contract_names() {
        assert_eq!(user_room(Id(42)), "user:42");
        assert_ne!(conversation_room(Id(42)), user_room(Id(42)));
    }
}
