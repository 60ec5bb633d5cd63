//! The auth service's routes, driven through its router as the gateway would.
//! One binary; a module per action. `TEST_LOG=1` shows the service's logs.

mod cookies;
mod distributed;
mod helpers;
mod login;
mod logout;
mod me;
mod password;
mod refresh;
mod service;
mod signup;
