//! The native client: one typed method per operation. Each builds the core future and returns a
//! [`NativeCall`], which the blocking client runs with `wait()` and the asyncio client awaits
//! with `awaitable()`; argument errors become a failed call, so both see them the same way.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use pyo3::prelude::*;
use sepay_einvoice::{
    Client, ClientBuilder, Environment, Error, ErrorKind, FileType, InvoiceStream,
    ListInvoicesParams, ListParams, Source,
};

use crate::batch;
use crate::conversion::{self as conv, Reply};
use crate::errors::guard;
use crate::runtime;

pub(crate) type BoxFut = Pin<Box<dyn Future<Output = Reply> + Send>>;
type Arg<'py> = Option<Bound<'py, PyAny>>;

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

/// One prepared operation. Run it once: `wait()` blocks (GIL released, Ctrl-C honoured);
/// `awaitable()` returns an asyncio future (cancelling it drops the Rust future).
#[pyclass(frozen, module = "sepay_einvoice._native")]
pub struct NativeCall {
    fut: Mutex<Option<BoxFut>>,
}

impl NativeCall {
    fn new(prepared: sepay_einvoice::Result<BoxFut>) -> NativeCall {
        let fut = prepared.unwrap_or_else(|e| Box::pin(async move { Reply::Failed(e) }));
        NativeCall {
            fut: Mutex::new(Some(fut)),
        }
    }

    fn take(&self) -> BoxFut {
        self.fut
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_else(|| {
                Box::pin(async {
                    Reply::Failed(Error::new(
                        ErrorKind::Validation,
                        "this call was already run",
                    ))
                })
            })
    }
}

#[pymethods]
impl NativeCall {
    /// Runs the call to completion, blocking.
    fn wait<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || runtime::block_on(py, self.take())?.into_py(py))
    }

    /// The call as an asyncio awaitable.
    fn awaitable<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || awaitable(py, self.take()))
    }

    /// Starts the call for `future` (made by the running loop); the result reaches it through
    /// the loop's `deliveries`. Cancel the returned task when the awaiting task is cancelled.
    #[cfg(unix)]
    fn start(
        &self,
        future: Py<PyAny>,
        deliveries: &Bound<'_, crate::deliver::Deliveries>,
    ) -> crate::deliver::NativeTask {
        crate::deliver::start(self.take(), future, deliveries.get())
    }
}

/// The memory a Python `CreateInvoice` object keeps of the reference code it was sent with: the
/// core's own `SentReference`, shared with every request built from the object. The core claims
/// the code in it before anything is sent.
#[pyclass(frozen, module = "sepay_einvoice._native")]
pub struct SentReference {
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

/// The native client: the core client plus what is needed to rebuild it in a forked child.
#[pyclass(frozen, module = "sepay_einvoice._native")]
pub struct NativeClient {
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

