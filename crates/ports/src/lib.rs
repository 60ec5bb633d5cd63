//! The ports Chorus services talk through, each a trait with an embedded
//! adapter (for `chorus up`) and a distributed one (for `chorus serve`):
//!
//! | port | embedded | distributed |
//! |---|---|---|
//! | [`store::Db`] | SQLite | PostgreSQL |
//! | [`cache::Cache`] | in-process (moka) | Redis |
//! | [`timeline::Timelines`] | in-process | Redis |
//! | [`pubsub::PubSub`] | in-process | Redis |
//! | [`bus::EventBus`] | in-process | RabbitMQ |
//! | [`blobs::BlobStore`] | a local directory | S3-compatible (or a local directory) |
//!
//! plus the transactional [`outbox`] and its relay, and the consumer-side
//! [`inbox`] of applied event ids, which together give at-least-once delivery
//! with effects applied once.

pub mod blobs;
pub mod bus;
pub mod cache;
pub mod config;
pub mod inbox;
pub mod outbox;
pub mod pubsub;
pub mod runtime;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod timeline;

pub use blobs::{BlobKey, BlobStore};
pub use bus::{EventBus, EventHandler, RetryPolicy, Subscription};
pub use cache::Cache;
pub use config::{Infra, InfraConfig};
pub use pubsub::PubSub;
pub use runtime::ServiceContext;
pub use store::{Db, DbTarget, Dialect, Migrations};
pub use timeline::Timelines;
