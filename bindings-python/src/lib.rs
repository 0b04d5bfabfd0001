//! `sepay_einvoice._native`: the thin PyO3 layer between the public Python package and the Rust
//! core. It adds no behaviour: every call is handed to `sepay_einvoice::Client`, and values cross
//! the boundary as canonical JSON strings (the core's serde form), which the Python layer turns
//! into dataclasses. Retries, polling, validation and HTTP all live in the core.

mod errors;
mod runtime;

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::prelude::*;
use sepay_einvoice::{
    Client, ClientBuilder, CreateInvoice, Environment, Error, ErrorKind, FileType, InvoiceStream,
    Job, JobStatus, ListInvoicesParams, ListParams, Source, WaitOptions,
};
use serde_json::Value;

use errors::{guard, Reply};

/// Runs `f` for Python: a core error becomes its exception class, a panic a `SePayError`.
fn py_result<T>(py: Python<'_>, f: impl FnOnce() -> sepay_einvoice::Result<T>) -> PyResult<T> {
    guard(py, || f().map_err(|e| errors::to_pyerr(py, &e)))
}

type BoxFut = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// Turns a core future into a [`Reply`], catching panics.
fn run<T, F>(fut: F, ok: impl FnOnce(T) -> Reply + Send + 'static) -> BoxFut
where
    F: Future<Output = sepay_einvoice::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    Box::pin(async move {
        match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
            Ok(Ok(v)) => ok(v),
            Ok(Err(e)) => Reply::Failed(e),
            Err(p) => Reply::Panicked(p),
        }
    })
}

fn json_reply<T: serde::Serialize>(v: T) -> Reply {
    Reply::json(&v)
}

// ---- argument translation (types only; the core validates values) ----

fn arg<'a>(args: &'a Value, name: &str) -> Option<&'a Value> {
    args.get(name).filter(|v| !v.is_null())
}

fn opt_str(args: &Value, name: &str) -> sepay_einvoice::Result<Option<String>> {
    match arg(args, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::validation(name, "must be a string")),
    }
}

fn req_str(args: &Value, name: &str) -> sepay_einvoice::Result<String> {
    // An empty string is handed to the core, which names the field in its own error.
    Ok(opt_str(args, name)?.unwrap_or_default())
}

fn opt_u32(args: &Value, name: &str) -> sepay_einvoice::Result<Option<u32>> {
    match arg(args, name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| Error::validation(name, "must be a whole number from 1")),
    }
}

fn opt_secs(args: &Value, name: &str) -> sepay_einvoice::Result<Option<Duration>> {
    match arg(args, name) {
        None => Ok(None),
        // Numbers, or the text the Python layer writes floats as.
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
            .and_then(|f| Duration::try_from_secs_f64(f).ok())
            .map(Some)
            .ok_or_else(|| Error::validation(name, "must be a number of seconds")),
    }
}

fn wait_options(args: &Value, on_status: Option<Py<PyAny>>) -> sepay_einvoice::Result<WaitOptions> {
    let mut o = WaitOptions::default();
    if let Some(d) = opt_secs(args, "timeout")? {
        o.timeout = d;
    }
    if let Some(d) = opt_secs(args, "poll_interval")? {
        o.poll_interval = d;
    }
    if let Some(d) = opt_secs(args, "max_poll_interval")? {
        o.max_poll_interval = d;
    }
    if let Some(cb) = on_status {
        let cb = Arc::new(cb);
        o.on_status = Some(Arc::new(move |st: &JobStatus| {
            let Ok(text) = serde_json::to_string(st) else {
                return;
            };
            Python::attach(|py| {
                if let Err(e) = cb.call1(py, (text,)) {
                    e.write_unraisable(py, None);
                }
            });
        }));
    }
    Ok(o)
}

fn job_arg(args: &Value) -> sepay_einvoice::Result<Job> {
    match arg(args, "job") {
        Some(v) => Job::from_json(v.clone()),
        None => Err(Error::validation("job", "is required")),
    }
}

