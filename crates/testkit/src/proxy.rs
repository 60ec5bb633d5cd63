//! A TCP proxy a test can stop and resume, to take a server "down" and bring
//! it back without touching the real server (which other tests share).
//!
//! ```no_run
//! # async fn demo(target: std::net::SocketAddr) {
//! let proxy = chorus_testkit::TcpProxy::start(target);
//! // connect the client under test to proxy.addr() ...
//! proxy.stop().await; // refuses new connections and cuts the live ones
//! proxy.resume().await; // accepts again, on the same port
//! # }
//! ```

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// How long `resume` keeps trying to bind the port again.
const REBIND_WAIT: Duration = Duration::from_secs(5);

pub struct TcpProxy {
    target: SocketAddr,
    addr: SocketAddr,
    running: Mutex<Option<Running>>,
}

/// The accept loop of a proxy that is up.
struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl TcpProxy {
    /// Starts proxying to `target` on a free port of 127.0.0.1. Call it inside
    /// a tokio runtime; panics if no port can be bound (a test setup failure).
    pub fn start(target: SocketAddr) -> TcpProxy {
        let listener = listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("binding the test proxy to a free port of 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("reading the test proxy's address");
        TcpProxy {
            target,
            addr,
            running: Mutex::new(Some(Running::spawn(listener, target))),
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listener and cuts every live connection; returns once they are closed.
    pub async fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(running) = running {
            running.stop.cancel();
            let _ = running.task.await;
        }
    }

    /// Accepts connections again on the same port. Panics if the port cannot
    /// be bound again within a few seconds.
    pub async fn resume(&self) {
        if self.is_running() {
            return;
        }
        let deadline = tokio::time::Instant::now() + REBIND_WAIT;
        let listener = loop {
            match listen(self.addr) {
                Ok(listener) => break listener,
                // The port may linger for a moment after `stop`: try again.
                Err(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("rebinding the test proxy to {}: {error}", self.addr),
            }
        };
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.is_none() {
            *running = Some(Running::spawn(listener, self.target));
        }
    }

    /// Does it accept connections now?
    pub fn is_running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

impl Drop for TcpProxy {
    /// Ends the accept loop and, with it, every connection: no task outlives the proxy.
    fn drop(&mut self) {
        let running = self
            .running
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(running) = running {
            running.stop.cancel();
            running.task.abort();
        }
    }
}

impl Running {
    fn spawn(listener: TcpListener, target: SocketAddr) -> Running {
        let stop = CancellationToken::new();
        let task = tokio::spawn(accept(listener, target, stop.clone()));
        Running { stop, task }
    }
}

/// A listener on `addr` that may take the port back right after `stop`.
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

/// Accepts until stopped; the connections live in a `JoinSet` so that stopping
/// (or aborting) this task ends them too.
async fn accept(listener: TcpListener, target: SocketAddr, stop: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    connections.spawn(pipe(client, target, stop.clone()));
                }
                // Out of file descriptors and the like: let it pass, then go on.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    // Each connection sees `stop` and closes both of its sockets.
    while connections.join_next().await.is_some() {}
}

/// Copies bytes both ways until either side closes or the proxy stops.
async fn pipe(mut client: TcpStream, target: SocketAddr, stop: CancellationToken) {
    let mut server = tokio::select! {
        _ = stop.cancelled() => return,
        server = TcpStream::connect(target) => match server {
            Ok(server) => server,
            Err(_) => return,
        },
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    tokio::select! {
        _ = stop.cancelled() => {}
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An echo server standing in for a real one.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind echo server");
        let addr = listener.local_addr().expect("echo server address");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = socket.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    async fn round_trip(stream: &mut TcpStream) -> io::Result<()> {
        stream.write_all(b"ping").await?;
        let mut answer = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut answer))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no echo"))??;
        assert_eq!(&answer, b"ping");
        Ok(())
    }

    #[tokio::test]
    async fn the_proxy_forwards_until_stopped_and_again_after_resuming() {
        let proxy = TcpProxy::start(echo_server().await);
        let mut live = TcpStream::connect(proxy.addr())
            .await
            .expect("connect through the proxy");
        round_trip(&mut live).await.expect("echo through the proxy");

        proxy.stop().await;
        assert!(!proxy.is_running());
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), live.read(&mut buf))
            .await
            .expect("the cut connection answers at once");
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "the live connection was cut"
        );
        assert!(
            TcpStream::connect(proxy.addr()).await.is_err(),
            "new connections are refused"
        );

        proxy.resume().await;
        let mut again = TcpStream::connect(proxy.addr())
            .await
            .expect("connect after resume");
        round_trip(&mut again).await.expect("echo after resume");
    }

    #[tokio::test]
    async fn stopping_twice_and_resuming_twice_is_harmless() {
        let proxy = TcpProxy::start(echo_server().await);
        proxy.stop().await;
        proxy.stop().await;
        proxy.resume().await;
        proxy.resume().await;
        let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
        round_trip(&mut stream).await.expect("echo");
    }
}
