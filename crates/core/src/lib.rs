//! Domain basics shared by every Chorus service.
//!
//! Nothing here talks to a database, a cache or a broker: those are ports
//! (`chorus-ports`). This crate holds the vocabulary every service speaks.

pub mod error;
pub mod event;
pub mod id;
pub mod identity;
pub mod json;
pub mod page;
pub mod private;
pub mod secret;
pub mod time;
pub mod token;
pub mod wait;

pub use error::{ApiError, ApiResult};
pub use event::Envelope;
pub use id::{Id, IdGenerator};
pub use identity::{Identity, IdentityKey, MaybeIdentity};
pub use json::Json;
pub use page::{Cursor, ListPage, Page, PageQuery, PageRequest};
pub use secret::Secret;
