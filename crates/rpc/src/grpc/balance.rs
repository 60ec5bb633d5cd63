//! The callers' side, shared by every client: one lazily connected channel
//! per instance URL; calls take turns over them. A call that fails before
//! reaching the service logic (refused connection, reset) moves on to the
//! next instance (every method of these traits is idempotent); the whole
//! call, tries included, fits in one deadline. Whatever cannot be answered
//! in time becomes 503 `unavailable`, never a hang.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{ApiError, ApiResult, Id, Identity, IdentityKey};
use chorus_telemetry::trace_context::{TRACEPARENT, current_traceparent};
use tokio::time::Instant;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};

use super::status::{from_status, is_transport_failure};

/// Who a service signs as when it calls another service for itself.
const SERVICE_CALLER: Identity = Identity {
    user_id: Id(0),
    session_id: Id(0),
};

pub(crate) struct Balancer {
    /// The called service's name, for errors and logs.
    service: &'static str,
    instances: Vec<Instance>,
    next: AtomicUsize,
    key: IdentityKey,
    deadline: Duration,
}

struct Instance {
    url: String,
    channel: Channel,
}

impl Balancer {
    /// Channels to `service`'s instances at `urls` (`http://host:port`; no
    /// TLS inside the cluster). Nothing connects until the first call. Must
    /// be called within a Tokio runtime, which the connections run on.
    pub fn new(
        service: &'static str,
        urls: &[String],
        key: IdentityKey,
        deadline: Duration,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(!urls.is_empty(), "no {service} service URL given");
        anyhow::ensure!(
            !deadline.is_zero(),
            "the {service} call deadline must be > 0"
        );
        tokio::runtime::Handle::try_current()
            .with_context(|| format!("a {service} client needs a Tokio runtime"))?;
        let instances = urls
            .iter()
            .map(|url| Instance::connect_lazy(service, url, deadline))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            service,
            instances,
            next: AtomicUsize::new(0),
            key,
            deadline,
        })
    }

    /// Sends one call, taking turns over the instances and moving on from one
    /// that cannot be reached, all within the deadline.
    pub async fn call<M, R, F, Fut>(&self, message: M, send: F) -> ApiResult<R>
    where
        M: Clone,
        F: Fn(Channel, Request<M>) -> Fut,
        Fut: Future<Output = Result<Response<R>, Status>>,
    {
        let service = self.service;
        let deadline = Instant::now() + self.deadline;
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let mut failure = None;
        for turn in 0..self.instances.len() {
            let instance = &self.instances[(first + turn) % self.instances.len()];
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break;
            }
            let request = self.request(message.clone(), remaining)?;
            match tokio::time::timeout_at(deadline, send(instance.channel.clone(), request)).await {
                Ok(Ok(reply)) => return Ok(reply.into_inner()),
                Ok(Err(status)) if is_transport_failure(&status) => {
                    if Instant::now() >= deadline {
                        break; // tonic's own timer for the same deadline
                    }
                    tracing::warn!(url = %instance.url, error = %status, "{service} instance unreachable");
                    failure = Some(status);
                }
                Ok(Err(status)) => return Err(from_status(service, &status)),
                Err(_elapsed) => break,
            }
        }
        Err(match failure {
            Some(status) if Instant::now() < deadline => from_status(service, &status),
            _ => {
                tracing::warn!(deadline = ?self.deadline, "{service} service did not answer in time");
                ApiError::unavailable(format!("the {service} service did not answer in time"))
            }
        })
    }

    /// A request signed as a service caller, telling the server its deadline
    /// and the trace it is part of.
    fn request<M>(&self, message: M, timeout: Duration) -> ApiResult<Request<M>> {
        let identity =
            MetadataValue::try_from(self.key.sign(SERVICE_CALLER)).map_err(ApiError::internal)?;
        let mut request = Request::new(message);
        request.metadata_mut().insert(IDENTITY_HEADER, identity);
        if let Some(traceparent) =
            current_traceparent().and_then(|traceparent| MetadataValue::try_from(traceparent).ok())
        {
            request.metadata_mut().insert(TRACEPARENT, traceparent);
        }
        request.set_timeout(timeout);
        Ok(request)
    }
}

impl Instance {
    fn connect_lazy(service: &str, url: &str, deadline: Duration) -> anyhow::Result<Self> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .with_context(|| format!("{service} service URL {url:?} is not a URI"))?;
        anyhow::ensure!(
            endpoint.uri().scheme_str() == Some("http") && endpoint.uri().host().is_some(),
            "{service} service URL {url:?} must be http://host:port"
        );
        let channel = endpoint
            .connect_timeout(deadline)
            .tcp_nodelay(true)
            .connect_lazy();
        Ok(Self {
            url: url.to_owned(),
            channel,
        })
    }
}
