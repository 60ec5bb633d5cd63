//! The media service's vocabulary, free of storage and HTTP: what a file is
//! ([`kind`], sniffed from its bytes), and the HTTP caching and range rules
//! the content route follows ([`range`], [`etag`]).

pub mod etag;
pub mod kind;
pub mod range;

pub use kind::{MediaKind, Sniffed};
