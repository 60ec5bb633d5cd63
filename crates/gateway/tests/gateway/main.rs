//! The gateway's integration tests: one binary, one module per concern.

mod auth;
mod helpers;
mod layers;
mod proxy;
mod remote;
mod resilience;
mod socket_io;
mod sse;
mod websocket;
mod wrk2;
