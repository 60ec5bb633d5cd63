//! The media service driven through its routes, on SQLite and (when one
//! answers) PostgreSQL, with a real blob folder. One binary; a module per
//! area. `TEST_LOG=1` shows the service's logs.

mod fixtures;
mod helpers;

mod deleting;
mod limits;
mod processing;
mod serving;
mod uploads;