    /// A call built from the core client and the converted arguments.
    fn call(&self, prepare: impl FnOnce(Client) -> sepay_einvoice::Result<BoxFut>) -> NativeCall {
        NativeCall::new(self.core().and_then(prepare))
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
    /// Settings left `None` take the core's defaults, then the environment variables.
    #[new]
    #[pyo3(signature = (client_id=None, client_secret=None, environment=None, base_url=None, timeout=None, max_retries=None, call_timeout=None, binding=None, max_response_bytes=None, max_download_bytes=None, account_checks=None, account_cache_ttl=None, strict_rules=None, max_in_flight=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        client_id: Arg<'_>,
        client_secret: Arg<'_>,
        environment: Arg<'_>,
        base_url: Arg<'_>,
        timeout: Arg<'_>,
        max_retries: Arg<'_>,
        call_timeout: Arg<'_>,
        binding: Option<String>,
        max_response_bytes: Arg<'_>,
        max_download_bytes: Arg<'_>,
        account_checks: Arg<'_>,
        account_cache_ttl: Arg<'_>,
        strict_rules: Arg<'_>,
        max_in_flight: Arg<'_>,
    ) -> PyResult<Self> {
        let built = (|| -> sepay_einvoice::Result<Self> {
            let mut b = Client::builder();
            if let Some(v) = conv::opt_text(client_id.as_ref(), "client_id")? {
                b = b.client_id(v);
            }
            if let Some(v) = conv::opt_text(client_secret.as_ref(), "client_secret")? {
                b = b.client_secret(v);
            }
            if let Some(v) = conv::opt_text(environment.as_ref(), "environment")? {
                b = b.environment(Environment::from_str(&v)?);
            }
            if let Some(v) = conv::opt_text(base_url.as_ref(), "base_url")? {
                b = b.base_url(v);
            }
            if let Some(d) = conv::opt_secs(timeout.as_ref(), "timeout")? {
                b = b.timeout(d);
            }
            if let Some(d) = conv::opt_secs(call_timeout.as_ref(), "call_timeout")? {
                b = b.call_timeout(d);
            }
            if let Some(n) = conv::opt_count(max_retries.as_ref(), "max_retries")? {
                b = b.max_retries(n);
            }
            if let Some(n) = conv::opt_bytes(max_response_bytes.as_ref(), "max_response_bytes")? {
                b = b.max_response_bytes(n);
            }
            if let Some(n) = conv::opt_bytes(max_download_bytes.as_ref(), "max_download_bytes")? {
                b = b.max_download_bytes(n);
            }
            if let Some(on) = conv::opt_bool(account_checks.as_ref(), "account_checks")? {
                b = b.account_checks(on);
            }
            if let Some(d) = conv::opt_secs(account_cache_ttl.as_ref(), "account_cache_ttl")? {
                b = b.account_cache_ttl(d);
            }
            if let Some(n) = conv::opt_count(max_in_flight.as_ref(), "max_in_flight")? {
                b = b.max_in_flight(n as usize);
            }
            if let Some(on) = conv::opt_bool(strict_rules.as_ref(), "strict_rules")? {
                b = b.strict_rules(on);
            }
            b = b.binding(binding.unwrap_or_else(|| "python".into()));
            // Build once now so bad settings fail here, not on the first call.
            let client = b.clone().build()?;
            Ok(NativeClient {
                builder: b,
                slot: Mutex::new(Some((std::process::id(), client))),
                closed: AtomicBool::new(false),
            })
        })();
        guard(py, || built.map_err(|e| crate::errors::to_pyerr(py, &e)))
    }

    fn authenticate(&self) -> NativeCall {
        self.call(|c| Ok(run(async move { c.authenticate().await }, json_reply)))
    }

    #[pyo3(signature = (page=None, per_page=None))]
    fn list_provider_accounts(&self, page: Arg<'_>, per_page: Arg<'_>) -> NativeCall {
        self.call(|c| {
            let p = ListParams {
                page: conv::opt_count(page.as_ref(), "page")?,
                per_page: conv::opt_count(per_page.as_ref(), "per_page")?,
            };
            Ok(run(
                async move { c.list_provider_accounts(&p).await },
                json_reply,
            ))
        })
    }

    fn get_provider_account(&self, id: Bound<'_, PyAny>) -> NativeCall {
        self.call(|c| {
            let id = conv::text(&id, "id")?;
            Ok(run(
                async move { c.get_provider_account(&id).await },
                json_reply,
            ))
        })
    }

    /// `request`: the request as JSON text; `sent`: the request object's reference-code memory.
    #[pyo3(signature = (request, sent=None))]
    fn create_invoice(&self, request: &str, sent: Option<PyRef<'_, SentReference>>) -> NativeCall {
        self.call(|c| {
            let req = conv::request(request, sent.as_deref().map(|s| &s.inner))?;
            Ok(run(async move { c.create_invoice(&req).await }, json_reply))
        })
    }

    fn issue_invoice(&self, reference_code: Bound<'_, PyAny>) -> NativeCall {
        self.call(|c| {
            let r = conv::text(&reference_code, "reference_code")?;
            Ok(run(async move { c.issue_invoice(&r).await }, json_reply))
        })
    }

    /// `job`: a stored job as JSON text.
    fn check_status(&self, job: &str) -> NativeCall {
        self.call(|c| {
            let job = conv::job(job)?;
            Ok(run(async move { c.check_status(&job).await }, json_reply))
        })
    }

