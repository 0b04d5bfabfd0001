//! `NativeMockServer`: the bundled mock (`sepay-einvoice-mock`) started in this process, for
//! `sepay-einvoice/testing`. Translation only: the options become a `MockConfig`, the server runs
//! on a thread of its own with its own single-threaded runtime (not the addon's, so nothing the
//! clients do can stall it), and `close()` shuts it down and joins that thread off the JavaScript
//! thread. The control API is plain HTTP (`/_mock/...`), spoken by the facade (`testing.cjs`).

use std::net::{IpAddr, SocketAddr};
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sepay_einvoice_mock::{FileNotReady, MockConfig, MockServer};
use tokio::sync::oneshot;

/// Settings of an in-process mock; unset ones take the mock's defaults.
#[napi(object)]
#[derive(Default)]
pub struct NativeMockOptions {
    /// Address to listen on (default `127.0.0.1`).
    pub host: Option<String>,
    /// Port (default 0: a free port).
    pub port: Option<u32>,
    /// The accepted `client_id` (default `mock_client_id`).
    pub client_id: Option<String>,
    /// The accepted `client_secret` (default `mock_client_secret`).
    pub client_secret: Option<String>,
    /// Token lifetime in seconds (default 86400).
    pub token_ttl_secs: Option<f64>,
    /// Check-endpoint polls a job answers `Pending` (default 1).
    pub pending_polls: Option<u32>,
    /// A job completes this many milliseconds after creation, polled or not (default 1000).
    pub pending_ms: Option<i64>,
    /// Issuances left (default 1000).
    pub quota: Option<i64>,
    /// Seed for fault probabilities and the seeded manual invoices (default 42).
    pub seed: Option<i64>,
    /// Seeded issued invoices with `source: "manual"` (default 3).
    pub manual_invoices: Option<u32>,
    /// Also put `"success": true` on the two lists and usage (default false).
    pub success_key_everywhere: Option<bool>,
    /// For this many milliseconds after issuance a download is not ready (default 0).
    pub file_ready_ms: Option<i64>,
    /// The not-ready answer: `'empty'` (default) or `'error'`.
    pub file_not_ready: Option<String>,
}

struct Running {
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

/// A running in-process mock server. Use `startMockServer()` from `sepay-einvoice/testing`.
#[napi]
pub struct NativeMockServer {
    url: String,
    client_id: String,
    client_secret: String,
    running: Mutex<Option<Running>>,
}

fn invalid(message: String) -> napi::Error {
    napi::Error::new(Status::InvalidArg, message)
}

fn non_negative(name: &str, v: Option<i64>) -> napi::Result<Option<u64>> {
    v.map(|n| u64::try_from(n).map_err(|_| invalid(format!("{name} must be >= 0, got {n}"))))
        .transpose()
}

fn config(o: NativeMockOptions) -> napi::Result<(SocketAddr, MockConfig)> {
    let host = o.host.as_deref().unwrap_or("127.0.0.1");
    let ip: IpAddr = host
        .parse()
        .map_err(|_| invalid(format!("host must be an IP address, got {host:?}")))?;
    let port = u16::try_from(o.port.unwrap_or(0))
        .map_err(|_| invalid(format!("port must be at most 65535, got {:?}", o.port)))?;
    let d = MockConfig::default();
    let token_ttl = match o.token_ttl_secs {
        Some(s) => Duration::try_from_secs_f64(s)
            .map_err(|_| invalid(format!("tokenTtlSecs must be >= 0, got {s}")))?,
        None => d.token_ttl,
    };
    let file_not_ready = match o.file_not_ready.as_deref() {
        Some(s) => s
            .parse::<FileNotReady>()
            .map_err(|e| invalid(format!("fileNotReady: {e}")))?,
        None => d.file_not_ready,
    };
    let config = MockConfig {
        client_id: o.client_id.unwrap_or(d.client_id),
        client_secret: o.client_secret.unwrap_or(d.client_secret),
        token_ttl,
        pending_polls: o.pending_polls.unwrap_or(d.pending_polls),
        pending_time: non_negative("pendingMs", o.pending_ms)?
            .map(Duration::from_millis)
            .unwrap_or(d.pending_time),
        quota: non_negative("quota", o.quota)?.unwrap_or(d.quota),
        seed: non_negative("seed", o.seed)?.unwrap_or(d.seed),
        manual_invoices: o
            .manual_invoices
            .map(|n| n as usize)
            .unwrap_or(d.manual_invoices),
        success_key_everywhere: o.success_key_everywhere.unwrap_or(d.success_key_everywhere),
        file_ready_ms: non_negative("fileReadyMs", o.file_ready_ms)?.unwrap_or(d.file_ready_ms),
        file_not_ready,
    };
    Ok((SocketAddr::new(ip, port), config))
}

/// Starts the mock on its own thread and waits until it listens (a bind: a few microseconds).
fn start(addr: SocketAddr, config: MockConfig) -> std::io::Result<(SocketAddr, Running)> {
    let (ready_tx, ready_rx) = mpsc::channel::<std::io::Result<SocketAddr>>();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("sepay-einvoice-mock".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match MockServer::bind(addr, config).await {
                    Ok(server) => {
                        let _ = ready_tx.send(Ok(server.addr()));
                        // Stop when asked, or when the handle is dropped without asking.
                        let _ = stop_rx.await;
                        server.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
    match ready_rx.recv() {
        Ok(Ok(local)) => Ok((local, Running { stop, thread })),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(std::io::Error::other("the mock server thread ended early"))
        }
    }
}

#[napi]
impl NativeMockServer {
    /// Starts the mock (see `NativeMockOptions`). Throws when it cannot listen.
    #[napi(constructor)]
    pub fn new(options: Option<NativeMockOptions>) -> napi::Result<Self> {
        let (addr, config) = config(options.unwrap_or_default())?;
        let (client_id, client_secret) = (config.client_id.clone(), config.client_secret.clone());
        let (local, running) = start(addr, config).map_err(|e| {
            napi::Error::from_reason(format!("could not start the mock server on {addr}: {e}"))
        })?;
        Ok(NativeMockServer {
            url: format!("http://{local}"),
            client_id,
            client_secret,
            running: Mutex::new(Some(running)),
        })
    }

    /// `http://HOST:PORT`, without a trailing slash.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The `client_id` the mock accepts.
    #[napi(getter)]
    pub fn client_id(&self) -> String {
        self.client_id.clone()
    }

    /// The `client_secret` the mock accepts.
    #[napi(getter)]
    pub fn client_secret(&self) -> String {
        self.client_secret.clone()
    }

    /// Whether the server is still running (`close()` not called yet).
    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Stops accepting, lets in-flight requests finish (a few seconds at most) and joins the
    /// server thread; resolves when it has stopped. Calling it again resolves at once.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ()>> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        env.spawn_future(async move {
            let Some(Running { stop, thread }) = running else {
                return Ok(());
            };
            let _ = stop.send(());
            match tokio::task::spawn_blocking(move || thread.join()).await {
                Ok(Ok(())) => Ok(()),
                _ => Err(napi::Error::from_reason("the mock server thread panicked")),
            }
        })
    }
}

/// The seeded provider accounts: `{ matbao, bkav, mifi }` ids.
#[napi(object)]
pub struct NativeMockAccounts {
    pub matbao: String,
    pub bkav: String,
    pub mifi: String,
}
