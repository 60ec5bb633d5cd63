//! The local fan-out both adapters share: each subscriber of a channel has its
//! own bounded queue, and a publish offers every message to every queue
//! without ever waiting. A full queue loses that message for its subscriber
//! alone; the others, and the publisher, carry on.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use super::SUBSCRIBER_BACKLOG;

/// The subscribers of each (namespaced) channel. A channel is in the map only
/// while it has subscribers, so the map does not grow without bound.
#[derive(Default)]
pub(super) struct Fanout {
    channels: Mutex<HashMap<String, Vec<Subscriber>>>,
    next_id: AtomicU64,
}

/// One subscriber, as the publishing side sees it.
struct Subscriber {
    id: u64,
    queue: mpsc::Sender<Bytes>,
    /// Messages lost since its queue filled up; 0 while it keeps up.
    missed: u64,
}

impl Subscriber {
    /// Queues `message`; answers false if the subscriber has gone.
    fn offer(&mut self, channel: &str, message: Bytes) -> bool {
        match self.queue.try_send(message) {
            Ok(()) => {
                if self.missed > 0 {
                    tracing::warn!(
                        channel,
                        missed = self.missed,
                        "pub/sub subscriber caught up after missing messages"
                    );
                    self.missed = 0;
                }
                true
            }
            Err(TrySendError::Full(_)) => {
                // Once per episode, not once per lost message.
                if self.missed == 0 {
                    tracing::warn!(
                        channel,
                        backlog = SUBSCRIBER_BACKLOG,
                        "pub/sub subscriber fell behind; dropping its messages"
                    );
                }
                self.missed += 1;
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

impl Fanout {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, Vec<Subscriber>>> {
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a subscriber to `channel`: its id (for [`Fanout::leave`]) and the
    /// queue it reads. It receives what is sent from now on.
    pub(super) fn join(&self, channel: &str) -> (u64, mpsc::Receiver<Bytes>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, receiver) = mpsc::channel(SUBSCRIBER_BACKLOG);
        self.channels()
            .entry(channel.to_string())
            .or_default()
            .push(Subscriber {
                id,
                queue,
                missed: 0,
            });
        (id, receiver)
    }

    /// Removes subscriber `id` from `channel`, and forgets the channel if no
    /// live subscriber is left; answers whether it did.
    pub(super) fn leave(&self, channel: &str, id: u64) -> bool {
        let mut channels = self.channels();
        let Some(subscribers) = channels.get_mut(channel) else {
            return true;
        };
        subscribers.retain(|s| s.id != id && !s.queue.is_closed());
        if subscribers.is_empty() {
            channels.remove(channel);
            true
        } else {
            false
        }
    }

    /// Forgets `channel` if no live subscriber follows it; answers whether
    /// it did (or had already).
    pub(super) fn forget_if_unused(&self, channel: &str) -> bool {
        let mut channels = self.channels();
        let Some(subscribers) = channels.get_mut(channel) else {
            return true;
        };
        subscribers.retain(|s| !s.queue.is_closed());
        if subscribers.is_empty() {
            channels.remove(channel);
            true
        } else {
            false
        }
    }

    /// Offers `messages`, in order, to every subscriber of `channel`. Never
    /// waits: a subscriber whose queue is full misses the message.
    pub(super) fn send(&self, channel: &str, messages: impl IntoIterator<Item = Bytes>) {
        let mut channels = self.channels();
        let Some(subscribers) = channels.get_mut(channel) else {
            return;
        };
        for message in messages {
            subscribers.retain_mut(|s| s.offer(channel, message.clone()));
            if subscribers.is_empty() {
                channels.remove(channel);
                return;
            }
        }
    }

    /// Forgets every subscriber, which ends their streams once they have read
    /// what is already queued.
    pub(super) fn clear(&self) {
        self.channels().clear();
    }
}

/// One subscriber's stream: the queue it reads, and `L`, which takes it out
/// of the fan-out when dropped.
pub(super) struct Subscription<L> {
    queue: mpsc::Receiver<Bytes>,
    _leave: L,
}

impl<L> Subscription<L> {
    pub(super) fn new(queue: mpsc::Receiver<Bytes>, leave: L) -> Self {
        Self {
            queue,
            _leave: leave,
        }
    }
}

impl<L: Unpin> Stream for Subscription<L> {
    type Item = Bytes;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        self.queue.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: usize) -> Bytes {
        Bytes::from(n.to_string())
    }

    #[test]
    fn a_full_queue_loses_messages_for_its_subscriber_alone() {
        let fanout = Fanout::default();
        let (_, mut slow) = fanout.join("c");
        let (_, mut fast) = fanout.join("c");
        for n in 0..SUBSCRIBER_BACKLOG {
            fanout.send("c", [message(n)]);
            assert_eq!(fast.try_recv().ok(), Some(message(n)));
        }
        // The slow one's queue is full: these are lost to it, not to `fast`.
        fanout.send("c", [message(0), message(1)]);
        assert_eq!(fast.try_recv().ok(), Some(message(0)));
        assert_eq!(fast.try_recv().ok(), Some(message(1)));
        assert_eq!(slow.try_recv().ok(), Some(message(0)));
        // With room again it receives new messages.
        fanout.send("c", [message(7)]);
        for n in 1..SUBSCRIBER_BACKLOG {
            assert_eq!(slow.try_recv().ok(), Some(message(n)));
        }
        assert_eq!(slow.try_recv().ok(), Some(message(7)));
        assert!(slow.try_recv().is_err(), "nothing else");
    }

    #[test]
    fn channels_without_subscribers_are_forgotten() {
        let fanout = Fanout::default();
        let (first, _kept) = fanout.join("a");
        let (second, dropped) = fanout.join("a");
        let (_, gone) = fanout.join("b");
        drop(dropped);
        assert!(!fanout.leave("a", second), "`first` still follows a");
        assert!(fanout.leave("a", first));
        // A subscriber dropped without leaving is forgotten on the next send.
        drop(gone);
        fanout.send("b", [message(1)]);
        assert!(fanout.channels().is_empty());
        assert!(fanout.forget_if_unused("b"));
    }
}
