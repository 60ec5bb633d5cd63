//! Span export over OTLP/HTTP (protobuf), when `log.otlp_endpoint` is set.
//!
//! The global subscriber is built by [`crate::init_logs`] before the
//! configuration says where to export, so it holds an empty slot for the
//! OpenTelemetry layer, filled at most once by [`install`]. While empty, the
//! slot's per-layer filter turns every callsite down ("never"): no span or
//! event pays for it beyond that filter's check. Once filled, it takes INFO
//! spans and events and the callsite cache is rebuilt.
//!
//! Spans go out in batches from the SDK's own thread; the HTTP request is
//! sent by hyper-util's client on the Tokio runtime [`install`] ran in, so
//! no second HTTP stack is built in. Plain `http://` only: point it at a
//! collector or an agent beside the process.

use std::any::TypeId;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata};
use tracing_subscriber::Registry;
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::{Context, Filter, Layer};

type DynLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// The OpenTelemetry layer, once installed.
static SLOT: OnceLock<DynLayer> = OnceLock::new();

/// Whether spans are exported (and so are real OpenTelemetry spans).
pub fn is_installed() -> bool {
    SLOT.get().is_some()
}

/// The slot, with its filter: the first layer of the global subscriber.
pub(crate) fn slot_layer() -> Filtered<Slot, SlotFilter, Registry> {
    Slot.with_filter(SlotFilter)
}

/// Exports this process's spans to `endpoint` as `service_name`, until
/// [`Exporter::shutdown`]. Must run inside a Tokio runtime, after
/// [`crate::init_logs`]; a second call fails.
pub fn install(endpoint: &str, service_name: &str) -> anyhow::Result<Exporter> {
    let runtime =
        tokio::runtime::Handle::try_current().context("the OTLP exporter needs a Tokio runtime")?;
    let url = traces_url(endpoint)?;
    let client = SpawnedClient {
        client: Client::builder(TokioExecutor::new()).build_http(),
        runtime,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .with_context(|| format!("setting log.otlp_endpoint = {endpoint:?}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build();
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("chorus"))
        .with_tracked_inactivity(false)
        .with_threads(false);
    SLOT.set(Box::new(layer))
        .map_err(|_| anyhow::anyhow!("the OTLP exporter is already installed"))?;
    // Callsites judged while the slot was empty said "never": judge again.
    tracing::callsite::rebuild_interest_cache();
    Ok(Exporter { provider })
}

const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// `http://host:4318` → `http://host:4318/v1/traces`; a URL with a path is
/// taken as the full traces URL.
fn traces_url(endpoint: &str) -> anyhow::Result<String> {
    let uri: http::Uri = endpoint
        .parse()
        .with_context(|| format!("setting log.otlp_endpoint = {endpoint:?} is not a URL"))?;
    anyhow::ensure!(
        uri.scheme_str() == Some("http") && uri.host().is_some(),
        "setting log.otlp_endpoint = {endpoint:?} must be http://host:port (OTLP/HTTP)"
    );
    Ok(match uri.path() {
        "" | "/" => format!("{}/v1/traces", endpoint.trim_end_matches('/')),
        _ => endpoint.to_owned(),
    })
}

/// The installed exporter: flush it on the way out.
pub struct Exporter {
    provider: SdkTracerProvider,
}

impl Exporter {
    /// Sends the spans still buffered, then stops exporting.
    pub async fn shutdown(self) {
        // Blocks until the export thread is done, and that export runs on
        // this runtime: keep it off the runtime's workers.
        let provider = self.provider;
        let result = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(error)) = result {
            tracing::warn!(%error, "flushing spans to the OTLP endpoint failed");
        }
    }
}

/// hyper-util's client, run on the Tokio runtime although the SDK calls it
/// from its own (non-Tokio) export thread.
struct SpawnedClient {
    client: Client<HttpConnector, Full<Bytes>>,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for SpawnedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpawnedClient")
    }
}

/// A collector's answer is small; more is not read.
const MAX_RESPONSE: usize = 1 << 20;

#[async_trait::async_trait]
impl HttpClient for SpawnedClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let task = self.runtime.spawn(async move {
            let send = client.request(request.map(Full::new));
            let response = tokio::time::timeout(EXPORT_TIMEOUT, send).await??;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE).collect().await?.to_bytes();
            Ok::<_, HttpError>(Response::from_parts(parts, body))
        });
        task.await?
    }
}

/// Forwards to the installed layer, if any.
pub(crate) struct Slot;

impl Layer<Registry> for Slot {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        if let Some(layer) = SLOT.get() {
            layer.on_new_span(attrs, id, ctx);
        }
    }

    fn on_record(&self, span: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        if let Some(layer) = SLOT.get() {
            layer.on_record(span, values, ctx);
        }
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: Context<'_, Registry>) {
        if let Some(layer) = SLOT.get() {
            layer.on_follows_from(span, follows, ctx);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        if let Some(layer) = SLOT.get() {
            layer.on_event(event, ctx);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, Registry>) {
        if let Some(layer) = SLOT.get() {
            layer.on_enter(id, ctx);
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        if let Some(layer) = SLOT.get() {
            layer.on_exit(id, ctx);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        if let Some(layer) = SLOT.get() {
            layer.on_close(id, ctx);
        }
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, Registry>) {
        if let Some(layer) = SLOT.get() {
            layer.on_id_change(old, new, ctx);
        }
    }

    // `OpenTelemetrySpanExt` finds the OpenTelemetry layer by downcasting.
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        // SAFETY: forwarded as is to the layer that answers for itself.
        SLOT.get()
            .and_then(|layer| unsafe { layer.downcast_raw(id) })
    }
}

/// Nothing while the slot is empty; INFO and above once it is filled.
pub(crate) struct SlotFilter;

const EXPORTED: Level = Level::INFO;

impl Filter<Registry> for SlotFilter {
    fn enabled(&self, metadata: &Metadata<'_>, _: &Context<'_, Registry>) -> bool {
        is_installed() && *metadata.level() <= EXPORTED
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_installed() && *metadata.level() <= EXPORTED {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(if is_installed() {
            LevelFilter::from_level(EXPORTED)
        } else {
            LevelFilter::OFF
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_gets_the_traces_path() {
        let url = |e: &str| traces_url(e).expect("valid");
        assert_eq!(url("http://c:4318"), "http://c:4318/v1/traces");
        assert_eq!(url("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(
            url("http://c:4318/otlp/v1/traces"),
            "http://c:4318/otlp/v1/traces"
        );
        assert!(
            traces_url("https://c:4318").is_err(),
            "no TLS client built in"
        );
        assert!(traces_url("c:4318").is_err());
    }
}
