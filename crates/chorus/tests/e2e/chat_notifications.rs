//! Chat meets notifications: a message reaches a member with no chat
//! socket open as a `message` notification, pushed live on their
//! `/notifications` socket (`message.sent` carries who was offline), while
//! a member with a chat socket open gets the message and no notification.
//! And a client on long-polling only (no WebSocket) chats as well.

use rust_socketio::TransportType;
use serde_json::{Value, json};

use crate::chat::{CHAT, chat_socket, conversation, join, send_rest};
use crate::chat_client::Socket;
use crate::client::Api;
use crate::harness::Chorus;

crate::in_both_modes!(
    offline_members_are_notified_of_messages_and_online_ones_are_not,
    long_polling_clients_chat_too,
);

const NOTIFICATIONS: &str = "/notifications";

fn is_message_in(room: &str) -> impl Fn(&Value) -> bool + '_ {
    move |notification| {
        notification["type"] == "message"
            && notification["subject"]["type"] == "conversation"
            && notification["subject"]["id"] == room
    }
}

async fn offline_members_are_notified_of_messages_and_online_ones_are_not(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("away").await;
    let bo = api.user("away").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut bo_notifications = Socket::connect(&app.base, NOTIFICATIONS, Some(&bo.token))
        .await
        .expect("notifications socket");

    send_rest(&api, &ana, &room, "while you were away").await;
    let notification = bo_notifications
        .expect("notification", is_message_in(&room))
        .await;
    assert_eq!(
        notification["actor"]["id"],
        ana.id.as_str(),
        "{notification}"
    );

    // Online in the chat: the message arrives there, and nothing is notified.
    let mut bo_chat = chat_socket(app, &bo).await;
    join(&mut bo_chat, &room).await;
    let sent = send_rest(&api, &ana, &room, "now you are here").await;
    bo_chat
        .expect("new_message", |m| m["id"] == sent["id"])
        .await;
    bo_notifications
        .expect_none("notification", is_message_in(&room))
        .await;
}

async fn long_polling_clients_chat_too(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("poll").await;
    let bo = api.user("poll").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let polling = |user: &crate::social::User| {
        let token = user.token.clone();
        let base = app.base.clone();
        async move {
            Socket::connect_over(&base, CHAT, Some(&token), TransportType::Polling)
                .await
                .expect("admitted over polling")
        }
    };
    let mut ana_socket = polling(&ana).await;
    let mut bo_socket = polling(&bo).await;
    join(&mut ana_socket, &room).await;
    join(&mut bo_socket, &room).await;
    let ack = ana_socket
        .ok(
            "send_message",
            json!({ "roomId": room, "message": "over polling" }),
        )
        .await;
    bo_socket
        .expect("new_message", |m| m["id"] == ack["id"])
        .await;
    bo_socket.ok("typing", json!({ "roomId": room })).await;
    ana_socket
        .expect("user_typing", |t| t["user_id"] == bo.id.as_str())
        .await;
    // Refused over polling without a token, as over WebSocket.
    let refused = Socket::connect_over(&app.base, CHAT, None, TransportType::Polling).await;
    assert!(
        refused
            .err()
            .is_some_and(|refusal| refusal.contains("unauthorized"))
    );
}
