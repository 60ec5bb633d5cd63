//! HTTP/1.1 upgrades (WebSocket) through the proxy.
//!
//! `Upgrade` and `Connection` are hop-by-hop, so the proxy strips them like
//! the others and, when the client asked to upgrade, puts them back for the
//! instance. On the instance's `101`, the client gets the `101` too, and a
//! task splices the two upgraded connections byte for byte until either
//! side closes, holding the instance's lease all along so the balancer
//! counts the connection as busy.

use axum::body::Body;
use axum::response::Response;
use http::header::{CONNECTION, UPGRADE};
use http::{HeaderMap, HeaderValue, StatusCode};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

use super::balancer::Lease;
use super::client::strip_hop_by_hop;

/// The protocol the client asks to switch to: an `Upgrade` header, with
/// `upgrade` among the `Connection` tokens.
pub(crate) fn requested(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| headers.get(UPGRADE).cloned()).flatten()
}

/// Puts the upgrade request back on headers stripped of hop-by-hop ones.
pub(crate) fn keep(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(UPGRADE, protocol);
}

/// Answers the client's upgrade with the instance's `101` and splices the
/// two connections once both have switched.
pub(crate) fn splice(
    client: OnUpgrade,
    mut response: http::Response<Incoming>,
    lease: Lease,
) -> Response {
    debug_assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let upstream = hyper::upgrade::on(&mut response);
    let (mut parts, _empty) = response.into_parts();
    let protocol = parts.headers.get(UPGRADE).cloned();
    strip_hop_by_hop(&mut parts.headers);
    if let Some(protocol) = protocol {
        keep(&mut parts.headers, protocol);
    }
    let service = lease.balancer().service().to_string();
    tokio::spawn(async move {
        let _lease = lease;
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(both) => both,
            Err(error) => {
                tracing::debug!(service, %error, "an upgrade did not complete");
                return;
            }
        };
        let (mut client, mut upstream) = (TokioIo::new(client), TokioIo::new(upstream));
        match tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            Ok((sent, received)) => {
                tracing::debug!(service, sent, received, "upgraded connection closed");
            }
            Err(error) => tracing::debug!(service, %error, "upgraded connection broke"),
        }
    });
    Response::from_parts(parts, Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_needs_both_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        assert_eq!(requested(&headers), None, "no Connection: upgrade");
        headers.insert(CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        assert_eq!(
            requested(&headers),
            Some(HeaderValue::from_static("websocket"))
        );
        headers.remove(UPGRADE);
        assert_eq!(requested(&headers), None, "no Upgrade");
    }

    #[test]
    fn the_upgrade_survives_the_hop_by_hop_strip() {
        let mut headers = HeaderMap::new();
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert("sec-websocket-key", HeaderValue::from_static("abc"));
        let protocol = requested(&headers).expect("asked");
        strip_hop_by_hop(&mut headers);
        keep(&mut headers, protocol);
        assert_eq!(headers[CONNECTION], "upgrade");
        assert_eq!(headers[UPGRADE], "websocket");
        assert_eq!(headers["sec-websocket-key"], "abc");
    }
}
