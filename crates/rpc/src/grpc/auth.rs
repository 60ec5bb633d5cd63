//! The servers' side, shared by every service: calls must carry an identity
//! signed with the internal key, and refusals travel as statuses.

use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{ApiError, ApiResult, IdentityKey};
use tonic::service::Interceptor;
use tonic::{Request, Response, Status};

use super::status::to_status;

/// Refuses calls whose identity metadata is missing, forged or stale.
#[derive(Clone)]
pub(crate) struct RequireIdentity {
    pub key: IdentityKey,
}

impl Interceptor for RequireIdentity {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let identity = request
            .metadata()
            .get(IDENTITY_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| self.key.verify(value));
        match identity {
            Some(_) => Ok(request),
            None => Err(to_status(&ApiError::unauthorized(
                "internal calls need an identity signed with the internal key",
            ))),
        }
    }
}

/// A reply, or the refusal as a status the client turns back into the same
/// `ApiError`.
pub(crate) fn answer<T>(result: ApiResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(|error| to_status(&error))
}