    #[pyo3(signature = (job, timeout=None, poll_interval=None, max_poll_interval=None, on_status=None))]
    fn wait_for_status(
        &self,
        job: &str,
        timeout: Arg<'_>,
        poll_interval: Arg<'_>,
        max_poll_interval: Arg<'_>,
        on_status: Option<Py<PyAny>>,
    ) -> NativeCall {
        self.call(|c| {
            let job = conv::job(job)?;
            let o = conv::wait_options(
                timeout.as_ref(),
                poll_interval.as_ref(),
                max_poll_interval.as_ref(),
                on_status,
            )?;
            Ok(run(
                async move { c.wait_for_status(&job, o).await },
                json_reply,
            ))
        })
    }

    #[pyo3(signature = (request, sent=None, timeout=None, poll_interval=None, max_poll_interval=None, on_status=None))]
    #[allow(clippy::too_many_arguments)]
    fn create_invoice_and_wait(
        &self,
        request: &str,
        sent: Option<PyRef<'_, SentReference>>,
        timeout: Arg<'_>,
        poll_interval: Arg<'_>,
        max_poll_interval: Arg<'_>,
        on_status: Option<Py<PyAny>>,
    ) -> NativeCall {
        self.call(|c| {
            // Boxed and handed over: freed once sent, so the wait holds only its job.
            let req = Box::new(conv::request(request, sent.as_deref().map(|s| &s.inner))?);
            let o = conv::wait_options(
                timeout.as_ref(),
                poll_interval.as_ref(),
                max_poll_interval.as_ref(),
                on_status,
            )?;
            Ok(run(
                async move { c.create_invoice_and_wait(req, o).await },
                json_reply,
            ))
        })
    }

    #[pyo3(signature = (reference_code, timeout=None, poll_interval=None, max_poll_interval=None, on_status=None))]
    fn issue_invoice_and_wait(
        &self,
        reference_code: Bound<'_, PyAny>,
        timeout: Arg<'_>,
        poll_interval: Arg<'_>,
        max_poll_interval: Arg<'_>,
        on_status: Option<Py<PyAny>>,
    ) -> NativeCall {
        self.call(|c| {
            let r = conv::text(&reference_code, "reference_code")?;
            let o = conv::wait_options(
                timeout.as_ref(),
                poll_interval.as_ref(),
                max_poll_interval.as_ref(),
                on_status,
            )?;
            Ok(run(
                async move { c.issue_invoice_and_wait(&r, o).await },
                json_reply,
            ))
        })
    }

    /// `original_invoice_reference_code`: the invoice replaced; `request`, `sent`: as for
    /// `create_invoice`.
    #[pyo3(signature = (original_invoice_reference_code, request, sent=None))]
    fn replace_invoice(
        &self,
        original_invoice_reference_code: Bound<'_, PyAny>,
        request: &str,
        sent: Option<PyRef<'_, SentReference>>,
    ) -> NativeCall {
        self.call(|c| {
            let req = conv::replacement(
                &original_invoice_reference_code,
                request,
                sent.as_deref().map(|s| &s.inner),
            )?;
            Ok(run(
                async move { c.replace_invoice(&req).await },
                json_reply,
            ))
        })
    }

    /// `adjustment_type`: `increase`, `decrease`, `combined` or `info` (checked by the core).
    #[pyo3(signature = (original_invoice_reference_code, adjustment_type, request, sent=None))]
    fn adjust_invoice(
        &self,
        original_invoice_reference_code: Bound<'_, PyAny>,
        adjustment_type: Bound<'_, PyAny>,
        request: &str,
        sent: Option<PyRef<'_, SentReference>>,
    ) -> NativeCall {
        self.call(|c| {
            let req = conv::adjustment(
                &original_invoice_reference_code,
                &adjustment_type,
                request,
                sent.as_deref().map(|s| &s.inner),
            )?;
            Ok(run(async move { c.adjust_invoice(&req).await }, json_reply))
        })
    }

