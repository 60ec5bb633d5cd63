//! Chat over REST and Socket.IO (`/chat`), through the gateway, with real
//! Socket.IO clients: the handshake, rooms, live messages, typing,
//! presence, read receipts, refusals that leave the connection up, and the
//! REST routes beside them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::chat_client::Socket;
use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, assert_error, assert_invalid_field, items};

crate::in_both_modes!(
    a_handshake_needs_a_valid_unrevoked_token,
    joining_a_room_sends_its_history_and_who_is_there,
    a_message_reaches_every_socket_in_the_room,
    non_members_are_refused_and_stay_connected,
    message_length_and_malformed_payloads_are_refused,
    typing_reaches_the_others_but_not_the_sender,
    presence_follows_connections,
    read_receipts_are_shared_live_and_counted,
    conversations_over_rest,
    history_pages_over_rest,
);

pub const CHAT: &str = "/chat";

/// A `/chat` socket of `user`, through the gateway.
pub async fn chat_socket(app: &Chorus, user: &User) -> Socket {
    Socket::connect(&app.base, CHAT, Some(&user.token))
        .await
        .unwrap_or_else(|refusal| panic!("{} refused: {refusal}", user.username))
}

/// A conversation of `owner` with `others` (direct for one other and no title).
pub async fn conversation(
    api: &Api,
    owner: &User,
    others: &[&User],
    title: Option<&str>,
) -> String {
    let ids: Vec<&str> = others.iter().map(|user| user.id.as_str()).collect();
    let mut body = json!({ "member_ids": ids });
    if let Some(title) = title {
        body["title"] = json!(title);
    }
    let answer = api
        .post("/api/v1/conversations", owner.token(), &body)
        .await;
    assert!(
        answer.status == StatusCode::CREATED || answer.status == StatusCode::OK,
        "{}",
        answer.body
    );
    answer.body["id"].as_str().expect("id").to_string()
}

/// Sends a message over REST; returns it.
pub async fn send_rest(api: &Api, user: &User, room: &str, content: &str) -> Value {
    let answer = api
        .post(
            &format!("/api/v1/conversations/{room}/messages"),
            user.token(),
            &json!({ "content": content }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body
}

/// Joins `room`, consuming the `message_history` it answers with.
pub async fn join(socket: &mut Socket, room: &str) -> Value {
    let ack = socket.ok("join_room", json!({ "roomId": room })).await;
    assert_eq!(ack["roomId"], room);
    socket
        .expect("message_history", |history| history["roomId"] == room)
        .await
}

fn in_room(room: &str) -> impl Fn(&Value) -> bool + '_ {
    move |value| value["roomId"] == room
}

async fn a_handshake_needs_a_valid_unrevoked_token(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("hs").await;
    for namespace in [CHAT, "/notifications"] {
        let none = Socket::connect(&app.base, namespace, None).await;
        let refusal = none.err().expect("refused without a token");
        assert!(refusal.contains("unauthorized"), "{namespace}: {refusal}");
        let bad = Socket::connect(&app.base, namespace, Some("not-a-token")).await;
        let refusal = bad.err().expect("refused with a bad token");
        assert!(refusal.contains("invalid_token"), "{namespace}: {refusal}");
        let good = Socket::connect(&app.base, namespace, Some(&ana.token))
            .await
            .expect("admitted");
        good.disconnect().await;
    }
    // A refused handshake breaks nothing: the same token still works, on a
    // socket that lives on after the refusals.
    let mut open = chat_socket(app, &ana).await;

    let logout = api.logout(&ana.token).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.body);
    let revoked = Socket::connect(&app.base, CHAT, Some(&ana.token)).await;
    let refusal = revoked.err().expect("refused after logout");
    assert!(refusal.contains("token_revoked"), "{refusal}");

    let again = api.login(&ana.username, "a long enough password").await;
    let fresh = again.body["access_token"].as_str().expect("token");
    let room = {
        let bo = api.user("hs").await;
        let fresh_ana = User {
            id: ana.id.clone(),
            username: ana.username.clone(),
            token: fresh.to_string(),
        };
        conversation(&api, &fresh_ana, &[&bo], None).await
    };
    // The socket opened before the logout was admitted then, and stays so.
    join(&mut open, &room).await;
    let _ = Socket::connect(&app.base, CHAT, Some(fresh))
        .await
        .expect("a fresh token is admitted");
}

