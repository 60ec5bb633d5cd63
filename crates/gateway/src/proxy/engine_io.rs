//! Socket.IO's transport (engine.io) behind several instances.
//!
//! An engine.io session lives in the memory of the instance that opened it,
//! and every later request of it (polls, sends, the WebSocket upgrade)
//! carries `sid=` in its query. So the gateway learns which instance issued
//! each sid, from the handshake answer (`0{"sid":"…",…}`, the open packet of
//! the first polling GET), and sends the session's requests there. A sid it
//! does not know, or whose instance is down, gets a 400 like engine.io's own
//! "Session ID unknown", on which clients open a new session.
//!
//! Sids are remembered in this process (bounded, forgotten after a while
//! unused) and in the shared cache (Redis when distributed, with a TTL), so
//! that other gateway processes in front of the same instances find them
//! too; the handshake answer reaches the client only once both know it.
//!
//! A poll is held open by the instance until it has something to send or
//! its ping interval passes (25 s by default), so engine.io requests get
//! [`LONG_POLL_TIMEOUT`] for their response head instead of the usual one.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use chorus_core::ApiError;
use chorus_ports::Cache;
use futures::future::BoxFuture;
use http::{Method, StatusCode, Uri};
use hyper::body::{Frame, SizeHint};
use serde_json::json;

use super::balancer::Balancer;

/// The least time to a response head that an engine.io request gets.
pub(crate) const LONG_POLL_TIMEOUT: Duration = Duration::from_secs(60);

/// Sessions remembered in this process at most.
const LOCAL_CAPACITY: u64 = 100_000;
/// A session unused this long is forgotten here (engine.io drops one after
/// its ping interval and timeout, 45 s by default, without traffic).
const LOCAL_IDLE: Duration = Duration::from_secs(5 * 60);
/// How long the shared cache keeps a session's instance.
const SHARED_TTL: Duration = Duration::from_secs(6 * 60 * 60);
/// The longest a handshake answer waits for the shared cache to take its session.
const SHARE_WAIT: Duration = Duration::from_secs(1);
/// How much of a handshake answer is searched for the sid.
const HANDSHAKE_SCAN_BYTES: usize = 1024;
/// engine.io sids are short base64url-like strings.
const SID_MAX_LEN: usize = 64;

/// What a request is to engine.io.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EngineIo {
    /// Not an engine.io request.
    No,
    /// Opens a session over long-polling: its answer names the sid.
    Handshake,
    /// Opens a session over WebSocket straight away: pinned by its connection.
    Direct,
    /// Belongs to the session with this sid.
    Session(String),
}

impl EngineIo {
    /// Recognized by the `EIO` (protocol version) query parameter every
    /// engine.io client sends, whatever path the server is mounted on.
    pub(crate) fn of(method: &Method, uri: &Uri) -> Self {
        let Some(query) = uri.query() else {
            return Self::No;
        };
        if param(query, "EIO").is_none() {
            return Self::No;
        }
        if let Some(sid) = param(query, "sid") {
            return Self::Session(sid.to_string());
        }
        match param(query, "transport") {
            Some("websocket") => Self::Direct,
            _ if method == Method::GET => Self::Handshake,
            _ => Self::Direct,
        }
    }

    pub(crate) fn is_engine_io(&self) -> bool {
        *self != Self::No
    }
}

/// Does this request belong to engine.io (for the longer time to a head)?
pub(crate) fn is_engine_io(uri: &Uri) -> bool {
    uri.query()
        .is_some_and(|query| param(query, "EIO").is_some())
}

/// The value of `name` in a query string (not percent-decoded: engine.io's
/// values never need it).
fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// The sid in the start of a handshake answer: engine.io v4's open packet
/// `0{"sid":"…"…}` or v3's `96:0{"sid":"…"…}`.
pub(crate) fn sid_in(handshake: &[u8]) -> Option<String> {
    const KEY: &[u8] = br#""sid":""#;
    let start = handshake
        .windows(KEY.len())
        .position(|window| window == KEY)?
        + KEY.len();
    let rest = &handshake[start..];
    let end = rest.iter().position(|&byte| byte == b'"')?;
    let sid = std::str::from_utf8(&rest[..end]).ok()?;
    let plausible = !sid.is_empty()
        && sid.len() <= SID_MAX_LEN
        && sid
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'));
    plausible.then(|| sid.to_string())
}

/// The 400 engine.io answers for a session it does not hold, in the contract's shape.
pub(crate) fn session_unknown() -> axum::response::Response {
    use axum::response::IntoResponse;
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "session_unknown",
        "Session ID unknown: open a new session",
    )
    .with_details(json!({ "engine_io_code": 1 }))
    .into_response()
}

/// Which instance of one service issued each sid.
#[derive(Clone)]
pub(crate) struct Sessions {
    local: moka::sync::Cache<String, usize>,
    shared: Arc<dyn Cache>,
    balancer: Arc<Balancer>,
}

impl Sessions {
    pub(crate) fn new(balancer: Arc<Balancer>, shared: Arc<dyn Cache>) -> Self {
        Self {
            local: moka::sync::Cache::builder()
                .max_capacity(LOCAL_CAPACITY)
                .time_to_idle(LOCAL_IDLE)
                .build(),
            shared,
            balancer,
        }
    }

    fn key(&self, sid: &str) -> String {
        format!("gateway:engine_io:{}:{sid}", self.balancer.service())
    }

