//! The running server: accepts connections itself (hyper-util), so a `drop` fault can close a
//! connection without a response, and wraps the axum router with request ids, fault injection
//! and stats.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::MockConfig;
use crate::fault_answer::{self, Outcome};
use crate::faults::Action;
use crate::routes::{self, call, route_id};
use crate::state::{lock, Shared};

/// How long a stopping server waits for in-flight requests before cutting them off.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A running mock. Stops on [`MockServer::shutdown`] or when dropped.
///
/// Use it from your own crate's tests as a dev-dependency; it needs a Tokio runtime (e.g.
/// `#[tokio::test]`):
///
/// ```toml
/// [dev-dependencies]
/// sepay-einvoice-mock = "0.1"
/// tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
/// ```
///
/// Point the client at [`MockServer::url`] with the configured credentials (by default
/// `mock_client_id` / `mock_client_secret`) and use one of the seeded provider accounts, e.g.
/// [`ACCOUNT_MATBAO`](crate::ACCOUNT_MATBAO). Change the mock at run time, inject faults and read
/// its stats through its control API under `/_mock/` (see the crate README):
///
/// ```
/// use std::time::Duration;
///
/// use sepay_einvoice_mock::{MockConfig, MockServer, ACCOUNT_MATBAO};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// // Jobs complete at once; everything else keeps the defaults.
/// let config = MockConfig {
///     pending_polls: 0,
///     pending_time: Duration::ZERO,
///     ..MockConfig::default()
/// };
/// let (client_id, client_secret) = (config.client_id.clone(), config.client_secret.clone());
/// let mock = MockServer::start(config).await?; // 127.0.0.1, a free port
/// let base_url = mock.url(); // "http://127.0.0.1:PORT", no trailing slash
///
/// // In a real test: build your client with `base_url`, `client_id` and `client_secret`, send
/// // invoices for `ACCOUNT_MATBAO`, then check what the mock saw. Here, the stats over plain
/// // HTTP/1.1:
/// let mut conn = tokio::net::TcpStream::connect(mock.addr()).await?;
/// conn.write_all(b"GET /_mock/stats HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n")
///     .await?;
/// let mut answer = String::new();
/// conn.read_to_string(&mut answer).await?;
/// assert!(answer.starts_with("HTTP/1.1 200"));
/// assert!(answer.contains("\"tokens_issued\":0"));
/// # let _ = (base_url, client_id, client_secret, ACCOUNT_MATBAO);
///
/// mock.shutdown().await; // or let it drop at the end of the test
/// # Ok(()) }
/// ```
pub struct MockServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl MockServer {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start(config: MockConfig) -> std::io::Result<MockServer> {
        Self::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Starts on `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr, config: MockConfig) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared::new(config, local, stop_rx.clone()));
        let app = routes::router(shared.clone());
        let task = tokio::spawn(accept_loop(listener, shared, app, stop_rx));
        Ok(MockServer {
            addr: local,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets in-flight requests finish (up to a few seconds), then returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    app: Router,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, shared.clone(), app.clone(), stop.clone()));
                }
                // Usually out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    // Dropping the set aborts whatever is still running.
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    app: Router,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let svc = service_fn(move |req| handle(shared.clone(), app.clone(), req));
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Returned by the service to make hyper close the connection without writing a response.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by a mock fault rule")
    }
}

impl std::error::Error for DropConnection {}

/// One request: request id, faults and stats around the router.
async fn handle(
    shared: Arc<Shared>,
    app: Router,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let request_id = shared.next_request_id();
    let path = req.uri().path();
    // The control API is neither counted nor subject to faults.
    if path == "/_mock" || path.starts_with("/_mock/") {
        let resp = call(app, req).await;
        return Ok(with_request_id(resp, request_id));
    }
    let route = route_id(path);
    let decision = {
        let mut faults = lock(&shared.faults);
        if faults.is_empty() {
            None
        } else {
            Some(faults.decide(route))
        }
    };
    let Some(decision) = decision else {
        let resp = call(app, req).await;
        lock(&shared.stats).record(route, resp.status().as_u16());
        return Ok(with_request_id(resp, request_id));
    };
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let outcome = match decision.action {
        // Nothing to bend and nothing to wait for afterwards: serve in place, as without rules.
        Action::Pass if decision.after.is_zero() => {
            let resp = call(app, req).await;
            lock(&shared.stats).record(route, resp.status().as_u16());
            Outcome::Answer(resp)
        }
        action => fault_answer::serve(shared, app, req, route, action).await,
    };
    if !decision.after.is_zero() {
        tokio::time::sleep(decision.after).await;
    }
    match outcome {
        Outcome::Answer(resp) => Ok(with_request_id(resp, request_id)),
        Outcome::Close => Err(DropConnection),
    }
}

fn with_request_id(mut resp: Response<Body>, id: String) -> Response<Body> {
    if let Ok(v) = HeaderValue::try_from(id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}
