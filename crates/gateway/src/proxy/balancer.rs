//! Picks an instance of a service: the healthy one with the fewest requests
//! in flight, ties broken round-robin.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{Context, bail};
use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

/// Where one instance answers.
pub(crate) struct Base {
    url: String,
    authority: Authority,
    /// A path the instance is mounted under, without a trailing slash ("" for none).
    prefix: String,
}

impl Base {
    pub(crate) fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("upstream URL {url:?} is not a URL"))?;
        if uri.scheme() != Some(&Scheme::HTTP) {
            bail!(
                "upstream URL {url:?} must start with http:// (the gateway speaks plain HTTP to services)"
            );
        }
        if uri.query().is_some() {
            bail!("upstream URL {url:?} must not have a query");
        }
        let authority = uri
            .authority()
            .cloned()
            .with_context(|| format!("upstream URL {url:?} has no host"))?;
        Ok(Self {
            url: url.to_string(),
            authority,
            prefix: uri.path().trim_end_matches('/').to_string(),
        })
    }

    /// The instance's URI for a request's path and query.
    pub(crate) fn uri(&self, path_and_query: &PathAndQuery) -> Result<Uri, http::Error> {
        let builder = Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(self.authority.clone());
        if self.prefix.is_empty() {
            builder.path_and_query(path_and_query.clone()).build()
        } else {
            builder
                .path_and_query(format!("{}{path_and_query}", self.prefix))
                .build()
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

pub(crate) struct Instance {
    pub(crate) base: Base,
    healthy: AtomicBool,
    outstanding: AtomicUsize,
}

pub(crate) struct Balancer {
    service: String,
    instances: Vec<Instance>,
    /// Where the next scan starts, so equal loads take turns.
    cursor: AtomicUsize,
}

impl Balancer {
    /// Instances start healthy, so traffic flows before the first health check.
    pub(crate) fn new(service: &str, urls: &[String]) -> anyhow::Result<Self> {
        if urls.is_empty() {
            bail!("upstream {service:?} has no instance URL");
        }
        let instances = urls
            .iter()
            .map(|url| {
                Ok(Instance {
                    base: Base::parse(url).with_context(|| format!("upstream {service:?}"))?,
                    healthy: AtomicBool::new(true),
                    outstanding: AtomicUsize::new(0),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            service: service.to_string(),
            instances,
            cursor: AtomicUsize::new(0),
        })
    }

    pub(crate) fn service(&self) -> &str {
        &self.service
    }

    pub(crate) fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// The healthy instance with the fewest requests in flight, other than
    /// `avoid` (the one a retry is moving away from); `None` if there is none.
    pub(crate) fn pick(self: &Arc<Self>, avoid: Option<usize>) -> Option<Lease> {
        let count = self.instances.len();
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % count;
        let mut best: Option<(usize, usize)> = None;
        for offset in 0..count {
            let index = (start + offset) % count;
            let instance = &self.instances[index];
            if Some(index) == avoid || !instance.healthy.load(Ordering::Relaxed) {
                continue;
            }
            let load = instance.outstanding.load(Ordering::Relaxed);
            if best.is_none_or(|(_, least)| load < least) {
                best = Some((index, load));
            }
        }
        let (index, _) = best?;
        self.instances[index]
            .outstanding
            .fetch_add(1, Ordering::Relaxed);
        Some(Lease {
            balancer: Arc::clone(self),
            index,
        })
    }

    /// A lease on instance `index` itself (a session pinned to it), unless
    /// it is unknown or ejected.
    pub(crate) fn lease(self: &Arc<Self>, index: usize) -> Option<Lease> {
        let instance = self.instances.get(index)?;
        if !instance.healthy.load(Ordering::Relaxed) {
            return None;
        }
        instance.outstanding.fetch_add(1, Ordering::Relaxed);
        Some(Lease {
            balancer: Arc::clone(self),
            index,
        })
    }

    /// The index of the instance at `url`, as configured.
    pub(crate) fn index_of(&self, url: &str) -> Option<usize> {
        self.instances
            .iter()
            .position(|instance| instance.base.url() == url)
    }

    pub(crate) fn has_healthy(&self) -> bool {
        self.instances
            .iter()
            .any(|instance| instance.healthy.load(Ordering::Relaxed))
    }

    /// Records a health verdict, logging only changes.
    pub(crate) fn set_health(&self, index: usize, healthy: bool) {
        let Some(instance) = self.instances.get(index) else {
            return;
        };
        let was = instance.healthy.swap(healthy, Ordering::Relaxed);
        match (was, healthy) {
            (true, false) => tracing::warn!(
                service = %self.service,
                instance = instance.base.url(),
                "upstream instance ejected"
            ),
            (false, true) => tracing::info!(
                service = %self.service,
                instance = instance.base.url(),
                "upstream instance healthy again"
            ),
            _ => {}
        }
    }
}

/// One request's claim on an instance; counts as in flight until dropped.
pub(crate) struct Lease {
    balancer: Arc<Balancer>,
    index: usize,
}

impl Lease {
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn balancer(&self) -> &Balancer {
        &self.balancer
    }

    pub(crate) fn base(&self) -> &Base {
        &self.balancer.instances[self.index].base
    }

    /// The instance refused a connection: no more traffic until a health check passes.
    pub(crate) fn mark_down(&self) {
        self.balancer.set_health(self.index, false);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.balancer.instances[self.index]
            .outstanding
            .fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(count: usize) -> Arc<Balancer> {
        let urls: Vec<String> = (0..count)
            .map(|i| format!("http://127.0.0.1:{}", 9000 + i))
            .collect();
        Arc::new(Balancer::new("users", &urls).expect("valid urls"))
    }

    #[test]
    fn equal_loads_take_turns() {
        let balancer = pool(3);
        let picks: Vec<usize> = (0..6)
            .map(|_| balancer.pick(None).expect("healthy").index())
            .collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn the_least_busy_instance_is_chosen() {
        let balancer = pool(2);
        let busy = balancer.pick(None).expect("healthy");
        for _ in 0..4 {
            let lease = balancer.pick(None).expect("healthy");
            assert_ne!(lease.index(), busy.index());
        }
    }

    #[test]
    fn an_ejected_instance_gets_nothing_until_healthy_again() {
        let balancer = pool(2);
        balancer.set_health(0, false);
        assert!((0..4).all(|_| balancer.pick(None).expect("one left").index() == 1));
        balancer.set_health(1, false);
        assert!(balancer.pick(None).is_none());
        assert!(!balancer.has_healthy());
        balancer.set_health(0, true);
        assert_eq!(balancer.pick(None).map(|lease| lease.index()), Some(0));
    }

    #[test]
    fn a_retry_avoids_the_instance_that_failed() {
        let balancer = pool(2);
        let first = balancer.pick(None).expect("healthy");
        let retry = balancer.pick(Some(first.index())).expect("other one");
        assert_ne!(retry.index(), first.index());
        let only = pool(1);
        let lease = only.pick(None).expect("healthy");
        assert!(only.pick(Some(lease.index())).is_none());
    }

    #[test]
    fn a_pinned_lease_goes_to_its_instance_while_it_is_healthy() {
        let balancer = pool(2);
        let pinned = balancer.lease(1).expect("healthy");
        assert_eq!(pinned.index(), 1);
        assert_eq!(
            balancer.pick(None).map(|lease| lease.index()),
            Some(0),
            "a pinned lease counts as load"
        );
        balancer.set_health(1, false);
        assert!(balancer.lease(1).is_none());
        assert!(balancer.lease(7).is_none());
        assert_eq!(balancer.index_of("http://127.0.0.1:9001"), Some(1));
        assert_eq!(balancer.index_of("http://127.0.0.1:9"), None);
    }

    #[test]
    fn a_base_with_a_path_prefixes_requests() {
        let base = Base::parse("http://users:8080/inner/").expect("valid");
        let uri = base
            .uri(&PathAndQuery::from_static("/api/v1/users/1?x=2"))
            .expect("uri");
        assert_eq!(
            uri.to_string(),
            "http://users:8080/inner/api/v1/users/1?x=2"
        );
    }

    #[test]
    fn bad_upstream_urls_are_refused() {
        for url in [
            "https://users:8443",
            "users:8080",
            "http://users:8080/?q=1",
            "not a url",
        ] {
            assert!(Base::parse(url).is_err(), "{url}");
        }
        assert!(Balancer::new("users", &[]).is_err());
    }
}
