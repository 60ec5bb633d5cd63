//! The `/chat` namespace: rooms, messages, typing and read receipts (calls
//! are in [`super::calls`]).
//!
//! Client → server, each with an optional ack:
//! `join_room {roomId}`, `leave_room {roomId}`, `send_message {roomId,
//! message | content}`, `typing {roomId, isTyping = true}`, `mark_read
//! {roomId, messageId}`.

use std::future::Future;
use std::sync::Arc;

use chorus_core::{ApiResult, Id};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::extract::SocketRef;

use super::connection::Connection;
use super::{Event, Hub, calls, on, payload, rate_limited};
use crate::live::rooms::{conversation_room, user_room};
use crate::live::wire;

/// The connect handler: registers the events at once (before any can
/// arrive), joins the user's own room, and counts the user present.
pub fn on_connect(
    hub: Arc<Hub>,
) -> impl FnOnce(SocketRef) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    move |socket: SocketRef| {
        let Some(connection) = socket.extensions.get::<Connection>() else {
            // The handshake middleware always sets it; without it, refuse service.
            let _ = socket.disconnect();
            return Box::pin(async {});
        };
        let user = connection.user();
        // Its own id as a room too, so that room emits can leave it out.
        socket.join(socket.id);
        socket.join(user_room(user));
        on(&socket, &hub, &connection, "join_room", |e, d| {
            Box::pin(join_room(e, d))
        });
        on(&socket, &hub, &connection, "leave_room", |e, d| {
            Box::pin(leave_room(e, d))
        });
        on(&socket, &hub, &connection, "send_message", |e, d| {
            Box::pin(send_message(e, d))
        });
        on(&socket, &hub, &connection, "typing", |e, d| {
            Box::pin(typing(e, d))
        });
        on(&socket, &hub, &connection, "mark_read", |e, d| {
            Box::pin(mark_read(e, d))
        });
        calls::register(&socket, &hub, &connection);

        let closing = hub.clone();
        socket.on_disconnect(move |_socket: SocketRef| closing.chat.socket_closed(user));
        let opened = hub.chat.socket_opened(user);
        let chat = hub.chat.clone();
        Box::pin(async move {
            opened.await;
            connection.remember_username(chat.username(user).await);
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoomRef {
    room_id: Id,
}

/// Checks membership (404 otherwise), sends the socket the last messages,
/// joins it to the room, and tells the room who is there and that the
/// user is online.
async fn join_room(event: Event, data: Value) -> ApiResult<Value> {
    let RoomRef { room_id } = payload(data)?;
    let user = event.connection.user();
    let chat = &event.hub.chat;
    let (messages, next_cursor) = chat.history(user, room_id).await?;
    event.connection.remember_member_of(room_id);
    event.socket.join(conversation_room(room_id));
    if let Err(error) = event.socket.emit(
        wire::MESSAGE_HISTORY,
        &wire::message_history(room_id, &messages, next_cursor),
    ) {
        tracing::debug!(%error, "cannot send the history (socket gone?)");
    }
    chat.broadcast_room_users(user, room_id).await?;
    chat.announce_online_in(user, room_id).await;
    Ok(json!({ "roomId": room_id }))
}

async fn leave_room(event: Event, data: Value) -> ApiResult<Value> {
    let RoomRef { room_id } = payload(data)?;
    let user = event.connection.user();
    event.hub.chat.member_conversation(user, room_id).await?;
    event.socket.leave(conversation_room(room_id));
    event.hub.chat.broadcast_room_users(user, room_id).await?;
    Ok(json!({ "roomId": room_id }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OutgoingMessage {
    room_id: Id,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    content: Option<String>,
}

/// Rate-limited per connection; stored (and committed) before the ack, and
/// delivered to the room as `new_message` by the application layer.
async fn send_message(event: Event, data: Value) -> ApiResult<Value> {
    if let Err(wait) = event.connection.take_send() {
        return Err(rate_limited(wait));
    }
    let OutgoingMessage {
        room_id,
        message,
        content,
    } = payload(data)?;
    let text = message.or(content).unwrap_or_default();
    let user = event.connection.user();
    let sent = event.hub.chat.send_message(user, room_id, &text).await?;
    Ok(wire::new_message(&sent))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Typing {
    room_id: Id,
    #[serde(default)]
    is_typing: Option<bool>,
}

async fn typing(event: Event, data: Value) -> ApiResult<Value> {
    let Typing { room_id, is_typing } = payload(data)?;
    let user = event.connection.user();
    let chat = &event.hub.chat;
    if !event.connection.knows_member_of(room_id) {
        chat.member_conversation(user, room_id).await?;
        event.connection.remember_member_of(room_id);
    }
    let username = match event.connection.username() {
        Some(username) => username,
        None => chat.username(user).await,
    };
    let socket_id = event.socket.id.to_string();
    chat.relay_typing(
        user,
        &username,
        room_id,
        is_typing.unwrap_or(true),
        &socket_id,
    )
    .await;
    Ok(json!({ "roomId": room_id }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MarkRead {
    room_id: Id,
    #[serde(alias = "message_id")]
    message_id: Id,
}

async fn mark_read(event: Event, data: Value) -> ApiResult<Value> {
    let MarkRead {
        room_id,
        message_id,
    } = payload(data)?;
    let user = event.connection.user();
    let receipt = event.hub.chat.mark_read(user, room_id, message_id).await?;
    Ok(wire::message_read(&receipt))
}