    /// The index of the instance that issued `sid`, if known here or to the shared cache.
    pub(crate) async fn find(&self, sid: &str) -> Option<usize> {
        if let Some(index) = self.local.get(sid) {
            return Some(index);
        }
        let url = match self.shared.get(&self.key(sid)).await {
            Ok(url) => url?,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "cannot read an engine.io session from the cache");
                return None;
            }
        };
        let index = self.balancer.index_of(std::str::from_utf8(&url).ok()?)?;
        self.local.insert(sid.to_string(), index);
        Some(index)
    }

    /// Remembers that instance `index` issued `sid`: here at once, and in
    /// the shared cache when the future completes (bounded by [`SHARE_WAIT`]).
    fn remember(&self, sid: String, index: usize) -> BoxFuture<'static, ()> {
        self.local.insert(sid.clone(), index);
        let Some(instance) = self.balancer.instances().get(index) else {
            return Box::pin(async {});
        };
        let url = Bytes::copy_from_slice(instance.base.url().as_bytes());
        let key = self.key(&sid);
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            match tokio::time::timeout(SHARE_WAIT, shared.set(&key, url, SHARED_TTL)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(error = %format!("{error:#}"), "cannot share an engine.io session in the cache");
                }
                Err(_) => tracing::warn!("sharing an engine.io session in the cache timed out"),
            }
        })
    }
}

/// A handshake answer's body, passed on as it streams, whose first bytes
/// are searched for the sid. The frame naming it is held back until the
/// session is remembered, here and in the shared cache, so that the
/// session's next request finds it through any gateway.
pub(crate) struct HandshakeBody {
    inner: Body,
    seen: Vec<u8>,
    learn: Option<(Sessions, usize)>,
    /// The frame naming the sid, until the shared cache has the session.
    held: Option<(Frame<Bytes>, BoxFuture<'static, ()>)>,
}

impl HandshakeBody {
    pub(crate) fn new(inner: Body, sessions: Sessions, index: usize) -> Self {
        Self {
            inner,
            seen: Vec::new(),
            learn: Some((sessions, index)),
            held: None,
        }
    }

    /// Looks for the sid in `data`; the future that remembers it, once found.
    fn scan(&mut self, data: &Bytes) -> Option<BoxFuture<'static, ()>> {
        self.learn.as_ref()?;
        let room = HANDSHAKE_SCAN_BYTES.saturating_sub(self.seen.len());
        self.seen.extend_from_slice(&data[..data.len().min(room)]);
        let remembering = match sid_in(&self.seen) {
            Some(sid) => self
                .learn
                .take()
                .map(|(sessions, index)| sessions.remember(sid, index)),
            None if self.seen.len() >= HANDSHAKE_SCAN_BYTES => {
                self.learn = None;
                None
            }
            None => None,
        };
        if self.learn.is_none() {
            self.seen = Vec::new();
        }
        remembering
    }
}

impl HttpBody for HandshakeBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        loop {
            if let Some((_, remembering)) = &mut self.held {
                ready!(remembering.as_mut().poll(cx));
                let frame = self.held.take().map(|(frame, _)| frame);
                return Poll::Ready(frame.map(Ok));
            }
            let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                Some(Ok(frame)) => frame,
                other => return Poll::Ready(other),
            };
            let remembering = frame.data_ref().cloned().and_then(|data| self.scan(&data));
            match remembering {
                Some(remembering) => self.held = Some((frame, remembering)),
                None => return Poll::Ready(Some(Ok(frame))),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.held.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(method: Method, uri: &str) -> EngineIo {
        EngineIo::of(&method, &uri.parse().expect("uri"))
    }

    #[test]
    fn requests_are_told_apart_by_their_query() {
        assert_eq!(kind(Method::GET, "/api/v1/posts?x=1"), EngineIo::No);
        assert_eq!(kind(Method::GET, "/socket.io/"), EngineIo::No);
        assert_eq!(
            kind(Method::GET, "/socket.io/?EIO=4&transport=polling&t=abc"),
            EngineIo::Handshake
        );
        assert_eq!(
            kind(Method::GET, "/socket.io/?EIO=4&transport=websocket"),
            EngineIo::Direct
        );
        assert_eq!(
            kind(
                Method::POST,
                "/socket.io/?EIO=4&transport=polling&sid=a-B_9"
            ),
            EngineIo::Session("a-B_9".to_string())
        );
        assert_eq!(
            kind(Method::GET, "/socket.io/?transport=websocket&sid=x1&EIO=3"),
            EngineIo::Session("x1".to_string())
        );
        assert!(is_engine_io(&"/socket.io/?EIO=4".parse().expect("uri")));
        assert!(!is_engine_io(&"/socket.io/?EIOX=4".parse().expect("uri")));
    }

    #[test]
    fn the_sid_is_read_from_either_protocol_versions_open_packet() {
        let v4 =
            br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000}"#;
        assert_eq!(sid_in(v4).as_deref(), Some("lv_VI97HAXpY6yYWAAAC"));
        let v3 = br#"96:0{"sid":"Ab-9","upgrades":[],"pingInterval":25000}2:40"#;
        assert_eq!(sid_in(v3).as_deref(), Some("Ab-9"));
        assert_eq!(sid_in(br#"0{"sid":"unterminated"#), None);
        assert_eq!(sid_in(br#"0{"sid":"bad sid"}"#), None);
        assert_eq!(sid_in(br#"0{"sid":""}"#), None);
        assert_eq!(sid_in(b"4hello"), None);
    }
}
