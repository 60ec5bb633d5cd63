//! The media service's SQL, written once for SQLite and PostgreSQL (sqlx
//! `Any`): uploads ([`media`]), who holds each blob ([`holders`]) and the
//! bytes each owner keeps ([`usage`]).
//!
//! Single statements take any executor: a pool, or `&mut *tx` to take part
//! in the caller's transaction.

pub mod holders;
pub mod media;
pub mod usage;

pub use media::MediaRecord;

#[cfg(test)]
mod tests;
