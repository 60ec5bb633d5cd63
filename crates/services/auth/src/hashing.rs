//! Password hashing with argon2id, off the async workers and bounded.
//!
//! A hash costs tens of milliseconds of CPU and about 19 MiB of memory by
//! design. Each runs on tokio's blocking pool, and a semaphore lets at most
//! `hashing_concurrency` run at once, so a burst of logins queues instead of
//! starving every other request or exhausting memory.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::Password;

#[derive(Clone)]
pub struct Hasher {
    inner: Arc<Inner>,
}

struct Inner {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password with the configured parameters: checked
    /// when a login names no account, so that it costs the same as one that does.
    dummy: String,
}

impl Hasher {
    pub async fn new(params: Params, permits: usize) -> anyhow::Result<Self> {
        let dummy_params = params.clone();
        let dummy = tokio::task::spawn_blocking(move || {
            let random: [u8; 32] = rand::random();
            hash_with(&dummy_params, &random)
        })
        .await
        .context("computing the dummy password hash")??;
        Ok(Self {
            inner: Arc::new(Inner {
                params,
                permits: Arc::new(Semaphore::new(permits.max(1))),
                dummy,
            }),
        })
    }

    /// The PHC string (`$argon2id$v=19$m=…`) for `password`, with a fresh salt.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let params = self.inner.params.clone();
        let password = password.expose().to_owned();
        self.run(move || hash_with(&params, password.as_bytes()))
            .await?
    }

    /// Does `password` match `stored`? With no stored hash (no such account)
    /// the answer is no, after the same work as a real check.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<bool> {
        let exists = stored.is_some();
        let stored = stored.unwrap_or(&self.inner.dummy).to_owned();
        let password = password.to_owned();
        let matches = self
            .run(move || verify_with(password.as_bytes(), &stored))
            .await??;
        Ok(exists && matches)
    }

    /// Was `stored` made with other parameters than the configured ones (so
    /// that it should be replaced at the next successful login)?
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return true;
        };
        if hash.algorithm.as_str() != Algorithm::Argon2id.as_str() {
            return true;
        }
        match Params::try_from(&hash) {
            Ok(params) => {
                let want = &self.inner.params;
                params.m_cost() != want.m_cost()
                    || params.t_cost() != want.t_cost()
                    || params.p_cost() != want.p_cost()
            }
            Err(_) => true,
        }
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit goes
    /// with the work, so a client that hangs up does not free a slot early.
    async fn run<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .context("the hashing pool is closed")?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .context("a password hashing task failed")
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &[u8]) -> anyhow::Result<String> {
    argon2(params)
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|error| anyhow::anyhow!("hashing a password: {error}"))
}

fn verify_with(password: &[u8], stored: &str) -> anyhow::Result<bool> {
    // The parameters come from the stored hash; ours only pick the implementation.
    match argon2(&Params::default()).verify_password(password, stored) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(error) => Err(anyhow::anyhow!(
            "checking a password against its stored hash: {error}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn hasher() -> Hasher {
        let params = Params::new(1024, 1, 1, None).expect("params");
        Hasher::new(params, 2).await.expect("hasher")
    }

    fn password(raw: &str) -> Password {
        Password::parse("password", raw.to_string()).expect("valid")
    }

    #[tokio::test]
    async fn a_hashed_password_verifies_and_another_does_not() {
        let hasher = hasher().await;
        let hash = hasher.hash(&password("correct horse")).await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert!(
            hasher
                .verify("correct horse", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("wrong horse!", Some(&hash))
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_their_salt() {
        let hasher = hasher().await;
        let a = hasher.hash(&password("same password")).await.expect("hash");
        let b = hasher.hash(&password("same password")).await.expect("hash");
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let hasher = hasher().await;
        assert!(
            !hasher
                .verify("anything at all", None)
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_error_not_a_match() {
        let hasher = hasher().await;
        assert!(
            hasher
                .verify("anything at all", Some("$argon2id$garbage"))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn hashes_made_with_other_parameters_need_a_rehash() {
        let hasher = hasher().await;
        let current = hasher.hash(&password("a password")).await.expect("hash");
        assert!(!hasher.needs_rehash(&current));

        let old = Hasher::new(Params::new(2048, 1, 1, None).expect("params"), 1)
            .await
            .expect("hasher");
        let stale = old.hash(&password("a password")).await.expect("hash");
        assert!(hasher.needs_rehash(&stale));
        assert!(hasher.needs_rehash("not a hash"));
    }
}
