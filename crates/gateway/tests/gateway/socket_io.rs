//! Socket.IO behind the gateway: real socketioxide servers as upstream
//! instances, driven with engine.io's own protocol (long-polling, then the
//! WebSocket upgrade) over plain HTTP and WebSocket clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use chorus_ports::Cache;
use chorus_ports::cache::MemoryCache;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use crate::remote::{Gateway, Instance, Remote, http, within};

/// engine.io's separator between packets of one polling payload.
const SEPARATOR: char = '\u{1e}';

const EXTRA_PATHS: &[&str] = &["/socket.io", "/socket.io/"];
const PATHS: &[&str] = &["/api/v1/slow"];

/// A Socket.IO server named `name`: on connect it emits `hello` with its
/// name; `where` is acknowledged with its name.
async fn socket_io_instance(name: &'static str, ping_interval: Duration) -> Instance {
    let (layer, io) = SocketIo::builder()
        .ping_interval(ping_interval)
        .ping_timeout(Duration::from_secs(20))
        .build_layer();
    io.ns("/", move |socket: SocketRef| async move {
        let _ = socket.emit("hello", name);
        socket.on("where", move |ack: AckSender| async move {
            let _ = ack.send(name);
        });
    });
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/api/v1/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                "late"
            }),
        )
        .layer(layer);
    Instance::serve(app).await
}

async fn gateway(instances: &[&Instance]) -> Gateway {
    Gateway::start(
        Remote {
            instances,
            paths: PATHS,
            extra_paths: EXTRA_PATHS,
        },
        |_| {},
    )
    .await
}

/// One engine.io session over long-polling, through `base` (a gateway).
struct Session {
    base: String,
    sid: String,
    http: reqwest::Client,
    acks: u32,
}

impl Session {
    /// The handshake: `0{"sid": …}`.
    async fn open(gateway: &Gateway) -> Self {
        let http = http();
        let (status, body) =
            fetch(&http, &gateway.url("/socket.io/?EIO=4&transport=polling")).await;
        assert_eq!(status, 200, "{body}");
        let open: Value = serde_json::from_str(
            body.strip_prefix('0')
                .unwrap_or_else(|| panic!("an open packet: {body}")),
        )
        .expect("JSON");
        Self {
            base: format!("http://{}", gateway.addr),
            sid: open["sid"].as_str().expect("sid").to_string(),
            http,
            acks: 0,
        }
    }

    fn url(&self) -> String {
        format!(
            "{}/socket.io/?EIO=4&transport=polling&sid={}",
            self.base, self.sid
        )
    }

    /// Through another gateway from now on.
    fn via(&mut self, gateway: &Gateway) {
        self.base = format!("http://{}", gateway.addr);
    }

