//! The gRPC transport for [`UsersApi`](crate::UsersApi): the users service
//! serves [`users_routes`] on its own HTTP port; other services call it
//! through [`GrpcUsers`]. Wire format: `proto/users.proto`.

mod client;
mod convert;
mod server;
pub mod status;

/// Code generated from `proto/users.proto` by `build.rs`.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod proto {
    tonic::include_proto!("chorus.users.v1");
}

pub use client::GrpcUsers;
pub use server::users_routes;
pub use status::{from_status, to_status};
