//! [`UsersApi`](crate::UsersApi) over gRPC: the users service serves
//! [`users_routes`]; other services call it through [`GrpcUsers`].

mod client;
mod convert;
mod server;

pub use client::GrpcUsers;
pub use server::users_routes;
