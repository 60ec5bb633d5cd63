//! What a query may cost, and how refusals read.
//!
//! async-graphql checks depth and complexity before running anything; its
//! parser and its recursion guard refuse very deep documents even earlier,
//! with other words. All of these come back here as one message per limit,
//! and the handler answers 400 for any request that never reached execution
//! (found with [`ExecutionMarker`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{Response, ServerError, Value};

/// Nesting of selection sets.
pub const MAX_DEPTH: usize = 10;
/// Fields counted once each, times `first` under a connection.
pub const MAX_COMPLEXITY: usize = 1_000;
/// Bytes of query text.
pub const MAX_QUERY_BYTES: usize = 20 * 1024;
/// Bytes of request body (query, variables, operation name).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Set once async-graphql starts executing the request's operation.
#[derive(Clone, Default)]
pub(crate) struct ExecutionStarted(Arc<AtomicBool>);

impl ExecutionStarted {
    pub(crate) fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Marks [`ExecutionStarted`] in the request's data.
pub(crate) struct ExecutionMarker;

impl ExtensionFactory for ExecutionMarker {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ExecutionMarker)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ExecutionMarker {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(started) = ctx.data_opt::<ExecutionStarted>() {
            started.0.store(true, Ordering::Relaxed);
        }
        next.run(ctx, operation_name).await
    }
}

/// Gives errors of a refused request a code, and limit errors their message.
pub(crate) fn refusal(mut error: ServerError) -> ServerError {
    let message = error.message.to_lowercase();
    let code = if message.contains("nested too deep") || message.contains("recursion") {
        error.message = format!("query is nested too deep: the depth limit is {MAX_DEPTH}");
        "depth_limit_exceeded"
    } else if message.contains("too complex") {
        error.message = format!("query is too complex: the complexity limit is {MAX_COMPLEXITY}");
        "complexity_limit_exceeded"
    } else {
        "invalid_query"
    };
    with_code(error, code)
}

/// Errors raised by async-graphql while running (a missing variable, an
/// argument of the wrong type) carry no code: they are the caller's input.
pub(crate) fn uncoded_as_invalid(error: ServerError) -> ServerError {
    let coded = error
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.get("code").is_some());
    if coded {
        error
    } else {
        with_code(error, "validation_failed")
    }
}

fn with_code(mut error: ServerError, code: &str) -> ServerError {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", Value::from(code));
    extensions.set("status", Value::from(400));
    error
}
