//! Limits that need small settings to show quickly: the per-connection
//! rate limit on `send_message`, and a call nobody answers.

use serde_json::json;

use crate::chat::{chat_socket, conversation, join};
use crate::client::Api;
use crate::harness::Chorus;
use crate::social::items;

crate::in_both_modes_with!(
    &[
        ("CHORUS_CHAT__RATE_LIMIT_PER_SEC", "2"),
        ("CHORUS_CHAT__RATE_LIMIT_BURST", "3"),
        ("CHORUS_CHAT__CALL_RING_TIMEOUT_SECS", "2"),
    ];
    a_flood_is_rate_limited_then_sending_works_again,
    an_unanswered_call_is_missed,
);

async fn a_flood_is_rate_limited_then_sending_works_again(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("flood").await;
    let bo = api.user("flood").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut socket = chat_socket(app, &ana).await;
    join(&mut socket, &room).await;

    let mut limited = 0;
    for n in 0..8 {
        let answer = socket
            .request(
                "send_message",
                json!({ "roomId": room, "message": format!("flood {n}") }),
            )
            .await;
        if answer["ok"] == false {
            assert_eq!(answer["error"]["code"], "rate_limited", "{answer}");
            limited += 1;
        }
    }
    assert!(limited >= 4, "only {limited} of 8 were limited");
    // A refused send is not stored.
    let stored = items(
        &api.get(
            &format!("/api/v1/conversations/{room}/messages"),
            ana.token(),
        )
        .await,
    );
    assert_eq!(stored.len(), 8 - limited);

    // The limit is per connection: another socket of the same user sends.
    let other = chat_socket(app, &ana).await;
    other
        .ok(
            "send_message",
            json!({ "roomId": room, "message": "other socket" }),
        )
        .await;
    // And after a pause the first one sends again.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    socket
        .ok(
            "send_message",
            json!({ "roomId": room, "message": "calm again" }),
        )
        .await;
}

async fn an_unanswered_call_is_missed(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("miss").await;
    let bo = api.user("miss").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut ana_socket = chat_socket(app, &ana).await;
    let mut bo_socket = chat_socket(app, &bo).await;
    let ack = ana_socket
        .ok("call_invite", json!({ "roomId": room, "kind": "audio" }))
        .await;
    let call = ack["callId"].as_str().expect("callId").to_string();
    let is_call = |value: &serde_json::Value| value["callId"] == call.as_str();
    bo_socket.expect("call_invite", is_call).await;
    for socket in [&mut ana_socket, &mut bo_socket] {
        let missed = socket.expect("call_hangup", is_call).await;
        assert_eq!(missed["reason"], "missed", "{missed}");
    }
    let calls = items(
        &api.get(&format!("/api/v1/conversations/{room}/calls"), bo.token())
            .await,
    );
    assert_eq!(calls[0]["state"], "missed");
    bo_socket
        .refused("call_accept", json!({ "callId": call }), "conflict")
        .await;
}