/// The create request, sharing the memory of the Python request object's reference code (so
/// sending the same object again reuses it, even after a cancelled call).
fn request_arg(
    args: &Value,
    sent: Option<&SentReference>,
) -> sepay_einvoice::Result<CreateInvoice> {
    let mut req = match arg(args, "request") {
        Some(v) => CreateInvoice::from_json(v.clone())?,
        None => return Err(Error::validation("request", "is required")),
    };
    if let Some(s) = sent {
        req.sent_reference = s.inner.shared();
    }
    Ok(req)
}

fn list_invoices_params(args: &Value) -> sepay_einvoice::Result<ListInvoicesParams> {
    Ok(ListInvoicesParams {
        page: opt_u32(args, "page")?,
        per_page: opt_u32(args, "per_page")?,
        source: opt_str(args, "source")?.map(|s| Source::parse(&s)),
    })
}

/// Builds the future of one operation. Argument errors become a failed future, so sync and async
/// callers see them the same way.
fn dispatch(
    client: Client,
    op: &str,
    args: Value,
    on_status: Option<Py<PyAny>>,
    sent: Option<&SentReference>,
) -> BoxFut {
    let prepared: sepay_einvoice::Result<BoxFut> = (|| {
        Ok(match op {
            "authenticate" => run(async move { client.authenticate().await }, json_reply),
            "list_provider_accounts" => {
                let p = ListParams {
                    page: opt_u32(&args, "page")?,
                    per_page: opt_u32(&args, "per_page")?,
                };
                run(
                    async move { client.list_provider_accounts(&p).await },
                    json_reply,
                )
            }
            "get_provider_account" => {
                let id = req_str(&args, "id")?;
                run(
                    async move { client.get_provider_account(&id).await },
                    json_reply,
                )
            }
            "create_invoice" => {
                let req = request_arg(&args, sent)?;
                run(async move { client.create_invoice(&req).await }, json_reply)
            }
            "issue_invoice" => {
                let r = req_str(&args, "reference_code")?;
                run(async move { client.issue_invoice(&r).await }, json_reply)
            }
            "check_status" => {
                let job = job_arg(&args)?;
                run(async move { client.check_status(&job).await }, json_reply)
            }
            "wait_for_status" => {
                let job = job_arg(&args)?;
                let o = wait_options(&args, on_status)?;
                run(
                    async move { client.wait_for_status(&job, o).await },
                    json_reply,
                )
            }
            "create_invoice_and_wait" => {
                let req = request_arg(&args, sent)?;
                let o = wait_options(&args, on_status)?;
                run(
                    async move { client.create_invoice_and_wait(&req, o).await },
                    json_reply,
                )
            }
            "issue_invoice_and_wait" => {
                let r = req_str(&args, "reference_code")?;
                let o = wait_options(&args, on_status)?;
                run(
                    async move { client.issue_invoice_and_wait(&r, o).await },
                    json_reply,
                )
            }
            "get_invoice" => {
                let r = req_str(&args, "reference_code")?;
                run(async move { client.get_invoice(&r).await }, json_reply)
            }
            "list_invoices" => {
                let p = list_invoices_params(&args)?;
                run(async move { client.list_invoices(&p).await }, json_reply)
            }
            "download_invoice" => {
                let r = req_str(&args, "reference_code")?;
                let t =
                    FileType::from_str(&opt_str(&args, "type")?.unwrap_or_else(|| "pdf".into()))?;
                run(async move { client.download_invoice(&r, t).await }, |f| {
                    Reply::File(f.file_type.as_str().to_string(), f.file_name, f.content)
                })
            }
            "delete_draft" => {
                let r = req_str(&args, "reference_code")?;
                run(async move { client.delete_draft(&r).await }, |()| {
                    Reply::Nothing
                })
            }
            "get_usage" => run(async move { client.get_usage().await }, json_reply),
            other => {
                return Err(Error::validation(
                    "operation",
                    format!("unknown operation {other:?}"),
                ))
            }
        })
    })();
    prepared.unwrap_or_else(|e| Box::pin(async move { Reply::Failed(e) }))
}

