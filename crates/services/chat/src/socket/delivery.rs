//! The receiving end of pub/sub, on every instance: room emits
//! ([`crate::live::fanout::CHANNEL`]) and notification pushes
//! ([`chorus_rpc::push::NOTIFICATIONS_CHANNEL`]), each emitted to this
//! instance's sockets in the rooms they name.

use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use chorus_ports::PubSub;
use chorus_rpc::push::{NOTIFICATION_EVENT, NOTIFICATIONS_CHANNEL, NotificationPush};
use futures::StreamExt;
use futures::stream::BoxStream;
use socketioxide::SocketIo;
use socketioxide::socket::Sid;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::live::fanout::{CHANNEL, RoomEmit};
use crate::live::rooms::{NOTIFICATIONS_NAMESPACE, user_room};

/// Subscribes now (so nothing published after start is missed), then
/// delivers until `shutdown`.
pub async fn start(
    io: SocketIo,
    pubsub: Arc<dyn PubSub>,
    tasks: &TaskTracker,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let rooms = pubsub
        .subscribe(CHANNEL)
        .await
        .context("subscribing to chat room emits")?;
    let pushes = pubsub
        .subscribe(NOTIFICATIONS_CHANNEL)
        .await
        .context("subscribing to notification pushes")?;
    tasks.spawn(deliver(io.clone(), rooms, shutdown.clone(), emit_to_rooms));
    tasks.spawn(deliver(io, pushes, shutdown, emit_notification));
    Ok(())
}

async fn deliver<F, Fut>(
    io: SocketIo,
    mut messages: BoxStream<'static, Bytes>,
    shutdown: CancellationToken,
    emit: F,
) where
    F: Fn(SocketIo, Bytes) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => return,
            message = messages.next() => message,
        };
        match message {
            Some(message) => emit(io.clone(), message).await,
            None => {
                tracing::warn!("a pub/sub subscription ended; live delivery stops here");
                return;
            }
        }
    }
}

async fn emit_to_rooms(io: SocketIo, message: Bytes) {
    let emit = match RoomEmit::from_bytes(&message) {
        Ok(emit) => emit,
        Err(error) => {
            tracing::warn!(%error, "dropping an unreadable room emit");
            return;
        }
    };
    let Some(namespace) = io.of(&emit.namespace) else {
        tracing::warn!(namespace = %emit.namespace, "room emit for an unknown namespace");
        return;
    };
    let mut target = namespace.to(emit.rooms);
    if let Some(sid) = emit
        .except
        .as_deref()
        .and_then(|sid| sid.parse::<Sid>().ok())
    {
        target = target.except(sid);
    }
    if let Err(error) = target.emit(&emit.event, &emit.data).await {
        tracing::debug!(%error, event = %emit.event, "room emit not delivered to every socket");
    }
}

async fn emit_notification(io: SocketIo, message: Bytes) {
    let push = match NotificationPush::from_bytes(&message) {
        Ok(push) => push,
        Err(error) => {
            tracing::warn!(%error, "dropping an unreadable notification push");
            return;
        }
    };
    let Some(namespace) = io.of(NOTIFICATIONS_NAMESPACE) else {
        return;
    };
    let room = user_room(push.recipient);
    if let Err(error) = namespace
        .to(room)
        .emit(NOTIFICATION_EVENT, &push.notification)
        .await
    {
        tracing::debug!(%error, "notification not delivered to every socket");
    }
}
