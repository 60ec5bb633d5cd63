//! `ApiError`s as GraphQL errors: the message stays, and `extensions` carry
//! the REST `code` and HTTP `status` (and `details` when there are some), so
//! a client handles both APIs' refusals alike.

use async_graphql::{Error, ErrorExtensions, Value};
use chorus_core::{ApiError, Id};

/// `ApiResult` → `async_graphql::Result`, keeping code and status.
pub(crate) trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, ApiError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql_error)
    }
}

pub(crate) fn gql_error(error: ApiError) -> Error {
    let details = error
        .details
        .as_ref()
        .and_then(|details| Value::from_json(details.clone()).ok());
    Error::new(error.message.clone()).extend_with(|_, extensions| {
        extensions.set("code", error.code);
        extensions.set("status", error.status.as_u16());
        if let Some(details) = details {
            extensions.set("details", details);
        }
    })
}

/// Lookups answer `null` for what is missing or hidden (as REST answers 404),
/// and an error for anything else.
pub(crate) fn absent_as_none<T>(result: Result<T, ApiError>) -> async_graphql::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.code == "not_found" => Ok(None),
        Err(error) => Err(gql_error(error)),
    }
}

/// A GraphQL `ID` as a Chorus id: anything that is not one names nothing (404).
pub(crate) fn parse_id(id: &async_graphql::ID, what: &str) -> Result<Id, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("no such {what}")))
}

/// The GraphQL `ID` of a Chorus id.
pub(crate) fn to_id(id: Id) -> async_graphql::ID {
    async_graphql::ID(id.to_string())
}
