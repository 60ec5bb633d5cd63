//! Call signaling on `/chat`: an invitation reaches every other member
//! wherever they are, accept/reject/hang-up reach the others, offers,
//! answers and ICE candidates reach only the member named, non-members
//! cannot take part, and the session's record follows.

use reqwest::StatusCode;
use serde_json::json;

use crate::chat::{chat_socket, conversation};
use crate::client::Api;
use crate::harness::Chorus;
use crate::social::items;

crate::in_both_modes!(
    a_group_call_is_invited_accepted_signaled_and_hung_up,
    a_direct_call_can_be_rejected,
);

async fn a_group_call_is_invited_accepted_signaled_and_hung_up(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("call").await;
    let bo = api.user("call").await;
    let cy = api.user("call").await;
    let dan = api.user("call").await;
    let room = conversation(&api, &ana, &[&bo, &cy], Some("Standup")).await;
    // Nobody joins the room: invitations go to the members themselves.
    let mut ana_socket = chat_socket(app, &ana).await;
    let mut bo_socket = chat_socket(app, &bo).await;
    let mut cy_socket = chat_socket(app, &cy).await;
    let dan_socket = chat_socket(app, &dan).await;

    dan_socket
        .refused(
            "call_invite",
            json!({ "roomId": room, "kind": "audio" }),
            "not_found",
        )
        .await;
    let ack = ana_socket
        .ok("call_invite", json!({ "roomId": room, "kind": "video" }))
        .await;
    let call = ack["callId"].as_str().expect("callId").to_string();
    let is_call = |value: &serde_json::Value| value["callId"] == call.as_str();
    for socket in [&mut bo_socket, &mut cy_socket] {
        let invite = socket.expect("call_invite", is_call).await;
        assert_eq!(invite["roomId"], room.as_str());
        assert_eq!(invite["kind"], "video");
        assert_eq!(invite["from"]["id"], ana.id.as_str());
        assert_eq!(invite["from"]["username"], ana.username.as_str());
    }
    ana_socket.expect_none("call_invite", is_call).await;

    // A non-member can neither answer nor signal.
    for event in ["call_accept", "call_reject", "call_hangup"] {
        dan_socket
            .refused(event, json!({ "callId": call }), "not_found")
            .await;
    }
    dan_socket
        .refused(
            "call_offer",
            json!({ "callId": call, "to": ana.id, "sdp": "v=0" }),
            "not_found",
        )
        .await;
    // The caller cannot accept their own call.
    ana_socket
        .refused(
            "call_accept",
            json!({ "callId": call }),
            "validation_failed",
        )
        .await;

    let accepted = bo_socket.ok("call_accept", json!({ "callId": call })).await;
    assert_eq!(accepted["state"], "active");
    for socket in [&mut ana_socket, &mut cy_socket] {
        let update = socket.expect("call_accept", is_call).await;
        assert_eq!(update["from"], bo.id.as_str());
        assert_eq!(update["roomId"], room.as_str());
    }

    // Signaling goes to the named member only.
    let offer = json!({ "type": "offer", "sdp": "v=0 offer" });
    ana_socket
        .ok(
            "call_offer",
            json!({ "callId": call, "to": bo.id, "sdp": offer }),
        )
        .await;
    let received = bo_socket.expect("call_offer", is_call).await;
    assert_eq!(received["from"], ana.id.as_str());
    assert_eq!(received["sdp"], offer);
    assert_eq!(received["roomId"], room.as_str());
    bo_socket
        .ok(
            "call_answer",
            json!({ "callId": call, "to": ana.id, "sdp": "v=0 answer" }),
        )
        .await;
    let answer = ana_socket.expect("call_answer", is_call).await;
    assert_eq!(answer["sdp"], "v=0 answer");
    assert_eq!(answer["from"], bo.id.as_str());
    let candidate =
        json!({ "candidate": "candidate:1 1 UDP 1 10.0.0.1 9 typ host", "sdpMid": "0" });
    ana_socket
        .ok(
            "call_ice",
            json!({ "callId": call, "to": bo.id, "candidate": candidate }),
        )
        .await;
    let ice = bo_socket.expect("call_ice", is_call).await;
    assert_eq!(ice["candidate"], candidate);
    cy_socket.expect_none("call_offer", is_call).await;
    cy_socket.expect_none("call_ice", is_call).await;
    // Only members can be named, and a signal needs its payload.
    ana_socket
        .refused(
            "call_offer",
            json!({ "callId": call, "to": dan.id, "sdp": "v=0" }),
            "not_found",
        )
        .await;
    ana_socket
        .refused(
            "call_offer",
            json!({ "callId": call, "to": bo.id }),
            "validation_failed",
        )
        .await;

    // The caller hangs up: everyone hears it, and the record is complete.
    ana_socket
        .ok("call_hangup", json!({ "callId": call }))
        .await;
    for socket in [&mut bo_socket, &mut cy_socket] {
        let hangup = socket.expect("call_hangup", is_call).await;
        assert_eq!(hangup["from"], ana.id.as_str());
    }
    bo_socket
        .refused(
            "call_offer",
            json!({ "callId": call, "to": ana.id, "sdp": "late" }),
            "conflict",
        )
        .await;
    let calls = items(
        &api.get(&format!("/api/v1/conversations/{room}/calls"), cy.token())
            .await,
    );
    assert_eq!(calls[0]["id"], call.as_str());
    assert_eq!(calls[0]["state"], "ended");
    assert_eq!(calls[0]["kind"], "video");
    assert_eq!(calls[0]["initiator_id"], ana.id.as_str());
    assert!(calls[0]["answered_at"].is_string(), "{}", calls[0]);
    assert!(calls[0]["ended_at"].is_string(), "{}", calls[0]);
    let hidden = api
        .get(&format!("/api/v1/conversations/{room}/calls"), dan.token())
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

async fn a_direct_call_can_be_rejected(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("rej").await;
    let bo = api.user("rej").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut ana_socket = chat_socket(app, &ana).await;
    let mut bo_socket = chat_socket(app, &bo).await;
    // A second device of bo's rings too.
    let mut bo_phone = chat_socket(app, &bo).await;

    let ack = ana_socket
        .ok("call_invite", json!({ "roomId": room, "kind": "audio" }))
        .await;
    let call = ack["callId"].as_str().expect("callId").to_string();
    let is_call = |value: &serde_json::Value| value["callId"] == call.as_str();
    bo_socket.expect("call_invite", is_call).await;
    bo_phone.expect("call_invite", is_call).await;

    let rejected = bo_socket.ok("call_reject", json!({ "callId": call })).await;
    assert_eq!(rejected["state"], "rejected");
    let update = ana_socket.expect("call_reject", is_call).await;
    assert_eq!(update["from"], bo.id.as_str());
    // bo's other device stops ringing; the rejecting socket hears nothing back.
    bo_phone.expect("call_reject", is_call).await;
    bo_socket.expect_none("call_reject", is_call).await;
    bo_phone
        .refused("call_accept", json!({ "callId": call }), "conflict")
        .await;
    let calls = items(
        &api.get(&format!("/api/v1/conversations/{room}/calls"), ana.token())
            .await,
    );
    assert_eq!(calls[0]["state"], "rejected");
    assert!(calls[0]["answered_at"].is_null());
}
