//! Chorus: every service of the social-network backend in one binary.
//!
//! `main.rs` parses the command and hands over to [`cli::run`]; the module
//! manager ([`modules`]) starts what the command asks for.

pub mod bench;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod modules;
mod secrets;
