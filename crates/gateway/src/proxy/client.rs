//! The HTTP/1 client to upstream instances (pooled keep-alive connections),
//! and what a proxy changes on the way: hop-by-hop headers, `x-forwarded-*`.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use http::header::{
    CONNECTION, HOST, HeaderName, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE, TRAILER,
    TRANSFER_ENCODING, UPGRADE,
};
use http::{Extensions, HeaderMap, HeaderValue};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::balancer::Lease;

pub(crate) type HttpClient = Client<HttpConnector, Body>;

const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1).
const HOP_BY_HOP: [HeaderName; 8] = [
    CONNECTION,
    KEEP_ALIVE,
    PROXY_AUTHENTICATE,
    PROXY_AUTHORIZATION,
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
];

/// One client for every upstream: connections are pooled per instance and
/// reused across requests. A short connect timeout finds a vanished instance
/// fast rather than waiting for the kernel to give up.
pub(crate) fn http_client(connect_timeout: Duration) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(connect_timeout));
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector)
}

/// Removes the hop-by-hop headers, including those the `Connection` header names.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(CONNECTION) {
        let named: Vec<HeaderName> = headers
            .get_all(CONNECTION)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Tells the service who asked and how: appends the peer to
/// `x-forwarded-for`, and keeps `x-forwarded-proto`/`-host` set by a proxy
/// in front of the gateway, else sets them. `Host` is left for the client
/// to set to the instance.
///
/// The peer address is known when the server was started with
/// `into_make_service_with_connect_info::<SocketAddr>()`.
pub(crate) fn add_forwarding(headers: &mut HeaderMap, extensions: &Extensions) {
    if let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>() {
        let ip = peer.ip();
        let chain = match headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
            Some(earlier) => format!("{earlier}, {ip}"),
            None => ip.to_string(),
        };
        if let Ok(value) = HeaderValue::try_from(chain) {
            headers.insert(X_FORWARDED_FOR, value);
        }
    }
    if !headers.contains_key(&X_FORWARDED_PROTO) {
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    }
    if let Some(host) = headers.remove(HOST)
        && !headers.contains_key(&X_FORWARDED_HOST)
    {
        headers.insert(X_FORWARDED_HOST, host);
    }
}

/// An upstream response body that keeps its instance counted as busy until
/// the body is done, so long streams weigh on the balancer as they should.
pub(crate) struct LeasedBody {
    pub(crate) inner: Incoming,
    pub(crate) _lease: Lease,
}

impl HttpBody for LeasedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_named_by_connection_go() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONNECTION,
            HeaderValue::from_static("keep-alive, x-secret-hop"),
        );
        headers.insert(KEEP_ALIVE, HeaderValue::from_static("timeout=5"));
        headers.insert("x-secret-hop", HeaderValue::from_static("1"));
        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        headers.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("x-kept"));
    }

    #[test]
    fn forwarding_headers_name_the_client_and_the_original_host() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("chorus.example"));
        headers.insert(X_FORWARDED_FOR, HeaderValue::from_static("203.0.113.9"));
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
            5555,
        )));
        add_forwarding(&mut headers, &extensions);
        assert_eq!(headers[X_FORWARDED_FOR], "203.0.113.9, 10.0.0.7");
        assert_eq!(headers[X_FORWARDED_PROTO], "http");
        assert_eq!(headers[X_FORWARDED_HOST], "chorus.example");
        assert!(!headers.contains_key(HOST));
    }
}
