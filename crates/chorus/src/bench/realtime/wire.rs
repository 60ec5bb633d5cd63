//! A lean Socket.IO v5 client over a WebSocket only (engine.io v4, no
//! long-polling), for load: tens of thousands of these fit in one process.
//! The tests drive the server with full clients written by others; a
//! benchmark needs only connect, emit, acks and events.
//!
//! Packets are text frames: `0{…}` open, `2`/`3` ping/pong, then Socket.IO
//! packets `4<type>[/namespace,][ack id][json]`: `40` connect, `42` event,
//! `43` ack, `44` connect error.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// How long the open packet and the namespace's connect answer may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// What the server sent on the namespace.
#[derive(Debug)]
pub enum Incoming {
    Event { name: String, data: Value },
    Ack { id: u64, data: Value },
}

/// One connected namespace of one WebSocket.
pub struct Connection {
    namespace: String,
    outgoing: mpsc::UnboundedSender<Message>,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    /// Packets read while waiting for an ack, not yet taken.
    pending: VecDeque<Incoming>,
    next_ack: u64,
}

impl Connection {
    /// Opens a WebSocket to `addr` and connects `namespace` with `token`.
    pub async fn connect(addr: SocketAddr, namespace: &str, token: &str) -> anyhow::Result<Self> {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (socket, _) =
            tokio::time::timeout(HANDSHAKE_TIMEOUT, tokio_tungstenite::connect_async(&url))
                .await
                .context("the WebSocket handshake timed out")?
                .context("the WebSocket handshake failed")?;
        let (mut sink, mut stream) = socket.split();

        let open = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.next())
            .await
            .context("no engine.io open packet")?
            .context("closed before the open packet")??;
        anyhow::ensure!(
            open.to_text().is_ok_and(|text| text.starts_with('0')),
            "expected engine.io's open packet, got {open:?}"
        );
        let auth = serde_json::json!({ "token": token });
        sink.send(Message::text(format!("40{namespace},{auth}")))
            .await?;
        // The namespace's answer; engine.io may ping meanwhile.
        let answer = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
            loop {
                let frame = stream
                    .next()
                    .await
                    .context("closed before the namespace connect answer")??;
                let text = frame.to_text()?.to_string();
                if text == "2" {
                    sink.send(Message::text("3")).await?;
                    continue;
                }
                return Ok::<_, anyhow::Error>(text);
            }
        })
        .await
        .context("no answer to the namespace connect")??;
        anyhow::ensure!(
            answer.starts_with(&format!("40{namespace},")),
            "the namespace {namespace} refused the connection: {answer}"
        );

        let (outgoing, mut to_send) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(message) = to_send.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        let (deliver, incoming) = mpsc::unbounded_channel();
        let pong = outgoing.clone();
        let prefix = format!("4{{}}{namespace},");
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Ok(text) = frame.to_text() else { continue };
                if text == "2" {
                    let _ = pong.send(Message::text("3"));
                    continue;
                }
                if let Some(packet) = parse(text, &prefix)
                    && deliver.send(packet).is_err()
                {
                    // Nobody reads events any more; keep answering pings.
                    continue;
                }
            }
        });
        Ok(Self {
            namespace: namespace.to_string(),
            outgoing,
            incoming,
            pending: VecDeque::new(),
            next_ack: 0,
        })
    }

    /// Emits `event` without asking for an acknowledgement.
    pub fn emit(&self, event: &str, data: &Value) -> anyhow::Result<()> {
        let packet = format!("42{},{}", self.namespace, serde_json::json!([event, data]));
        self.outgoing
            .send(Message::text(packet))
            .ok()
            .context("the connection is closed")
    }

    /// Emits `event` asking for an acknowledgement; returns the ack's id.
    pub fn emit_with_ack(&mut self, event: &str, data: &Value) -> anyhow::Result<u64> {
        self.next_ack += 1;
        let id = self.next_ack;
        let packet = format!(
            "42{},{id}{}",
            self.namespace,
            serde_json::json!([event, data])
        );
        self.outgoing
            .send(Message::text(packet))
            .ok()
            .context("the connection is closed")?;
        Ok(id)
    }

    /// Emits `event` and waits for its acknowledgement's first argument;
    /// packets that arrive meanwhile wait for [`Connection::next`], in order.
    pub async fn call(&mut self, event: &str, data: &Value) -> anyhow::Result<Value> {
        let id = self.emit_with_ack(event, data)?;
        loop {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.incoming.recv()).await {
                Ok(Some(Incoming::Ack { id: got, data })) if got == id => return Ok(data),
                Ok(Some(other)) => self.pending.push_back(other),
                Ok(None) => anyhow::bail!("closed while waiting for {event}'s ack"),
                Err(_) => anyhow::bail!("no ack for {event} within 30 s"),
            }
        }
    }

    /// The next packet from the server; `None` once the connection closed.
    pub async fn next(&mut self) -> Option<Incoming> {
        match self.pending.pop_front() {
            Some(packet) => Some(packet),
            None => self.incoming.recv().await,
        }
    }
}

/// A Socket.IO event or ack packet of our namespace; `prefix` is
/// `4{}<namespace>,` with `{}` standing for the packet type.
fn parse(text: &str, prefix: &str) -> Option<Incoming> {
    let (head, tail) = prefix.split_once("{}")?;
    let rest = text.strip_prefix(head)?;
    let (kind, rest) = rest.split_at_checked(1)?;
    let rest = rest.strip_prefix(tail)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (id, json) = rest.split_at(digits);
    let mut values: Vec<Value> = serde_json::from_str(json).ok()?;
    match kind {
        "2" if !values.is_empty() => {
            let name = values.remove(0).as_str()?.to_string();
            let data = values.into_iter().next().unwrap_or(Value::Null);
            Some(Incoming::Event { name, data })
        }
        "3" => Some(Incoming::Ack {
            id: id.parse().ok()?,
            data: values.into_iter().next().unwrap_or(Value::Null),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_acks_of_the_namespace_are_parsed() {
        let prefix = "4{}/chat,";
        match parse(r#"42/chat,["new_message",{"content":"hi"}]"#, prefix) {
            Some(Incoming::Event { name, data }) => {
                assert_eq!(name, "new_message");
                assert_eq!(data["content"], "hi");
            }
            other => panic!("not an event: {other:?}"),
        }
        match parse(r#"43/chat,12[{"ok":true}]"#, prefix) {
            Some(Incoming::Ack { id, data }) => {
                assert_eq!(id, 12);
                assert_eq!(data["ok"], true);
            }
            other => panic!("not an ack: {other:?}"),
        }
        assert!(parse(r#"42/notifications,["x",1]"#, prefix).is_none());
        assert!(parse("42/chat,not json", prefix).is_none());
    }
}