/// Hands a future to asyncio: cancelling the awaitable drops the future.
fn awaitable(py: Python<'_>, fut: BoxFut) -> PyResult<Bound<'_, PyAny>> {
    runtime::begin_flight();
    let made =
        pyo3_async_runtimes::generic::future_into_py::<runtime::Rt, _, Reply>(py, async move {
            Ok(fut.await)
        });
    if made.is_err() {
        runtime::undo_flight();
    }
    made
}

fn parse_args(args: &str) -> sepay_einvoice::Result<Value> {
    if args.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(args).map_err(|e| {
        Error::validation(
            "(arguments)",
            format!(
                "not valid JSON: {}",
                sepay_einvoice::validate::describe_serde_error(&e)
            ),
        )
    })
}

/// The native client: the core client plus what is needed to rebuild it in a forked child.
#[pyclass(frozen, module = "sepay_einvoice._native")]
struct NativeClient {
    builder: ClientBuilder,
    slot: Mutex<Option<(u32, Client)>>,
    closed: AtomicBool,
}

impl NativeClient {
    /// The core client for this process. A client inherited through `fork()` holds a connection
    /// pool bound to the parent's runtime, so the child builds its own (same settings).
    fn core(&self) -> sepay_einvoice::Result<Client> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::new(
                ErrorKind::Connection,
                "the client is closed; create a new one",
            ));
        }
        let pid = std::process::id();
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, c)) = slot.as_ref() {
            if *p == pid {
                return Ok(c.clone());
            }
        }
        let client = self.builder.clone().build()?;
        if let Some(inherited) = slot.replace((pid, client.clone())) {
            // A client from the parent process: its connections belong to the parent's runtime
            // (whose threads do not exist here) and share kernel objects with the parent, so it is
            // leaked rather than dropped; dropping could deregister the parent's sockets.
            std::mem::forget(inherited);
        }
        Ok(client)
    }

    fn prepare(
        &self,
        op: &str,
        args: &str,
        on_status: Option<Py<PyAny>>,
        sent: Option<&SentReference>,
    ) -> BoxFut {
        let ready = self.core().and_then(|c| parse_args(args).map(|a| (c, a)));
        match ready {
            Ok((client, args)) => dispatch(client, op, args, on_status, sent),
            Err(e) => Box::pin(async move { Reply::Failed(e) }),
        }
    }
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        let slot = self.slot.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some((pid, client)) = slot.take() {
            if pid != std::process::id() {
                std::mem::forget(client); // inherited through fork(): see `core()`
            }
        }
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (client_id=None, client_secret=None, environment=None, base_url=None, timeout=None, max_retries=None, call_timeout=None, binding=None, max_response_bytes=None, max_download_bytes=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        client_id: Option<String>,
        client_secret: Option<String>,
        environment: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        max_retries: Option<u32>,
        call_timeout: Option<f64>,
        binding: Option<String>,
        max_response_bytes: Option<i64>,
        max_download_bytes: Option<i64>,
    ) -> PyResult<Self> {
        py_result(py, || -> sepay_einvoice::Result<Self> {
            let mut b = Client::builder();
            if let Some(v) = client_id {
                b = b.client_id(v);
            }
            if let Some(v) = client_secret {
                b = b.client_secret(v);
            }
            if let Some(v) = environment {
                b = b.environment(Environment::from_str(&v)?);
            }
            if let Some(v) = base_url {
                b = b.base_url(v);
            }
            let secs = |name: &str, v: f64| {
                Duration::try_from_secs_f64(v)
                    .map_err(|_| Error::validation(name, "must be a positive number of seconds"))
            };
            if let Some(v) = timeout {
                b = b.timeout(secs("timeout", v)?);
            }
            if let Some(v) = call_timeout {
                b = b.call_timeout(secs("call_timeout", v)?);
            }
            if let Some(v) = max_retries {
                b = b.max_retries(v);
            }
            let bytes = |name: &str, v: i64| {
                usize::try_from(v)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| Error::validation(name, "must be a positive number of bytes"))
            };
            if let Some(v) = max_response_bytes {
                b = b.max_response_bytes(bytes("max_response_bytes", v)?);
            }
            if let Some(v) = max_download_bytes {
                b = b.max_download_bytes(bytes("max_download_bytes", v)?);
            }
            b = b.binding(binding.unwrap_or_else(|| "python".into()));
            // Build once now so bad settings fail here, not on the first call.
            let client = b.clone().build()?;
            Ok(NativeClient {
                builder: b,
                slot: Mutex::new(Some((std::process::id(), client))),
                closed: AtomicBool::new(false),
            })
        })
    }

    /// Runs an operation and blocks (GIL released, Ctrl-C honoured) until it finishes. `sent`:
    /// the request object's reference-code memory, for creates.
    #[pyo3(signature = (op, args, on_status=None, sent=None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        args: &str,
        on_status: Option<Py<PyAny>>,
        sent: Option<PyRef<'py, SentReference>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let fut = self.prepare(op, args, on_status, sent.as_deref());
            let reply = runtime::block_on(py, fut)?;
            reply.into_py(py)
        })
    }

    /// Starts an operation and returns an asyncio future; cancelling it drops the Rust future.
    #[pyo3(signature = (op, args, on_status=None, sent=None))]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        args: &str,
        on_status: Option<Py<PyAny>>,
        sent: Option<PyRef<'py, SentReference>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            awaitable(py, self.prepare(op, args, on_status, sent.as_deref()))
        })
    }

    /// A stream over every invoice (pages fetched as needed).
    fn iter_invoices(&self, py: Python<'_>, args: &str) -> PyResult<NativeInvoiceStream> {
        py_result(py, || -> sepay_einvoice::Result<NativeInvoiceStream> {
            let client = self.core()?;
            let params = list_invoices_params(&parse_args(args)?)?;
            Ok(NativeInvoiceStream {
                inner: Arc::new(tokio::sync::Mutex::new(client.iter_invoices(&params))),
            })
        })
    }

    /// The base URL requests go to.
    fn base_url(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let current = self.slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let client = match current {
                Some((_, c)) => Some(c),
                None => self.builder.clone().build().ok(),
            };
            Ok(client.map(|c| c.base_url().to_string()).unwrap_or_default())
        })
    }

    /// Releases the connection pool; later calls fail with `APIConnectionError`.
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let taken = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        match taken {
            // Inherited through fork(): leaked, as in `core()`.
            Some((pid, client)) if pid != std::process::id() => std::mem::forget(client),
            other => drop(other),
        }
    }

    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn __repr__(&self) -> String {
        // The builder's Debug output never contains the secret.
        format!("NativeClient({:?})", self.builder)
    }
}

