//! What reaches connected clients, on every instance: room emits carried
//! over pub/sub ([`fanout`]), and who is online anywhere ([`presence`]).
//! The application layer publishes here; the Socket.IO layer delivers.

pub mod fanout;
pub mod presence;
pub mod rooms;
pub mod wire;

pub use fanout::{Fanout, RoomEmit};
pub use presence::Presence;