    #[pyo3(signature = (original_invoice_reference_code, request, sent=None, timeout=None, poll_interval=None, max_poll_interval=None, on_status=None))]
    #[allow(clippy::too_many_arguments)]
    fn replace_invoice_and_wait(
        &self,
        original_invoice_reference_code: Bound<'_, PyAny>,
        request: &str,
        sent: Option<PyRef<'_, SentReference>>,
        timeout: Arg<'_>,
        poll_interval: Arg<'_>,
        max_poll_interval: Arg<'_>,
        on_status: Option<Py<PyAny>>,
    ) -> NativeCall {
        self.call(|c| {
            let req = Box::new(conv::replacement(
                &original_invoice_reference_code,
                request,
                sent.as_deref().map(|s| &s.inner),
            )?);
            let o = conv::wait_options(
                timeout.as_ref(),
                poll_interval.as_ref(),
                max_poll_interval.as_ref(),
                on_status,
            )?;
            Ok(run(
                async move { c.replace_invoice_and_wait(req, o).await },
                json_reply,
            ))
        })
    }

    #[pyo3(signature = (original_invoice_reference_code, adjustment_type, request, sent=None, timeout=None, poll_interval=None, max_poll_interval=None, on_status=None))]
    #[allow(clippy::too_many_arguments)]
    fn adjust_invoice_and_wait(
        &self,
        original_invoice_reference_code: Bound<'_, PyAny>,
        adjustment_type: Bound<'_, PyAny>,
        request: &str,
        sent: Option<PyRef<'_, SentReference>>,
        timeout: Arg<'_>,
        poll_interval: Arg<'_>,
        max_poll_interval: Arg<'_>,
        on_status: Option<Py<PyAny>>,
    ) -> NativeCall {
        self.call(|c| {
            let req = Box::new(conv::adjustment(
                &original_invoice_reference_code,
                &adjustment_type,
                request,
                sent.as_deref().map(|s| &s.inner),
            )?);
            let o = conv::wait_options(
                timeout.as_ref(),
                poll_interval.as_ref(),
                max_poll_interval.as_ref(),
                on_status,
            )?;
            Ok(run(
                async move { c.adjust_invoice_and_wait(req, o).await },
                json_reply,
            ))
        })
    }

    /// Every problem of a create request (JSON text), without sending it.
    fn preflight(&self, request: &str) -> NativeCall {
        self.call(|c| {
            let req = conv::request(request, None)?;
            Ok(run(async move { c.preflight(&req).await }, json_reply))
        })
    }

    fn get_invoice(&self, reference_code: Bound<'_, PyAny>) -> NativeCall {
        self.call(|c| {
            let r = conv::text(&reference_code, "reference_code")?;
            Ok(run(async move { c.get_invoice(&r).await }, json_reply))
        })
    }

    #[pyo3(signature = (page=None, per_page=None, source=None))]
    fn list_invoices(&self, page: Arg<'_>, per_page: Arg<'_>, source: Arg<'_>) -> NativeCall {
        self.call(|c| {
            let p = list_invoices_params(page.as_ref(), per_page.as_ref(), source.as_ref())?;
            Ok(run(async move { c.list_invoices(&p).await }, json_reply))
        })
    }

    /// A stream over every invoice (pages fetched as needed).
    #[pyo3(signature = (per_page=None, source=None))]
    fn iter_invoices(
        &self,
        py: Python<'_>,
        per_page: Arg<'_>,
        source: Arg<'_>,
    ) -> PyResult<NativeInvoiceStream> {
        let made = (|| -> sepay_einvoice::Result<NativeInvoiceStream> {
            let client = self.core()?;
            let params = list_invoices_params(None, per_page.as_ref(), source.as_ref())?;
            Ok(NativeInvoiceStream {
                inner: Arc::new(tokio::sync::Mutex::new(client.iter_invoices(&params))),
            })
        })();
        guard(py, || made.map_err(|e| crate::errors::to_pyerr(py, &e)))
    }

    fn download_invoice(
        &self,
        reference_code: Bound<'_, PyAny>,
        file_type: Bound<'_, PyAny>,
    ) -> NativeCall {
        self.call(|c| {
            let r = conv::text(&reference_code, "reference_code")?;
            let t = FileType::from_str(&conv::text(&file_type, "type")?)?;
            Ok(run(async move { c.download_invoice(&r, t).await }, |f| {
                Reply::File(f.file_type.as_str().to_string(), f.file_name, f.content)
            }))
        })
    }

