//! The gRPC transport of `UsersApi`, end to end over real sockets: an
//! in-memory `UsersApi` served with `axum::serve`, called through `GrpcUsers`.

mod errors;
mod fake;
mod helpers;
mod resilience;
mod round_trip;
mod same_port;
