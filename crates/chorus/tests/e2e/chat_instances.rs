//! Two chat instances: members connected to different ones see each
//! other's messages, typing and presence (room emits travel over Redis
//! pub/sub, presence lives in Redis). Sockets go straight to each instance,
//! around the gateway.

use serde_json::json;

use crate::chat::{CHAT, conversation, join, send_rest};
use crate::chat_client::Socket;
use crate::client::Api;
use crate::harness::Chorus;

#[tokio::test]
async fn members_on_different_instances_see_each_other() {
    chorus_testkit::init_test_logs();
    let Some(app) = Chorus::distributed_scaled(&[], 2).await else {
        return;
    };
    let chat = &app.instances["chat"];
    assert_eq!(chat.len(), 2, "two chat instances");
    let api = Api::new(&app.base);
    let ana = api.user("multi").await;
    let bo = api.user("multi").await;
    let room = conversation(&api, &ana, &[&bo], None).await;

    let mut bo_socket = Socket::connect(&chat[1], CHAT, Some(&bo.token))
        .await
        .expect("bo on the second instance");
    join(&mut bo_socket, &room).await;
    let mut ana_socket = Socket::connect(&chat[0], CHAT, Some(&ana.token))
        .await
        .expect("ana on the first instance");
    let online = bo_socket
        .expect("presence", |p| p["user_id"] == ana.id.as_str())
        .await;
    assert_eq!(online["online"], true);
    join(&mut ana_socket, &room).await;
    // room_users on either instance knows both are online.
    let users = ana_socket
        .expect("room_users", |r| {
            r["users"]
                .as_array()
                .is_some_and(|users| users.len() == 2 && users.iter().all(|u| u["online"] == true))
        })
        .await;
    assert_eq!(users["roomId"], room.as_str());

    let ack = ana_socket
        .ok(
            "send_message",
            json!({ "roomId": room, "message": "across" }),
        )
        .await;
    bo_socket
        .expect("new_message", |m| m["id"] == ack["id"])
        .await;
    ana_socket.ok("typing", json!({ "roomId": room })).await;
    bo_socket
        .expect("user_typing", |t| t["user_id"] == ana.id.as_str())
        .await;
    ana_socket
        .expect_none("user_typing", |t| t["user_id"] == ana.id.as_str())
        .await;
    // A REST send through the gateway reaches both instances' sockets.
    let rest = send_rest(&api, &bo, &room, "via the gateway").await;
    ana_socket
        .expect("new_message", |m| m["id"] == rest["id"])
        .await;
    bo_socket
        .expect("new_message", |m| m["id"] == rest["id"])
        .await;

    ana_socket.disconnect().await;
    let offline = bo_socket
        .expect("presence", |p| {
            p["user_id"] == ana.id.as_str() && p["online"] == false
        })
        .await;
    assert!(offline["last_seen_at"].is_string());
}
