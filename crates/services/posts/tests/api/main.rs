//! The posts service's routes, driven through its router as the gateway
//! would, over a fake users service. One binary; a module per subject.
//! `TEST_LOG=1` shows the service's logs.

mod api;
mod comments;
mod events;
mod fake_users;
mod helpers;
mod media;
mod postgres;
mod posts;
mod reactions;
mod reposts;
mod response;
mod service;
mod stream;
mod timeline;
mod visibility;