/// The memory a Python `CreateInvoice` object keeps of the reference code it was sent with: the
/// core's own `SentReference`, shared with every request built from the object. The core
/// claims the code in it before anything is sent.
#[pyclass(frozen, module = "sepay_einvoice._native")]
struct SentReference {
    inner: sepay_einvoice::SentReference,
}

#[pymethods]
impl SentReference {
    #[new]
    fn new() -> Self {
        SentReference {
            inner: Default::default(),
        }
    }

    /// The code, once the object has been sent.
    #[getter]
    fn code(&self) -> Option<String> {
        self.inner.get()
    }

    /// Forgets the code: the next send takes a new one.
    fn forget(&self) {
        self.inner.forget();
    }
}

/// `iter_invoices` as a native object: `next()` blocks, `anext()` returns an awaitable.
#[pyclass(frozen, module = "sepay_einvoice._native")]
struct NativeInvoiceStream {
    inner: Arc<tokio::sync::Mutex<InvoiceStream>>,
}

fn next_reply(inner: Arc<tokio::sync::Mutex<InvoiceStream>>) -> BoxFut {
    Box::pin(async move {
        let step = std::panic::AssertUnwindSafe(async move {
            let mut stream = inner.lock().await;
            stream.next_invoice().await
        })
        .catch_unwind()
        .await;
        match step {
            Ok(None) => Reply::Nothing,
            Ok(Some(Ok(inv))) => Reply::json(&inv),
            Ok(Some(Err(e))) => Reply::Failed(e),
            Err(p) => Reply::Panicked(p),
        }
    })
}

