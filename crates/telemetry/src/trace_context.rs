//! W3C trace context (`traceparent`) across HTTP, gRPC and events.
//!
//! The rule:
//! - **With an OTLP endpoint** ([`crate::otlp`] installed), spans are real
//!   OpenTelemetry spans: [`set_parent_from`] makes an incoming
//!   `traceparent` the parent of a span, and [`current_traceparent`] is the
//!   current span's own context, which the next hop (service, gRPC call,
//!   event) continues.
//! - **Without one**, nothing is created or exported, but an incoming
//!   `traceparent` is passed through unchanged: [`set_parent_from`] keeps it
//!   on the span (in the registry's span extensions), and
//!   [`current_traceparent`] finds it on the current span or an ancestor. An
//!   outer system's trace thus stays connected across Chorus's hops. This
//!   needs the carrying spans enabled (they are INFO spans: the default log
//!   filter keeps them).
//!
//! Invalid values (wrong length, upper-case hex, all-zero ids, version `ff`)
//! are ignored, as the W3C spec asks: the span starts a new trace.

use std::fmt;

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::LookupSpan;

/// The header (and gRPC metadata key) that carries the trace context.
pub const TRACEPARENT: &str = "traceparent";

/// A parsed `traceparent`: `00-{trace id}-{parent id}-{flags}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub flags: TraceFlags,
}

impl TraceParent {
    /// Parses a header value; `None` for anything the spec says to ignore.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let mut parts = value.split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let rest = parts.next();
        // Version 00 has exactly four fields; later versions may add more.
        if !is_hex(version, 2) || version == "ff" || (version == "00" && rest.is_some()) {
            return None;
        }
        if !is_hex(trace, 32) || !is_hex(span, 16) || !is_hex(flags, 2) {
            return None;
        }
        let trace_id = TraceId::from_hex(trace).ok()?;
        let span_id = SpanId::from_hex(span).ok()?;
        if trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(Self {
            trace_id,
            span_id,
            // Only the sampled bit is defined; others are not passed on.
            flags: TraceFlags::new(flags) & TraceFlags::SAMPLED,
        })
    }

    fn from_span_context(context: &SpanContext) -> Option<Self> {
        context.is_valid().then(|| Self {
            trace_id: context.trace_id(),
            span_id: context.span_id(),
            flags: context.trace_flags() & TraceFlags::SAMPLED,
        })
    }

    fn to_remote_context(self) -> opentelemetry::Context {
        let span = SpanContext::new(
            self.trace_id,
            self.span_id,
            self.flags,
            true,
            TraceState::NONE,
        );
        opentelemetry::Context::new().with_remote_span_context(span)
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id,
            self.span_id,
            self.flags.to_u8()
        )
    }
}

/// Lower-case hex of exactly `len` characters (upper case is invalid in W3C).
fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// An incoming `traceparent` kept on a span when nothing exports (pass-through).
#[derive(Clone, Copy)]
struct Incoming(TraceParent);

/// Makes `traceparent` (if valid) the parent of `span`; call it before the
/// span is first entered. Invalid or absent values leave `span` a new root.
pub fn set_parent_from(span: &Span, traceparent: Option<&str>) {
    let Some(parent) = traceparent.and_then(TraceParent::parse) else {
        return;
    };
    if crate::otlp::is_installed() {
        // Fails only for a disabled span or one already started: nothing to do then.
        let _ = span.set_parent(parent.to_remote_context());
    } else {
        with_registry_span(span, |data| {
            data.extensions_mut().insert(Incoming(parent));
        });
    }
}

/// The `traceparent` the next hop continues from `span`: its own context
/// when exporting, else one passed through from an ancestor.
pub fn traceparent_of(span: &Span) -> Option<String> {
    let parent = if crate::otlp::is_installed() {
        TraceParent::from_span_context(span.context().span().span_context())
    } else {
        with_registry_span(span, |data| {
            data.scope()
                .find_map(|ancestor| ancestor.extensions().get::<Incoming>().copied())
        })
        .flatten()
        .map(|incoming| incoming.0)
    };
    parent.map(|parent| parent.to_string())
}

/// [`traceparent_of`] the current span.
pub fn current_traceparent() -> Option<String> {
    traceparent_of(&Span::current())
}

fn with_registry_span<T>(
    span: &Span,
    f: impl FnOnce(tracing_subscriber::registry::SpanRef<'_, Registry>) -> T,
) -> Option<T> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        registry.span(id).map(f)
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_traceparent_round_trips() {
        let parsed = TraceParent::parse(VALID).expect("valid");
        assert_eq!(
            parsed.trace_id,
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("hex")
        );
        assert_eq!(
            parsed.span_id,
            SpanId::from_hex("00f067aa0ba902b7").expect("hex")
        );
        assert!(parsed.flags.is_sampled());
        assert_eq!(parsed.to_string(), VALID);
        let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        assert_eq!(
            TraceParent::parse(unsampled).expect("valid").to_string(),
            unsampled
        );
    }

    #[test]
    fn a_later_version_with_more_fields_is_read_as_version_00() {
        let future = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-extra";
        let parsed = TraceParent::parse(future).expect("readable");
        // Unknown flag bits are dropped; the output is version 00.
        assert_eq!(parsed.to_string(), VALID);
    }

    #[test]
    fn invalid_traceparents_are_ignored() {
        for value in [
            "",
            "garbage",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
            "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        ] {
            assert_eq!(TraceParent::parse(value), None, "{value:?}");
        }
    }

    #[test]
    fn without_export_an_incoming_traceparent_passes_through_to_children() {
        let subscriber = tracing_subscriber::registry();
        tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!("request");
            set_parent_from(&request, Some(VALID));
            let child = request.in_scope(|| tracing::info_span!("child"));
            assert_eq!(child.in_scope(current_traceparent).as_deref(), Some(VALID));
            assert_eq!(current_traceparent(), None, "outside the request span");

            let other = tracing::info_span!("other");
            set_parent_from(&other, Some("not-a-traceparent"));
            assert_eq!(traceparent_of(&other), None);
        });
    }
}