    fn delete_draft(&self, reference_code: Bound<'_, PyAny>) -> NativeCall {
        self.call(|c| {
            let r = conv::text(&reference_code, "reference_code")?;
            Ok(run(async move { c.delete_draft(&r).await }, |()| {
                Reply::Nothing
            }))
        })
    }

    fn get_usage(&self) -> NativeCall {
        self.call(|c| Ok(run(async move { c.get_usage().await }, json_reply)))
    }

    /// Issues a batch (`sepay_einvoice_batch::run`). `rows`: `(key, request as JSON text)` pairs;
    /// `journal`: `sqlite:PATH` or `postgres://…`; durations in seconds; `on_progress` gets each
    /// progress report as JSON text.
    #[pyo3(signature = (rows, journal, batch=None, concurrency=None, draft=None, row_timeout=None, wait_timeout=None, poll_interval=None, worker=None, lease=None, on_progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn issue_batch(
        &self,
        rows: Vec<(Bound<'_, PyAny>, String)>,
        journal: Bound<'_, PyAny>,
        batch: Arg<'_>,
        concurrency: Arg<'_>,
        draft: Arg<'_>,
        row_timeout: Arg<'_>,
        wait_timeout: Arg<'_>,
        poll_interval: Arg<'_>,
        worker: Arg<'_>,
        lease: Arg<'_>,
        on_progress: Option<Py<PyAny>>,
    ) -> NativeCall {
        self.call(|c| {
            let run = batch::RunArgs {
                journal,
                batch,
                concurrency,
                draft,
                row_timeout,
                wait_timeout,
                poll_interval,
                worker,
                lease,
                on_progress,
            }
            .convert()?;
            let rows = batch::rows(rows, run.draft)?;
            Ok(batch::issue(c, rows, run))
        })
    }

    /// Works the rows already journaled under `batch` (`sepay_einvoice_batch::resume`), after
    /// putting its failed rows back to pending when `retry_failed`.
    #[pyo3(signature = (journal, batch=None, concurrency=None, row_timeout=None, wait_timeout=None, poll_interval=None, worker=None, lease=None, on_progress=None, retry_failed=false))]
    #[allow(clippy::too_many_arguments)]
    fn resume_batch(
        &self,
        journal: Bound<'_, PyAny>,
        batch: Arg<'_>,
        concurrency: Arg<'_>,
        row_timeout: Arg<'_>,
        wait_timeout: Arg<'_>,
        poll_interval: Arg<'_>,
        worker: Arg<'_>,
        lease: Arg<'_>,
        on_progress: Option<Py<PyAny>>,
        retry_failed: bool,
    ) -> NativeCall {
        self.call(|c| {
            let run = batch::RunArgs {
                journal,
                batch,
                concurrency,
                draft: None,
                row_timeout,
                wait_timeout,
                poll_interval,
                worker,
                lease,
                on_progress,
            }
            .convert()?;
            Ok(batch::resume(c, run, retry_failed))
        })
    }

    /// The journal's rows of `batch` (every batch when `None`) as JSON text.
    #[pyo3(signature = (journal, batch=None))]
    fn batch_status(&self, journal: Bound<'_, PyAny>, batch: Arg<'_>) -> NativeCall {
        // Reads the journal only: works on a closed client too.
        NativeCall::new((|| {
            let journal = conv::text(&journal, "journal")?;
            let batch = conv::opt_text(batch.as_ref(), "batch")?;
            Ok(batch::status(journal, batch))
        })())
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

fn list_invoices_params(
    page: Option<&Bound<'_, PyAny>>,
    per_page: Option<&Bound<'_, PyAny>>,
    source: Option<&Bound<'_, PyAny>>,
) -> sepay_einvoice::Result<ListInvoicesParams> {
    Ok(ListInvoicesParams {
        page: conv::opt_count(page, "page")?,
        per_page: conv::opt_count(per_page, "per_page")?,
        source: conv::opt_text(source, "source")?.map(|s| Source::parse(&s)),
    })
}

/// `iter_invoices` as a native object: `next()` blocks, `anext()` returns an awaitable.
#[pyclass(frozen, module = "sepay_einvoice._native")]
pub struct NativeInvoiceStream {
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
