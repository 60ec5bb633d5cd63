//! The schema: queries, mutations, and the types they return.

mod connection;
mod mutation;
mod post;
mod query;
mod user;

use async_graphql::{EmptySubscription, Schema};
use chorus_core::time::Timestamp;

use crate::context::Backends;
use crate::limits::{ExecutionMarker, MAX_COMPLEXITY, MAX_DEPTH};

pub use mutation::MutationRoot;
pub use query::QueryRoot;

pub type ChorusSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub(crate) fn build(backends: Option<Backends>) -> ChorusSchema {
    let builder = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(ExecutionMarker);
    match backends {
        Some(backends) => builder.data(backends).finish(),
        None => builder.finish(),
    }
}

/// The schema in SDL, for documentation and clients' code generators.
pub fn sdl() -> String {
    build(None).sdl()
}

/// A connection's cost: its selection, once per node it may hold. A `first`
/// out of range costs nothing here: the resolver refuses it with a clearer error.
pub(crate) fn connection_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    match u32::try_from(first.unwrap_or(connection::DEFAULT_FIRST)) {
        Ok(nodes @ 1..=chorus_core::page::MAX_LIMIT) => {
            (nodes as usize).saturating_mul(child_complexity)
        }
        _ => child_complexity,
    }
}

/// RFC 3339 in UTC with milliseconds, as REST shows times.
pub(crate) fn rfc3339(at: &Timestamp) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
