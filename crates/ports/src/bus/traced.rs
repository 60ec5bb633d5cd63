//! Both adapters hand events to a subscriber's handler through [`traced`]:
//! each handling runs in an `event` span whose parent is the envelope's
//! `traceparent`, so a consumer continues the trace of the request that
//! emitted the event (see `chorus_telemetry::trace_context`).

use std::sync::Arc;

use async_trait::async_trait;
use chorus_core::Envelope;
use chorus_telemetry::set_parent_from;
use tracing::Instrument;

use super::EventHandler;

/// `handler`, its handlings each in a span of `consumer`.
pub(crate) fn traced(consumer: &str, handler: Arc<dyn EventHandler>) -> Arc<dyn EventHandler> {
    Arc::new(Traced {
        consumer: consumer.to_owned(),
        inner: handler,
    })
}

struct Traced {
    consumer: String,
    inner: Arc<dyn EventHandler>,
}

#[async_trait]
impl EventHandler for Traced {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let span = tracing::info_span!(
            "event",
            otel.kind = "consumer",
            consumer = %self.consumer,
            event = %event.kind,
            id = %event.id,
        );
        set_parent_from(&span, event.traceparent.as_deref());
        self.inner.handle(event).instrument(span).await
    }

    /// One span for the batch, continuing the first traced event's trace.
    async fn handle_batch(&self, events: &[Envelope]) -> anyhow::Result<()> {
        let span = tracing::info_span!(
            "events",
            otel.kind = "consumer",
            consumer = %self.consumer,
            count = events.len(),
        );
        let first = events.iter().find_map(|event| event.traceparent.as_deref());
        set_parent_from(&span, first);
        self.inner.handle_batch(events).instrument(span).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chorus_core::Id;
    use chorus_telemetry::current_traceparent;

    use super::*;

    /// Records the trace context each handling sees.
    #[derive(Default)]
    struct Seen(Mutex<Vec<Option<String>>>);

    #[async_trait]
    impl EventHandler for Seen {
        async fn handle(&self, _: &Envelope) -> anyhow::Result<()> {
            self.0.lock().expect("lock").push(current_traceparent());
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_handling_continues_the_envelopes_trace() {
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
        let seen = Arc::new(Seen::default());
        let handler = traced("feed", seen.clone());
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let mut event = Envelope::new(Id(1), "post.created", None, serde_json::json!({}));
        handler.handle(&event).await.expect("handled");
        event.traceparent = Some(traceparent.into());
        handler.handle(&event).await.expect("handled");
        handler
            .handle_batch(std::slice::from_ref(&event))
            .await
            .expect("handled");
        let seen = seen.0.lock().expect("lock").clone();
        assert_eq!(
            seen,
            vec![None, Some(traceparent.into()), Some(traceparent.into())]
        );
    }
}
