//! Picks an instance of a service: the healthy one with the fewest requests
//! in flight, ties broken round-robin; or, once an ejected instance's
//! cool-down is over, that instance as its breaker's probe.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

use super::breaker::{Breaker, Change, Outcome};

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
    breaker: Mutex<Breaker>,
    /// Whether the breaker is closed, readable without its lock.
    closed: AtomicBool,
    outstanding: AtomicUsize,
}

impl Instance {
    fn breaker(&self) -> MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }
}

pub(crate) struct Balancer {
    service: String,
    instances: Vec<Instance>,
    /// Where the next scan starts, so equal loads take turns.
    cursor: AtomicUsize,
}

impl Balancer {
    /// Instances start healthy, so traffic flows before the first health
    /// check; `failures` in a row eject one for at least `cooldown`.
    pub(crate) fn new(
        service: &str,
        urls: &[String],
        failures: u32,
        cooldown: Duration,
    ) -> anyhow::Result<Self> {
        if urls.is_empty() {
            bail!("upstream {service:?} has no instance URL");
        }
        let instances = urls
            .iter()
            .map(|url| {
                Ok(Instance {
                    base: Base::parse(url).with_context(|| format!("upstream {service:?}"))?,
                    breaker: Mutex::new(Breaker::new(failures, cooldown)),
                    closed: AtomicBool::new(true),
                    outstanding: AtomicUsize::new(0),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for instance in &instances {
            healthy_gauge(service, instance).set(1.0);
        }
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
    /// those in `avoid` (which a retry is moving away from); `None` if there
    /// is none. An ejected instance due for a probe gets the request first.
    pub(crate) fn pick(self: &Arc<Self>, avoid: &[usize]) -> Option<Lease> {
        if let Some(probe) = self.probe(avoid) {
            return Some(probe);
        }
        let count = self.instances.len();
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % count;
        let mut best: Option<(usize, usize)> = None;
        for offset in 0..count {
            let index = (start + offset) % count;
            let instance = &self.instances[index];
            if avoid.contains(&index) || !instance.is_closed() {
                continue;
            }
            let load = instance.outstanding.load(Ordering::Relaxed);
            if best.is_none_or(|(_, least)| load < least) {
                best = Some((index, load));
            }
        }
        let (index, _) = best?;
        Some(self.claim(index, false))
    }

    /// A lease on an ejected instance whose cool-down is over: the one
    /// request its breaker lets through to see whether it is back.
    fn probe(self: &Arc<Self>, avoid: &[usize]) -> Option<Lease> {
        if self.instances.iter().all(Instance::is_closed) {
            return None;
        }
        let now = Instant::now();
        let index = (0..self.instances.len()).find(|&index| {
            let instance = &self.instances[index];
            !avoid.contains(&index) && !instance.is_closed() && instance.breaker().try_probe(now)
        })?;
        Some(self.claim(index, true))
    }

    fn claim(self: &Arc<Self>, index: usize, probe: bool) -> Lease {
        self.instances[index]
            .outstanding
            .fetch_add(1, Ordering::Relaxed);
        Lease {
            balancer: Arc::clone(self),
            index,
            probe,
            recorded: false,
        }
    }

    /// A lease on instance `index` itself (a session pinned to it), unless
    /// it is unknown or ejected.
    pub(crate) fn lease(self: &Arc<Self>, index: usize) -> Option<Lease> {
        let instance = self.instances.get(index)?;
        instance.is_closed().then(|| self.claim(index, false))
    }

    /// The index of the instance at `url`, as configured.
    pub(crate) fn index_of(&self, url: &str) -> Option<usize> {
        self.instances
            .iter()
            .position(|instance| instance.base.url() == url)
    }

    pub(crate) fn has_healthy(&self) -> bool {
        self.instances.iter().any(Instance::is_closed)
    }

    /// Should the health task check instance `index` now? Always while it
    /// is in service; once ejected, only as its breaker's probe.
    pub(crate) fn begin_check(&self, index: usize) -> bool {
        let instance = &self.instances[index];
        let mut breaker = instance.breaker();
        breaker.is_closed() || breaker.try_probe(Instant::now())
    }

    /// Records a health check's verdict.
    pub(crate) fn end_check(&self, index: usize, healthy: bool) {
        self.update(index, |breaker, now| breaker.checked(healthy, now));
    }

    fn record(&self, index: usize, outcome: Outcome) {
        self.update(index, |breaker, now| breaker.record(outcome, now));
    }

    /// Changes instance `index`'s breaker, then logs and counts what changed.
    fn update(&self, index: usize, change: impl FnOnce(&mut Breaker, Instant) -> Option<Change>) {
        let instance = &self.instances[index];
        let change = {
            let mut breaker = instance.breaker();
            let change = change(&mut breaker, Instant::now());
            instance
                .closed
                .store(breaker.is_closed(), Ordering::Relaxed);
            change
        };
        let (service, url) = (&self.service, instance.base.url());
        match change {
            Some(Change::Opened) => {
                tracing::warn!(service, instance = url, "upstream instance ejected");
                metrics::counter!("chorus_gateway_upstream_ejections_total", "service" => service.clone())
                    .increment(1);
                healthy_gauge(service, instance).set(0.0);
            }
            Some(Change::Reopened(wait)) => tracing::debug!(
                service,
                instance = url,
                next_probe_ms = wait.as_millis(),
                "upstream instance still failing"
            ),
            Some(Change::Closed) => {
                tracing::info!(service, instance = url, "upstream instance healthy again");
                healthy_gauge(service, instance).set(1.0);
            }
            None => {}
        }
    }
}

/// 1 while the instance is in service, 0 while ejected.
fn healthy_gauge(service: &str, instance: &Instance) -> metrics::Gauge {
    metrics::gauge!(
        "chorus_gateway_upstream_healthy",
        "service" => service.to_string(),
        "instance" => instance.base.url().to_string()
    )
}

/// One request's claim on an instance; counts as in flight until dropped.
pub(crate) struct Lease {
    balancer: Arc<Balancer>,
    index: usize,
    /// Holds the instance's breaker probe.
    probe: bool,
    recorded: bool,
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

    /// Tells the instance's breaker how the attempt went.
    pub(crate) fn record(&mut self, outcome: Outcome) {
        self.recorded = true;
        self.balancer.record(self.index, outcome);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let instance = &self.balancer.instances[self.index];
        instance.outstanding.fetch_sub(1, Ordering::Relaxed);
        if self.probe && !self.recorded {
            // No verdict (the client left, or sent a bad body): let another probe go.
            instance.breaker().abandon(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(count: usize) -> Arc<Balancer> {
        pool_with(count, Duration::from_secs(3600))
    }

    /// Two failures in a row eject an instance for `cooldown`.
    fn pool_with(count: usize, cooldown: Duration) -> Arc<Balancer> {
        let urls: Vec<String> = (0..count)
            .map(|i| format!("http://127.0.0.1:{}", 9000 + i))
            .collect();
        Arc::new(Balancer::new("users", &urls, 2, cooldown).expect("valid urls"))
    }

    fn fail(balancer: &Arc<Balancer>, index: usize, outcome: Outcome) {
        balancer.lease(index).expect("in service").record(outcome);
    }

    #[test]
    fn equal_loads_take_turns() {
        let balancer = pool(3);
        let picks: Vec<usize> = (0..6)
            .map(|_| balancer.pick(&[]).expect("healthy").index())
            .collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn the_least_busy_instance_is_chosen() {
        let balancer = pool(2);
        let busy = balancer.pick(&[]).expect("healthy");
        for _ in 0..4 {
            let lease = balancer.pick(&[]).expect("healthy");
            assert_ne!(lease.index(), busy.index());
        }
    }

    #[test]
    fn an_ejected_instance_gets_nothing_until_healthy_again() {
        let balancer = pool(2);
        balancer.end_check(0, false);
        assert!((0..4).all(|_| balancer.pick(&[]).expect("one left").index() == 1));
        fail(&balancer, 1, Outcome::Down);
        assert!(balancer.pick(&[]).is_none());
        assert!(!balancer.has_healthy());
        assert!(!balancer.begin_check(0), "not before the cool-down");
        balancer.end_check(0, true);
        assert!(balancer.pick(&[]).is_none(), "a passing check is no probe");
    }

    #[test]
    fn failures_eject_and_one_request_probes_after_the_cool_down() {
        let balancer = pool_with(2, Duration::ZERO);
        fail(&balancer, 0, Outcome::Failure);
        assert!(balancer.has_healthy() && balancer.lease(0).is_some());
        fail(&balancer, 0, Outcome::Failure);
        assert!(balancer.lease(0).is_none(), "ejected: pinned requests too");

        let mut probe = balancer.pick(&[]).expect("a probe");
        assert_eq!(probe.index(), 0, "the ejected instance gets the probe");
        let others: Vec<usize> = (0..3)
            .map(|_| balancer.pick(&[]).expect("one left").index())
            .collect();
        assert_eq!(others, [1, 1, 1], "one probe at a time");
        assert!(!balancer.begin_check(0), "the probe is out");
        probe.record(Outcome::Success);
        assert!(balancer.lease(0).is_some(), "back in service");
    }

    #[test]
    fn a_probe_without_a_verdict_lets_the_next_one_through() {
        let balancer = pool_with(2, Duration::ZERO);
        fail(&balancer, 1, Outcome::Down);
        let probe = balancer.pick(&[]).expect("a probe");
        assert_eq!(probe.index(), 1);
        assert_eq!(balancer.pick(&[]).map(|lease| lease.index()), Some(0));
        drop(probe);
        assert!(balancer.begin_check(1), "the health check may probe now");
        balancer.end_check(1, true);
        assert!(balancer.lease(1).is_some());
    }

    #[test]
    fn a_retry_avoids_the_instance_that_failed() {
        let balancer = pool(2);
        let first = balancer.pick(&[]).expect("healthy");
        let retry = balancer.pick(&[first.index()]).expect("other one");
        assert_ne!(retry.index(), first.index());
        let only = pool(1);
        let lease = only.pick(&[]).expect("healthy");
        assert!(only.pick(&[lease.index()]).is_none());
    }

    #[test]
    fn a_pinned_lease_goes_to_its_instance_while_it_is_healthy() {
        let balancer = pool(2);
        let pinned = balancer.lease(1).expect("healthy");
        assert_eq!(pinned.index(), 1);
        assert_eq!(
            balancer.pick(&[]).map(|lease| lease.index()),
            Some(0),
            "a pinned lease counts as load"
        );
        fail(&balancer, 1, Outcome::Down);
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
        assert!(Balancer::new("users", &[], 5, Duration::from_secs(1)).is_err());
    }
}