async fn joining_a_room_sends_its_history_and_who_is_there(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("join").await;
    let bo = api.user("join").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    for n in 1..=3 {
        send_rest(&api, &ana, &room, &format!("hello {n}")).await;
    }
    let mut socket = chat_socket(app, &bo).await;
    let history = join(&mut socket, &room).await;
    let messages = history["messages"].as_array().expect("messages");
    let contents: Vec<&str> = messages
        .iter()
        .map(|m| m["content"].as_str().expect("content"))
        .collect();
    assert_eq!(contents, ["hello 1", "hello 2", "hello 3"], "oldest first");
    assert_eq!(messages[0]["sender"]["username"], ana.username.as_str());
    assert_eq!(messages[0]["sender_id"], ana.id.as_str());
    assert_eq!(messages[0]["conversation_id"], room.as_str());
    assert!(history["next_cursor"].is_null(), "{history}");

    let users = socket.expect("room_users", in_room(&room)).await;
    let users = users["users"].as_array().expect("users").clone();
    let ids: Vec<&str> = users
        .iter()
        .map(|u| u["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [ana.id.as_str(), bo.id.as_str()]);
    let me = &users[1];
    assert_eq!(me["online"], true, "{me}");
    assert_eq!(me["username"], bo.username.as_str());
    assert!(users[0]["online"] == false, "{}", users[0]);
    let presence = socket
        .expect("presence", |p| p["user_id"] == bo.id.as_str())
        .await;
    assert_eq!(presence["online"], true);

    // Leaving tells those still in the room.
    let mut ana_socket = chat_socket(app, &ana).await;
    join(&mut ana_socket, &room).await;
    let ack = socket.ok("leave_room", json!({ "roomId": room })).await;
    assert_eq!(ack["roomId"], room.as_str());
    let both_online = |r: &Value| {
        r["roomId"] == room.as_str()
            && r["users"]
                .as_array()
                .is_some_and(|users| users.iter().all(|u| u["online"] == true))
    };
    ana_socket.expect("room_users", both_online).await;
    ana_socket.expect("room_users", both_online).await;
    // Out of the room, bo no longer gets its messages there.
    let sent = ana_socket
        .ok(
            "send_message",
            json!({ "roomId": room, "message": "still there?" }),
        )
        .await;
    ana_socket
        .expect("new_message", |m| m["id"] == sent["id"])
        .await;
    socket
        .expect_none("new_message", |m| m["id"] == sent["id"])
        .await;
}

async fn a_message_reaches_every_socket_in_the_room(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("msg").await;
    let bo = api.user("msg").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut ana_socket = chat_socket(app, &ana).await;
    let mut bo_socket = chat_socket(app, &bo).await;
    join(&mut ana_socket, &room).await;
    join(&mut bo_socket, &room).await;

    let ack = ana_socket
        .ok(
            "send_message",
            json!({ "roomId": room, "message": "  hi bo  " }),
        )
        .await;
    assert_eq!(ack["content"], "hi bo", "trimmed: {ack}");
    let id = ack["id"].as_str().expect("id").to_string();
    let received = bo_socket
        .expect("new_message", |m| m["id"] == id.as_str())
        .await;
    assert_eq!(received["roomId"], room.as_str());
    assert_eq!(received["message"], "hi bo");
    assert_eq!(received["content"], "hi bo");
    assert_eq!(received["sender_id"], ana.id.as_str());
    assert_eq!(received["sender"]["username"], ana.username.as_str());
    assert!(received["created_at"].is_string());
    // The sender's sockets in the room get it too.
    ana_socket
        .expect("new_message", |m| m["id"] == id.as_str())
        .await;

    // Committed before the ack: REST shows it at once.
    let listed = items(
        &api.get(
            &format!("/api/v1/conversations/{room}/messages"),
            bo.token(),
        )
        .await,
    );
    assert_eq!(listed[0]["id"], id.as_str());

    // `content` is accepted as the field name too; REST sends are live as well.
    bo_socket
        .ok("send_message", json!({ "roomId": room, "content": "yo" }))
        .await;
    ana_socket
        .expect("new_message", |m| m["content"] == "yo")
        .await;
    let rest = send_rest(&api, &bo, &room, "over REST").await;
    let live = ana_socket
        .expect("new_message", |m| m["id"] == rest["id"])
        .await;
    assert_eq!(live["message"], "over REST");
}

async fn non_members_are_refused_and_stay_connected(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("out").await;
    let bo = api.user("out").await;
    let cy = api.user("out").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut bo_socket = chat_socket(app, &bo).await;
    join(&mut bo_socket, &room).await;

    let mut cy_socket = chat_socket(app, &cy).await;
    cy_socket
        .refused("join_room", json!({ "roomId": room }), "not_found")
        .await;
    cy_socket
        .refused(
            "send_message",
            json!({ "roomId": room, "message": "let me in" }),
            "not_found",
        )
        .await;
    cy_socket
        .refused("typing", json!({ "roomId": room }), "not_found")
        .await;
    cy_socket
        .refused("join_room", json!({ "roomId": "123456789" }), "not_found")
        .await;
    // Without an ack, a refusal is an `error` event naming the event.
    cy_socket
        .emit("send_message", json!({ "roomId": room, "message": "psst" }))
        .await;
    let error = cy_socket
        .expect("error", |e| e["event"] == "send_message")
        .await;
    assert_eq!(error["code"], "not_found", "{error}");
    assert!(error["message"].is_string());
    bo_socket
        .expect_none("new_message", |m| {
            m["content"] == "psst" || m["content"] == "let me in"
        })
        .await;

    // Still connected: cy's own conversation works on the same socket.
    let own = conversation(&api, &cy, &[&ana], None).await;
    join(&mut cy_socket, &own).await;
    cy_socket
        .ok("send_message", json!({ "roomId": own, "message": "fine" }))
        .await;
    // And over REST a non-member sees nothing.
    let answer = api
        .get(&format!("/api/v1/conversations/{room}"), cy.token())
        .await;
    assert_error(
        &answer,
        StatusCode::NOT_FOUND,
        "not_found",
        "non-member read",
    );
    let answer = api
        .get(
            &format!("/api/v1/conversations/{room}/messages"),
            cy.token(),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::NOT_FOUND,
        "not_found",
        "non-member history",
    );
}

async fn message_length_and_malformed_payloads_are_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("len").await;
    let bo = api.user("len").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let socket = chat_socket(app, &ana).await;

    let too_long = "é".repeat(4_001);
    let longest = "é".repeat(4_000);
    socket
        .refused(
            "send_message",
            json!({ "roomId": room, "message": too_long }),
            "validation_failed",
        )
        .await;
    for blank in ["", "   \n "] {
        socket
            .refused(
                "send_message",
                json!({ "roomId": room, "message": blank }),
                "validation_failed",
            )
            .await;
    }
    socket
        .refused(
            "send_message",
            json!({ "roomId": room }),
            "validation_failed",
        )
        .await;
    let sent = socket
        .ok(
            "send_message",
            json!({ "roomId": room, "message": longest }),
        )
        .await;
    assert_eq!(
        sent["content"].as_str().expect("content").chars().count(),
        4_000
    );

    // Malformed payloads: answered, never a disconnect.
    socket
        .refused("join_room", json!("not an object"), "validation_failed")
        .await;
    socket
        .refused("join_room", json!({ "roomId": "abc" }), "validation_failed")
        .await;
    socket
        .refused("mark_read", json!({ "roomId": room }), "validation_failed")
        .await;
    socket
        .refused(
            "call_invite",
            json!({ "roomId": room, "kind": "hologram" }),
            "validation_failed",
        )
        .await;
    socket.ok("join_room", json!({ "roomId": room })).await;

    // REST applies the same rules in the contract's error shape.
    let path = format!("/api/v1/conversations/{room}/messages");
    let answer = api
        .post(&path, ana.token(), &json!({ "content": "é".repeat(4_001) }))
        .await;
    assert_invalid_field(&answer, "content", "4001 characters");
    let answer = api
        .post(&path, ana.token(), &json!({ "content": "  " }))
        .await;
    assert_invalid_field(&answer, "content", "blank");
    let answer = api.post(&path, None, &json!({ "content": "hi" })).await;
    assert_error(
        &answer,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "anonymous",
    );
}

async fn typing_reaches_the_others_but_not_the_sender(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("typ").await;
    let bo = api.user("typ").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut ana_socket = chat_socket(app, &ana).await;
    let mut bo_socket = chat_socket(app, &bo).await;
    join(&mut ana_socket, &room).await;
    join(&mut bo_socket, &room).await;

    ana_socket.ok("typing", json!({ "roomId": room })).await;
    let typing = bo_socket.expect("user_typing", in_room(&room)).await;
    assert_eq!(typing["user_id"], ana.id.as_str());
    assert_eq!(typing["username"], ana.username.as_str());
    assert_eq!(typing["isTyping"], true);
    ana_socket.expect_none("user_typing", in_room(&room)).await;

    ana_socket
        .emit("typing", json!({ "roomId": room, "isTyping": false }))
        .await;
    let stopped = bo_socket
        .expect("user_typing", |t| t["isTyping"] == false)
        .await;
    assert_eq!(stopped["roomId"], room.as_str());
}

async fn presence_follows_connections(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("pres").await;
    let bo = api.user("pres").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut bo_socket = chat_socket(app, &bo).await;
    join(&mut bo_socket, &room).await;

    let ana_socket = chat_socket(app, &ana).await;
    let online = bo_socket
        .expect("presence", |p| p["user_id"] == ana.id.as_str())
        .await;
    assert_eq!(online["online"], true, "{online}");

    // room_users now shows ana online.
    bo_socket.ok("join_room", json!({ "roomId": room })).await;
    let users = bo_socket
        .expect("room_users", |r| {
            r["roomId"] == room.as_str()
                && r["users"].as_array().is_some_and(|users| {
                    users
                        .iter()
                        .any(|u| u["id"] == ana.id.as_str() && u["online"] == true)
                })
        })
        .await;
    assert_eq!(users["users"].as_array().map(Vec::len), Some(2));

    // A second socket, then both gone: offline only after the last.
    let second = chat_socket(app, &ana).await;
    ana_socket.disconnect().await;
    bo_socket
        .expect_none("presence", |p| {
            p["user_id"] == ana.id.as_str() && p["online"] == false
        })
        .await;
    second.disconnect().await;
    let offline = bo_socket
        .expect("presence", |p| {
            p["user_id"] == ana.id.as_str() && p["online"] == false
        })
        .await;
    assert!(offline["last_seen_at"].is_string(), "{offline}");

    bo_socket.ok("join_room", json!({ "roomId": room })).await;
    let ana_entry = |r: &Value| {
        r["users"]
            .as_array()
            .and_then(|users| users.iter().find(|u| u["id"] == ana.id.as_str()).cloned())
    };
    bo_socket
        .expect("room_users", |r| {
            ana_entry(r)
                .is_some_and(|ana| ana["online"] == false && ana["last_seen_at"].is_string())
        })
        .await;
}

async fn read_receipts_are_shared_live_and_counted(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("read").await;
    let bo = api.user("read").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let first = send_rest(&api, &ana, &room, "one").await;
    let second = send_rest(&api, &ana, &room, "two").await;
    let unread = |answer: &crate::client::Answer| answer.body["unread_count"].clone();
    let path = format!("/api/v1/conversations/{room}");
    assert_eq!(unread(&api.get(&path, bo.token()).await), 2);
    assert_eq!(
        unread(&api.get(&path, ana.token()).await),
        0,
        "own messages"
    );

    let mut ana_socket = chat_socket(app, &ana).await;
    join(&mut ana_socket, &room).await;
    let bo_socket = chat_socket(app, &bo).await;
    let ack = bo_socket
        .ok(
            "mark_read",
            json!({ "roomId": room, "messageId": first["id"] }),
        )
        .await;
    assert_eq!(ack["message_id"], first["id"]);
    let receipt = ana_socket.expect("message_read", in_room(&room)).await;
    assert_eq!(receipt["user_id"], bo.id.as_str());
    assert_eq!(receipt["message_id"], first["id"]);
    assert!(receipt["read_at"].is_string());
    assert_eq!(unread(&api.get(&path, bo.token()).await), 1);

    // Over REST too, and live.
    let answer = api
        .post(
            &format!("{path}/read"),
            bo.token(),
            &json!({ "message_id": second["id"] }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    ana_socket
        .expect("message_read", |r| r["message_id"] == second["id"])
        .await;
    assert_eq!(unread(&api.get(&path, bo.token()).await), 0);

    // A message of another conversation cannot be marked here.
    let other = conversation(&api, &ana, &[&api.user("read").await], None).await;
    let elsewhere = send_rest(&api, &ana, &other, "elsewhere").await;
    bo_socket
        .refused(
            "mark_read",
            json!({ "roomId": room, "messageId": elsewhere["id"] }),
            "not_found",
        )
        .await;
}

async fn conversations_over_rest(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("conv").await;
    let bo = api.user("conv").await;
    let cy = api.user("conv").await;

    let created = api
        .post(
            "/api/v1/conversations",
            ana.token(),
            &json!({ "member_ids": [bo.id] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let direct = created.body.clone();
    assert_eq!(direct["kind"], "direct");
    assert!(direct["title"].is_null());
    assert_eq!(direct["created_by"], ana.id.as_str());
    assert!(direct["last_message"].is_null());
    assert_eq!(direct["unread_count"], 0);
    let members: Vec<&str> = direct["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(members, [ana.id.as_str(), bo.id.as_str()]);

    // Asking again, either way round, answers the same conversation.
    let again = api
        .post(
            "/api/v1/conversations",
            bo.token(),
            &json!({ "member_ids": [ana.id] }),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["id"], direct["id"]);

    let group = api
        .post(
            "/api/v1/conversations",
            ana.token(),
            &json!({ "member_ids": [bo.id, cy.id, ana.id], "title": " Trio " }),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    assert_eq!(group.body["kind"], "group");
    assert_eq!(group.body["title"], "Trio");
    assert_eq!(group.body["members"].as_array().map(Vec::len), Some(3));

    // Most recent activity first: a message moves the direct one up.
    let direct_id = direct["id"].as_str().expect("id");
    send_rest(&api, &bo, direct_id, "ping").await;
    let listed = items(&api.get("/api/v1/conversations", ana.token()).await);
    assert_eq!(listed[0]["id"], direct["id"]);
    assert_eq!(listed[0]["last_message"]["content"], "ping");
    assert_eq!(listed[0]["unread_count"], 1);
    assert_eq!(listed[1]["id"], group.body["id"]);
    let first_page = api.get("/api/v1/conversations?limit=1", ana.token()).await;
    let cursor = first_page.body["next_cursor"].as_str().expect("cursor");
    let second_page = items(
        &api.get(
            &format!("/api/v1/conversations?limit=1&cursor={cursor}"),
            ana.token(),
        )
        .await,
    );
    assert_eq!(second_page[0]["id"], group.body["id"]);
    assert!(items(&api.get("/api/v1/conversations", cy.token()).await).len() == 1);

    // Refusals.
    let nobody = api
        .post(
            "/api/v1/conversations",
            ana.token(),
            &json!({ "member_ids": ["123456789"] }),
        )
        .await;
    assert_error(
        &nobody,
        StatusCode::NOT_FOUND,
        "not_found",
        "unknown member",
    );
    let alone = api
        .post(
            "/api/v1/conversations",
            ana.token(),
            &json!({ "member_ids": [ana.id] }),
        )
        .await;
    assert_invalid_field(&alone, "member_ids", "only oneself");
    let bad = api
        .post(
            "/api/v1/conversations",
            ana.token(),
            &json!({ "member_ids": "x" }),
        )
        .await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        "not a list",
    );
    let anonymous = api.get("/api/v1/conversations", None).await;
    assert_error(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "anonymous",
    );

    // Blocks, either way round, refuse a new conversation.
    let dan = api.user("conv").await;
    let eve = api.user("conv").await;
    assert_eq!(
        api.block(&dan, &ana.id).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.block(&ana, &eve.id).await.status,
        StatusCode::NO_CONTENT
    );
    for (who, with) in [(&ana, &dan), (&dan, &ana), (&ana, &eve), (&eve, &ana)] {
        let blocked = api
            .post(
                "/api/v1/conversations",
                who.token(),
                &json!({ "member_ids": [with.id] }),
            )
            .await;
        assert_error(
            &blocked,
            StatusCode::NOT_FOUND,
            "not_found",
            "across a block",
        );
    }
    // And one that existed before a block takes no more messages.
    api.block(&bo, &ana.id).await;
    let answer = api
        .post(
            &format!("/api/v1/conversations/{direct_id}/messages"),
            ana.token(),
            &json!({ "content": "still there?" }),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::FORBIDDEN,
        "forbidden",
        "message across a block",
    );

    let ice = api.get("/api/v1/calls/ice-servers", ana.token()).await;
    assert_eq!(ice.status, StatusCode::OK, "{}", ice.body);
    let servers = ice.body["ice_servers"].as_array().expect("ice_servers");
    assert!(!servers.is_empty());
    assert!(
        servers[0]["urls"]
            .as_array()
            .is_some_and(|urls| !urls.is_empty())
    );
    let anonymous = api.get("/api/v1/calls/ice-servers", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn history_pages_over_rest(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("page").await;
    let bo = api.user("page").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    for n in 0..25 {
        send_rest(
            &api,
            if n % 2 == 0 { &ana } else { &bo },
            &room,
            &format!("m{n:02}"),
        )
        .await;
    }
    let path = format!("/api/v1/conversations/{room}/messages");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}?limit=10&cursor={cursor}"),
            None => format!("{path}?limit=10"),
        };
        let answer = api.get(&url, bo.token()).await;
        for item in items(&answer) {
            seen.push(item["content"].as_str().expect("content").to_string());
        }
        match answer.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).rev().map(|n| format!("m{n:02}")).collect();
    assert_eq!(seen, expected, "newest first, every message once");

    let answer = api.get(&format!("{path}?cursor=garbage"), bo.token()).await;
    assert_invalid_field(&answer, "cursor", "a forged cursor");
    let answer = api.get(&format!("{path}?limit=0"), bo.token()).await;
    assert_invalid_field(&answer, "limit", "a zero limit");

    // join_room answers the last 50 at most, with the cursor to the rest.
    for n in 25..60 {
        send_rest(&api, &ana, &room, &format!("m{n:02}")).await;
    }
    let mut socket = chat_socket(app, &bo).await;
    let history = join(&mut socket, &room).await;
    let messages = history["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 50);
    assert_eq!(messages[0]["content"], "m10");
    assert_eq!(messages[49]["content"], "m59");
    let cursor = history["next_cursor"].as_str().expect("more before");
    let older = items(
        &api.get(&format!("{path}?cursor={cursor}"), bo.token())
            .await,
    );
    assert_eq!(older[0]["content"], "m09");
}
