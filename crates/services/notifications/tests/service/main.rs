//! The notifications service beside the real users service, driven through
//! events and routes, on SQLite and (when one answers) PostgreSQL. One
//! binary; a module per area. `TEST_LOG=1` shows the services' logs.

mod helpers;

mod batches;
mod concurrency;
mod graph;
mod messages;
mod posts;
mod pushes;
mod routes;
