//! What one authenticated socket carries between its events (a socket
//! extension): who it is, its send rate limit, and the conversations it is
//! known to belong to (so typing does not ask the database each keystroke).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chorus_core::{Id, Identity};

use super::rate_limit::TokenBucket;

/// A sustained rate and the burst allowed above it.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_sec: u32,
    pub burst: u32,
}

fn take(bucket: &Mutex<TokenBucket>) -> Result<(), Duration> {
    let mut bucket = bucket.lock().unwrap_or_else(|e| e.into_inner());
    bucket.try_take(Instant::now())
}

#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    identity: Identity,
    send_limit: Mutex<TokenBucket>,
    event_limit: Mutex<TokenBucket>,
    /// Membership never ends in this service, so once checked it holds.
    member_of: Mutex<HashSet<Id>>,
    username: Mutex<Option<String>>,
}

impl Connection {
    pub fn new(identity: Identity, sends: Rate, events: Rate) -> Self {
        let now = Instant::now();
        Self {
            inner: Arc::new(Inner {
                identity,
                send_limit: Mutex::new(TokenBucket::new(sends.per_sec, sends.burst, now)),
                event_limit: Mutex::new(TokenBucket::new(events.per_sec, events.burst, now)),
                member_of: Mutex::new(HashSet::new()),
                username: Mutex::new(None),
            }),
        }
    }

    pub fn user(&self) -> Id {
        self.inner.identity.user_id
    }

    /// Takes a message send from its bucket, or tells how long until one
    /// is allowed.
    pub fn take_send(&self) -> Result<(), Duration> {
        take(&self.inner.send_limit)
    }

    /// Takes an event (of any kind) from its bucket.
    pub fn take_event(&self) -> Result<(), Duration> {
        take(&self.inner.event_limit)
    }

    pub fn knows_member_of(&self, conversation: Id) -> bool {
        let member_of = self
            .inner
            .member_of
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        member_of.contains(&conversation)
    }

    pub fn remember_member_of(&self, conversation: Id) {
        let mut member_of = self
            .inner
            .member_of
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        member_of.insert(conversation);
    }

    pub fn username(&self) -> Option<String> {
        self.inner
            .username
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn remember_username(&self, username: String) {
        *self
            .inner
            .username
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(username);
    }
}
