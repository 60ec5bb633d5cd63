//! The media service's SQL, written once for SQLite and PostgreSQL (sqlx
//! `Any`): uploads ([`media`]), their resized copies ([`variants`]), who holds each blob ([`holders`]) and the
//! bytes each owner keeps ([`usage`]).
//!
//! Single statements take any executor: a pool, or `&mut *tx` to take part
//! in the caller's transaction.

pub mod holders;
pub mod media;
pub mod usage;
pub mod variants;

pub use media::MediaRecord;
pub use variants::VariantRecord;

#[cfg(test)]
mod tests;
