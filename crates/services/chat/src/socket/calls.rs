//! Call signaling on `/chat`: `call_invite {roomId, kind}`, `call_accept`,
//! `call_reject`, `call_hangup` `{callId}`, and `call_offer`/`call_answer`
//! `{callId, to?, sdp}`, `call_ice {callId, to?, candidate}`, relayed only
//! between members of the call's conversation.

use std::sync::Arc;

use chorus_core::{ApiResult, Id};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::extract::SocketRef;

use super::connection::Connection;
use super::{Event, Hub, on, payload};
use crate::app::{CallAction, Signal};

pub fn register(socket: &SocketRef, hub: &Arc<Hub>, connection: &Connection) {
    on(socket, hub, connection, "call_invite", |e, d| {
        Box::pin(invite(e, d))
    });
    on(socket, hub, connection, "call_accept", |e, d| {
        Box::pin(act(e, d, CallAction::Accept))
    });
    on(socket, hub, connection, "call_reject", |e, d| {
        Box::pin(act(e, d, CallAction::Reject))
    });
    on(socket, hub, connection, "call_hangup", |e, d| {
        Box::pin(act(e, d, CallAction::Hangup))
    });
    on(socket, hub, connection, "call_offer", |e, d| {
        Box::pin(signal(e, d, Signal::Offer))
    });
    on(socket, hub, connection, "call_answer", |e, d| {
        Box::pin(signal(e, d, Signal::Answer))
    });
    on(socket, hub, connection, "call_ice", |e, d| {
        Box::pin(signal(e, d, Signal::Ice))
    });
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invite {
    room_id: Id,
    kind: String,
}

/// Acked with `{ok: true, callId, call}`.
async fn invite(event: Event, data: Value) -> ApiResult<Value> {
    let Invite { room_id, kind } = payload(data)?;
    let user = event.connection.user();
    let call = event.hub.chat.start_call(user, room_id, &kind).await?;
    Ok(json!({ "callId": call.id, "call": call }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallRef {
    call_id: Id,
}

/// Acked with `{ok: true, callId, state}`.
async fn act(event: Event, data: Value, action: CallAction) -> ApiResult<Value> {
    let CallRef { call_id } = payload(data)?;
    let user = event.connection.user();
    let socket_id = event.socket.id.to_string();
    let call = event
        .hub
        .chat
        .act_on_call(user, call_id, action, Some(&socket_id))
        .await?;
    Ok(json!({ "callId": call.id, "state": call.state }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Signaling {
    call_id: Id,
    #[serde(default)]
    to: Option<Id>,
    #[serde(default)]
    sdp: Value,
    #[serde(default)]
    candidate: Value,
}

async fn signal(event: Event, data: Value, signal: Signal) -> ApiResult<Value> {
    let Signaling {
        call_id,
        to,
        sdp,
        candidate,
    } = payload(data)?;
    let carried = match signal {
        Signal::Offer | Signal::Answer => sdp,
        Signal::Ice => candidate,
    };
    let user = event.connection.user();
    let socket_id = event.socket.id.to_string();
    event
        .hub
        .chat
        .signal(user, call_id, signal, to, carried, Some(&socket_id))
        .await?;
    Ok(json!({ "callId": call_id }))
}