    async fn send(&self, packet: &str) -> (u16, String) {
        let response = self
            .http
            .post(self.url())
            .body(packet.to_string())
            .send()
            .await
            .expect("answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("text"))
    }

    /// One poll: the packets waiting, or those that come before the ping.
    async fn poll(&self) -> (u16, Vec<String>) {
        let (status, body) = fetch(&self.http, &self.url()).await;
        let packets = body.split(SEPARATOR).map(str::to_string).collect();
        (status, packets)
    }

    /// Connects to the main namespace: the instance's name (which `hello`
    /// gave) and whether a ping came along.
    async fn connect(&self) -> Connected {
        assert_eq!(self.send("40").await, (200, "ok".to_string()));
        let mut name = None;
        let mut pinged = false;
        while name.is_none() {
            let (status, packets) = self.poll().await;
            assert_eq!(status, 200, "{packets:?}");
            for packet in packets {
                if let Some(args) = packet.strip_prefix("42") {
                    let args: Value = serde_json::from_str(args).expect("JSON");
                    assert_eq!(args[0], "hello");
                    name = args[1].as_str().map(str::to_string);
                }
                pinged |= packet == "2";
            }
        }
        Connected {
            name: name.expect("hello"),
            pinged,
        }
    }

    /// Asks `where` and answers the acknowledged name.
    async fn ask_where(&mut self) -> String {
        self.acks += 1;
        let id = self.acks;
        let (status, body) = self.send(&format!("42{id}[\"where\"]")).await;
        assert_eq!(status, 200, "{body}");
        let expected = format!("43{id}");
        loop {
            let (status, packets) = self.poll().await;
            assert_eq!(status, 200, "{packets:?}");
            for packet in packets {
                if let Some(args) = packet.strip_prefix(&expected) {
                    let args: Value = serde_json::from_str(args).expect("JSON");
                    return args[0].as_str().expect("a name").to_string();
                }
            }
        }
    }
}

struct Connected {
    name: String,
    pinged: bool,
}

async fn fetch(http: &reqwest::Client, url: &str) -> (u16, String) {
    let response = http.get(url).send().await.expect("answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("text"))
}

#[tokio::test]
async fn polling_sessions_stick_to_the_instance_that_opened_them() {
    let (a, b) = (
        socket_io_instance("a", Duration::from_secs(25)).await,
        socket_io_instance("b", Duration::from_secs(25)).await,
    );
    let gateway = gateway(&[&a, &b]).await;
    let mut homes = Vec::new();
    for _ in 0..4 {
        let mut session = within(Session::open(&gateway)).await;
        let home = within(session.connect()).await.name;
        for _ in 0..3 {
            assert_eq!(within(session.ask_where()).await, home);
        }
        homes.push(home);
    }
    homes.sort();
    homes.dedup();
    assert_eq!(homes, ["a", "b"], "new sessions still spread");
}

#[tokio::test]
async fn an_unknown_session_or_one_whose_instance_is_gone_gets_400() {
    let (a, b) = (
        socket_io_instance("a", Duration::from_secs(25)).await,
        socket_io_instance("b", Duration::from_secs(25)).await,
    );
    let gateway = gateway(&[&a, &b]).await;
    let (status, body) = fetch(
        &http(),
        &gateway.url("/socket.io/?EIO=4&transport=polling&sid=nobodyknowsme"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["error"]["code"], "session_unknown", "{body}");

    let session = within(Session::open(&gateway)).await;
    let home = within(session.connect()).await.name;
    let (gone, _stays) = if home == "a" { (a, b) } else { (b, a) };
    gone.stop().await;
    let (status, _) = within(session.poll()).await;
    assert_eq!(status, 400, "the session died with its instance");

    // The client's next move, a new session, works on the instance left.
    let session = within(Session::open(&gateway)).await;
    let other = within(session.connect()).await.name;
    assert_ne!(other, home);
}

#[tokio::test]
async fn a_long_poll_outlasts_the_usual_time_to_an_answer() {
    let a = socket_io_instance("a", Duration::from_millis(1_500)).await;
    let gateway = Gateway::start(
        Remote {
            instances: &[&a],
            paths: PATHS,
            extra_paths: EXTRA_PATHS,
        },
        |config| {
            config.request_timeout_ms = 400;
            config.upstream_timeout_ms = 400;
        },
    )
    .await;
    // The usual timeouts are in force...
    let (status, _) = fetch(&http(), &gateway.url("/api/v1/slow")).await;
    assert_eq!(status, 504);

    // ...but a poll is held until the instance pings, and that is fine.
    // (socketioxide pings once at once, then an interval after each pong.)
    let session = within(Session::open(&gateway)).await;
    assert!(within(session.connect()).await.pinged, "the first ping");
    assert_eq!(within(session.send("3")).await.0, 200);
    let started = Instant::now();
    let (status, packets) = within(session.poll()).await;
    assert_eq!(status, 200, "{packets:?}");
    assert!(packets.contains(&"2".to_string()), "a ping: {packets:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "held past the usual timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_polling_session_upgrades_to_websocket_on_its_instance() {
    let (a, b) = (
        socket_io_instance("a", Duration::from_secs(25)).await,
        socket_io_instance("b", Duration::from_secs(25)).await,
    );
    let gateway = gateway(&[&a, &b]).await;
    let mut homes = Vec::new();
    for _ in 0..2 {
        let session = within(Session::open(&gateway)).await;
        let home = within(session.connect()).await.name;
        let url = gateway.ws_url(&format!(
            "/socket.io/?EIO=4&transport=websocket&sid={}",
            session.sid
        ));
        let (mut socket, _) = within(connect_async(url)).await.expect("upgrades");
        within(socket.send(Message::text("2probe")))
            .await
            .expect("sent");
        let probe = within(socket.next()).await.expect("a frame").expect("ok");
        assert_eq!(probe, Message::text("3probe"));
        within(socket.send(Message::text("5"))).await.expect("sent");
        within(socket.send(Message::text("421[\"where\"]")))
            .await
            .expect("sent");
        let answer = within(async {
            loop {
                let frame = socket.next().await.expect("a frame").expect("ok");
                if let Message::Text(text) = frame
                    && let Some(args) = text.as_str().strip_prefix("431")
                {
                    return serde_json::from_str::<Value>(args).expect("JSON");
                }
            }
        })
        .await;
        assert_eq!(
            answer[0],
            home.as_str(),
            "over WebSocket, on the same instance"
        );
        homes.push(home);
    }
    homes.sort();
    assert_eq!(homes, ["a", "b"]);
}

#[tokio::test]
async fn a_session_opened_through_one_gateway_is_found_by_another() {
    let (a, b) = (
        socket_io_instance("a", Duration::from_secs(25)).await,
        socket_io_instance("b", Duration::from_secs(25)).await,
    );
    let shared: Arc<dyn Cache> = Arc::new(MemoryCache::new("shared"));
    let instances = [&a, &b];
    let remote = || Remote {
        instances: &instances,
        paths: PATHS,
        extra_paths: EXTRA_PATHS,
    };
    let first = Gateway::start_sharing(remote(), |_| {}, Arc::clone(&shared)).await;
    let second = Gateway::start_sharing(remote(), |_| {}, shared).await;
    for _ in 0..2 {
        let mut session = within(Session::open(&first)).await;
        session.via(&second);
        let home = within(session.connect()).await.name;
        for _ in 0..2 {
            assert_eq!(within(session.ask_where()).await, home);
        }
    }
}
