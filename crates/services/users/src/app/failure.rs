//! How an attempt at a use case fails, and the retry of attempts that lost a
//! race in PostgreSQL (a deadlock or a serialization failure).

use std::future::Future;

use chorus_core::{ApiError, ApiResult};

/// A refusal to answer the client with, or a store failure (500 unless retried).
#[derive(Debug)]
pub enum Failure {
    Refused(ApiError),
    Store(anyhow::Error),
}

pub type Attempt<T> = Result<T, Failure>;

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Refused(error)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Store(error.into())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Store(error)
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Refused(error) => error,
            Failure::Store(error) => ApiError::internal(format!("{error:#}")),
        }
    }
}

impl Failure {
    /// PostgreSQL aborted the transaction to break a deadlock (40P01) or a
    /// serialization conflict (40001): running it again is the cure.
    fn is_transient(&self) -> bool {
        let Failure::Store(error) = self else {
            return false;
        };
        match error.downcast_ref::<sqlx::Error>() {
            Some(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40P01") | Some("40001"))
            }
            _ => false,
        }
    }
}

/// Attempts in all before a transient failure becomes a 500.
const MAX_ATTEMPTS: u32 = 5;

/// Runs `attempt` (one transaction) until it succeeds, is refused, or fails
/// for good.
pub async fn retrying<T, F, Fut>(mut attempt: F) -> ApiResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        match attempt().await {
            Err(failure) if failure.is_transient() && attempts < MAX_ATTEMPTS => {
                tracing::debug!(attempts, "transaction lost a race; running it again");
            }
            outcome => return outcome.map_err(ApiError::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::error::Error as StdError;
    use std::sync::atomic::{AtomicU32, Ordering};

    use http::StatusCode;
    use sqlx::error::{DatabaseError, ErrorKind};

    use super::*;

    /// A database error with a given SQLSTATE, as PostgreSQL reports one.
    #[derive(Debug)]
    struct Sqlstate(&'static str);

    impl std::fmt::Display for Sqlstate {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "sqlstate {}", self.0)
        }
    }

    impl StdError for Sqlstate {}

    impl DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "failed"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    /// Fails with `code` `failures` times, then succeeds; counts the attempts.
    async fn run(code: &'static str, failures: u32) -> (ApiResult<()>, u32) {
        let attempts = AtomicU32::new(0);
        let outcome = retrying(|| async {
            let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
            if attempt <= failures {
                return Err(sqlx::Error::Database(Box::new(Sqlstate(code))).into());
            }
            Ok(())
        })
        .await;
        (outcome, attempts.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_deadlock_or_serialization_failure_is_run_again() {
        assert_eq!(run("40P01", 2).await.1, 3);
        assert!(run("40001", 1).await.0.is_ok());
        let (outcome, attempts) = run("40P01", 99).await;
        assert_eq!(attempts, MAX_ATTEMPTS);
        assert_eq!(
            outcome.map_err(|e| e.status),
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        );
    }

    #[tokio::test]
    async fn other_failures_and_refusals_are_not_retried() {
        let (outcome, attempts) = run("23505", 5).await;
        assert_eq!((attempts, outcome.is_err()), (1, true));
        let refused: ApiResult<()> =
            retrying(|| async { Err(ApiError::not_found("gone").into()) }).await;
        assert_eq!(refused.map_err(|e| e.status), Err(StatusCode::NOT_FOUND));
    }
}
