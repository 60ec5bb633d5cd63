//! How an event is answered: through its ack callback when the client gave
//! one (`{ok: true, …}` or `{ok: false, error: {code, message}}`), else,
//! for a refusal, with an `error` event `{event, code, message}`. Either
//! way the connection stays up.

use std::convert::Infallible;
use std::sync::Arc;

use chorus_core::{ApiError, ApiResult};
use serde_json::{Value, json};
use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::{FromMessageParts, Value as SocketValue};
use socketioxide::socket::Socket;

use crate::live::wire;

/// An extractor: the event's ack, and whether the client asked for one.
pub struct Reply {
    ack: AckSender,
    wants_ack: bool,
}

impl FromMessageParts<LocalAdapter> for Reply {
    type Error = Infallible;

    fn from_message_parts(
        socket: &Arc<Socket<LocalAdapter>>,
        value: &mut SocketValue,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(Reply {
            ack: AckSender::from_message_parts(socket, value, ack_id)?,
            wants_ack: ack_id.is_some(),
        })
    }
}

impl Reply {
    /// Answers `event`'s outcome; a success without an ack needs no answer.
    pub fn answer(self, socket: &SocketRef, event: &str, outcome: ApiResult<Value>) {
        let sent = match (outcome, self.wants_ack) {
            (Ok(body), true) => self.ack.send(&ok(body)),
            (Ok(_), false) => Ok(()),
            (Err(error), true) => self.ack.send(&refused(&error)),
            (Err(error), false) => {
                socket.emit(wire::ERROR, &wire::error(event, error.code, &error.message))
            }
        };
        if let Err(error) = sent {
            tracing::debug!(%error, event, "cannot answer a socket event (gone?)");
        }
    }
}

/// `{ok: true}` plus the fields of `body` when it is an object.
fn ok(body: Value) -> Value {
    let mut answer = json!({ "ok": true });
    if let (Some(answer), Value::Object(fields)) = (answer.as_object_mut(), body) {
        for (key, value) in fields {
            answer.insert(key, value);
        }
    }
    answer
}

fn refused(error: &ApiError) -> Value {
    json!({ "ok": false, "error": { "code": error.code, "message": error.message } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_have_the_contract_shape() {
        assert_eq!(
            ok(json!({"callId": "5"})),
            json!({"ok": true, "callId": "5"})
        );
        assert_eq!(ok(Value::Null), json!({"ok": true}));
        let refusal = refused(&ApiError::not_found("no such conversation"));
        assert_eq!(refusal["ok"], false);
        assert_eq!(refusal["error"]["code"], "not_found");
    }
}
