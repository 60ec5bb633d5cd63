//! Waiting a little for what another service's event brings (a profile, a
//! media just uploaded): events arrive within milliseconds, but a client
//! may ask in those milliseconds.

use std::future::Future;
use std::time::Duration;

/// Calls `look` until it answers `Some`, for at most `patience`, pausing
/// `every` between tries; `Ok(None)` when it never did. An error from
/// `look` ends the wait at once.
pub async fn until_some<T, E, F, Fut>(
    patience: Duration,
    every: Duration,
    mut look: F,
) -> Result<Option<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(found) = look().await? {
            return Ok(Some(found));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const PAUSE: Duration = Duration::from_millis(1);

    #[tokio::test]
    async fn it_returns_what_a_later_try_finds() {
        let tries = AtomicU32::new(0);
        let found = until_some(Duration::from_secs(5), PAUSE, || async {
            let n = tries.fetch_add(1, Ordering::Relaxed);
            Ok::<_, ()>((n == 2).then_some(n))
        })
        .await;
        assert_eq!(found, Ok(Some(2)));
    }

    #[tokio::test]
    async fn it_gives_up_after_its_patience_and_stops_on_an_error() {
        let never = until_some(Duration::from_millis(20), PAUSE, || async {
            Ok::<Option<()>, ()>(None)
        })
        .await;
        assert_eq!(never, Ok(None));
        let tries = AtomicU32::new(0);
        let failed = until_some(Duration::from_secs(5), PAUSE, || async {
            tries.fetch_add(1, Ordering::Relaxed);
            Err::<Option<()>, _>("broken")
        })
        .await;
        assert_eq!(failed, Err("broken"));
        assert_eq!(tries.load(Ordering::Relaxed), 1);
    }
}
