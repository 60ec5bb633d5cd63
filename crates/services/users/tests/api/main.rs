//! The users service's routes, driven through its router as the gateway
//! would, on SQLite and (when one answers) PostgreSQL. One binary; a module
//! per area. `TEST_LOG=1` shows the service's logs.

mod helpers;

mod api;
mod avatars;
mod blocks;
mod concurrency;
mod consumer;
mod follows;
mod friends;
mod lists;
mod private;
mod profiles;
mod relations;
mod service;