#[pymethods]
impl NativeInvoiceStream {
    /// The next invoice as JSON, or `None` after the last one (blocking).
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let reply = runtime::block_on(py, next_reply(self.inner.clone()))?;
            reply.into_py(py)
        })
    }

    /// The next invoice as JSON, or `None` after the last one (awaitable).
    fn anext<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || awaitable(py, next_reply(self.inner.clone())))
    }
}

/// The local totals preview of a create request (JSON in, JSON out; no request is sent).
#[pyfunction]
fn totals(py: Python<'_>, request: &str) -> PyResult<String> {
    py_result(py, || -> sepay_einvoice::Result<String> {
        let v = parse_args(request)?;
        let req = CreateInvoice::from_json(v)?;
        serde_json::to_string(&req.totals())
            .map_err(|e| Error::new(ErrorKind::Decode, e.to_string()))
    })
}

/// Masks a personal value the way the core masks it in logs (`0101234567` → `*******567`).
#[pyfunction]
fn mask(value: &str) -> String {
    sepay_einvoice::redact::mask(value)
}

/// Checks a stored job (from `Job.to_dict()`) and returns its canonical JSON.
#[pyfunction]
fn canonical_job(py: Python<'_>, job: &str) -> PyResult<String> {
    py_result(py, || -> sepay_einvoice::Result<String> {
        let job = Job::from_json(parse_args(job)?)?;
        serde_json::to_string(&job).map_err(|e| Error::new(ErrorKind::Decode, e.to_string()))
    })
}

static LOG_RESET: OnceLock<Mutex<Option<pyo3_log::ResetHandle>>> = OnceLock::new();

/// Forgets cached Python logger levels, so `logging` configuration made after the first SDK log
/// event takes effect.
#[pyfunction]
fn reset_log_cache() {
    if let Some(m) = LOG_RESET.get() {
        if let Some(h) = m.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            h.reset();
        }
    }
}

/// Waits (GIL released) until results being handed to asyncio are delivered, at most `timeout`
/// seconds. Registered with `atexit` by the package, so the interpreter never finalizes while a
/// runtime thread is delivering a result.
#[pyfunction]
#[pyo3(signature = (timeout=2.0))]
fn drain(py: Python<'_>, timeout: f64) {
    runtime::drain(py, Duration::try_from_secs_f64(timeout).unwrap_or_default());
}

/// The PID whose runtime is current (0 when none was built yet): for the fork-safety tests.
#[pyfunction]
fn runtime_pid() -> u32 {
    runtime::current_pid()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Nothing is started here (no runtime, no thread): see runtime.rs.
    // Python `logging` receives the core's events (logger `sepay_einvoice.*`, already masked)
    // and warnings from the HTTP stack.
    let handle = pyo3_log::Logger::new(m.py(), pyo3_log::Caching::LoggersAndLevels)?
        .filter(log::LevelFilter::Warn)
        .filter_target("sepay_einvoice".to_owned(), log::LevelFilter::Debug)
        .install()
        .ok();
    let _ = LOG_RESET.set(Mutex::new(handle));
    m.add("__version__", sepay_einvoice::VERSION)?;
    m.add_class::<NativeClient>()?;
    m.add_class::<NativeInvoiceStream>()?;
    m.add_class::<SentReference>()?;
    m.add_function(wrap_pyfunction!(totals, m)?)?;
    m.add_function(wrap_pyfunction!(mask, m)?)?;
    m.add_function(wrap_pyfunction!(canonical_job, m)?)?;
    m.add_function(wrap_pyfunction!(reset_log_cache, m)?)?;
    m.add_function(wrap_pyfunction!(runtime_pid, m)?)?;
    m.add_function(wrap_pyfunction!(drain, m)?)?;
    Ok(())
}
