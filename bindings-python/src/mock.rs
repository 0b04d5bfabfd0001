//! `NativeMockServer`: the bundled mock (`sepay-einvoice-mock`) started in this process, for
//! `sepay_einvoice.testing`. Translation only: the keyword arguments become a `MockConfig`, the
//! server runs on a thread of its own with its own single-threaded runtime (never the clients'
//! runtime, so a test that blocks or forks the client runtime cannot stall the mock), and
//! `stop()` shuts it down and joins that thread. The control API is plain HTTP (`/_mock/...`),
//! spoken by the Python layer.

use std::net::{IpAddr, SocketAddr};
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use sepay_einvoice_mock::{FileNotReady, MockConfig, MockServer};
use tokio::sync::oneshot;

struct Running {
    /// The process that started the server: a forked child has no server thread to stop.
    pid: u32,
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl Running {
    /// Stops the server and returns its thread to join, or `None` in a forked child (where the
    /// thread does not exist: the handle is forgotten, never joined or detached).
    fn stop(self) -> Option<JoinHandle<()>> {
        if self.pid != std::process::id() {
            std::mem::forget(self);
            return None;
        }
        let _ = self.stop.send(());
        Some(self.thread)
    }
}

/// A running in-process mock server. Stops on `stop()` or when garbage-collected.
#[pyclass(frozen, module = "sepay_einvoice._native")]
pub struct NativeMockServer {
    url: String,
    client_id: String,
    client_secret: String,
    running: Mutex<Option<Running>>,
}

/// Starts the mock on its own thread and waits (GIL released) until it listens.
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
        Ok(Ok(local)) => Ok((
            local,
            Running {
                pid: std::process::id(),
                stop,
                thread,
            },
        )),
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

fn secs(name: &str, v: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(v)
        .map_err(|_| PyValueError::new_err(format!("{name} must be a number of seconds >= 0")))
}

#[pymethods]
impl NativeMockServer {
    /// Starts the mock on `host:port` (port 0: a free port). Settings left `None` take the
    /// mock's defaults (`MockConfig::default()`).
    #[new]
    #[pyo3(signature = (
        host = "127.0.0.1",
        port = 0,
        client_id = None,
        client_secret = None,
        token_ttl = None,
        pending_polls = None,
        pending_ms = None,
        quota = None,
        seed = None,
        manual_invoices = None,
        success_key_everywhere = None,
        file_ready_ms = None,
        file_not_ready = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: &str,
        port: u16,
        client_id: Option<String>,
        client_secret: Option<String>,
        token_ttl: Option<f64>,
        pending_polls: Option<u32>,
        pending_ms: Option<u64>,
        quota: Option<u64>,
        seed: Option<u64>,
        manual_invoices: Option<usize>,
        success_key_everywhere: Option<bool>,
        file_ready_ms: Option<u64>,
        file_not_ready: Option<&str>,
    ) -> PyResult<Self> {
        let ip: IpAddr = host.parse().map_err(|_| {
            PyValueError::new_err(format!("host must be an IP address, got {host:?}"))
        })?;
        let d = MockConfig::default();
        let config = MockConfig {
            client_id: client_id.unwrap_or(d.client_id),
            client_secret: client_secret.unwrap_or(d.client_secret),
            token_ttl: token_ttl
                .map(|v| secs("token_ttl", v))
                .transpose()?
                .unwrap_or(d.token_ttl),
            pending_polls: pending_polls.unwrap_or(d.pending_polls),
            pending_time: pending_ms
                .map(Duration::from_millis)
                .unwrap_or(d.pending_time),
            quota: quota.unwrap_or(d.quota),
            seed: seed.unwrap_or(d.seed),
            manual_invoices: manual_invoices.unwrap_or(d.manual_invoices),
            success_key_everywhere: success_key_everywhere.unwrap_or(d.success_key_everywhere),
            file_ready_ms: file_ready_ms.unwrap_or(d.file_ready_ms),
            file_not_ready: file_not_ready
                .map(|s| s.parse::<FileNotReady>())
                .transpose()
                .map_err(|e| PyValueError::new_err(format!("file_not_ready: {e}")))?
                .unwrap_or(d.file_not_ready),
        };
        let (client_id, client_secret) = (config.client_id.clone(), config.client_secret.clone());
        let (local, running) = py.detach(|| start(SocketAddr::new(ip, port), config))?;
        Ok(NativeMockServer {
            url: format!("http://{local}"),
            client_id,
            client_secret,
            running: Mutex::new(Some(running)),
        })
    }

    /// `http://HOST:PORT`, without a trailing slash.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The `client_id` the mock accepts.
    #[getter]
    fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The `client_secret` the mock accepts.
    #[getter]
    fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// Whether the server is still running (`stop()` not called yet).
    #[getter]
    fn running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Stops accepting, lets in-flight requests finish (a few seconds at most) and joins the
    /// server thread, with the GIL released. Calling it again does nothing.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(thread) = running.and_then(Running::stop) else {
            return Ok(());
        };
        py.detach(|| thread.join())
            .map_err(|_| PyRuntimeError::new_err("the mock server thread panicked"))
    }
}

impl Drop for NativeMockServer {
    fn drop(&mut self) {
        // Garbage-collected while running: ask the server to stop without waiting for it.
        let running = self
            .running
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(running.and_then(Running::stop));
    }
}

/// The seeded provider accounts, for `sepay_einvoice.testing`.
pub fn accounts() -> [(&'static str, &'static str); 3] {
    [
        ("ACCOUNT_MATBAO", sepay_einvoice_mock::ACCOUNT_MATBAO),
        ("ACCOUNT_BKAV", sepay_einvoice_mock::ACCOUNT_BKAV),
        ("ACCOUNT_MIFI", sepay_einvoice_mock::ACCOUNT_MIFI),
    ]
}
