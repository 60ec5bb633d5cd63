//! What a service gets from the process that runs it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chorus_core::token::TokenKeys;
use chorus_core::{IdGenerator, IdentityKey};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::{DbTarget, Infra, InfraConfig};

#[derive(Clone)]
pub struct ServiceContext {
    /// The shared ports of this process (cache, pub/sub, event bus, blobs).
    pub infra: Infra,
    pub infra_config: InfraConfig,
    /// Where embedded adapters keep their files.
    pub data_dir: PathBuf,
    pub ids: Arc<IdGenerator>,
    /// Signs and checks the gateway's identity header.
    pub identity_key: IdentityKey,
    /// Issues and checks access tokens.
    pub token_keys: TokenKeys,
    /// How long an access token lives; a revoked session is remembered as long.
    pub access_ttl: Duration,
    /// Cancelled when the process stops accepting requests, before HTTP
    /// drains: endless responses (comment streams, Socket.IO connections)
    /// end on it, so that draining does not wait out the grace period.
    pub draining: CancellationToken,
    /// Cancelled when the process shuts down, after HTTP has drained.
    pub shutdown: CancellationToken,
    /// Background tasks (outbox relays, consumers) the process waits for at
    /// shutdown: spawn them with `tasks.spawn(…)`.
    pub tasks: TaskTracker,
}

impl ServiceContext {
    /// What writes do after committing events: in one process (the
    /// in-process bus) they wait until consumers have applied them, so that a
    /// client that signed up, posted or followed sees the effects in every
    /// service at once; with a broker, consumers are elsewhere and the write
    /// answers as soon as it is durable.
    pub fn after_commit(&self) -> crate::outbox::AfterCommit {
        if self.infra_config.uses_in_process_bus() {
            crate::outbox::AfterCommit::wait_for_delivery(Duration::from_secs(2))
        } else {
            crate::outbox::AfterCommit::wake_only()
        }
    }

    /// Where `service` keeps its tables.
    pub fn db_target(&self, service: &str) -> DbTarget {
        self.infra_config.db_target(service, &self.data_dir)
    }
}
