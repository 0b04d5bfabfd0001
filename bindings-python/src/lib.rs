//! `sepay_einvoice._native`: the thin PyO3 layer between the public Python package and the Rust
//! core. It adds no behaviour: every operation is a typed method handing its arguments to
//! `sepay_einvoice::Client` (see `client.rs`); values are converted in `conversion.rs`, errors in
//! `errors.rs`, and the runtime lives in `runtime.rs`. Retries, polling, validation and HTTP all
//! live in the core. `mock.rs` starts the bundled mock server in-process for
//! `sepay_einvoice.testing`.

mod batch;
mod build;
mod client;
mod conversion;
#[cfg(unix)]
mod deliver;
mod errors;
mod log_bridge;
mod logging;
mod mock;
mod runtime;

use std::time::Duration;

use pyo3::prelude::*;
use sepay_einvoice::{Error, ErrorKind, Job};

use errors::guard;

/// Runs `f` for Python: a core error becomes its exception class, a panic a `SePayError`.
fn py_result<T>(py: Python<'_>, f: impl FnOnce() -> sepay_einvoice::Result<T>) -> PyResult<T> {
    guard(py, || f().map_err(|e| errors::to_pyerr(py, &e)))
}

/// The local totals preview of a create request (JSON in, JSON out; no request is sent).
#[pyfunction]
fn totals(py: Python<'_>, request: &str) -> PyResult<String> {
    py_result(py, || -> sepay_einvoice::Result<String> {
        let req = conversion::request(request, None)?;
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
        let job: Job = conversion::job(job)?;
        serde_json::to_string(&job).map_err(|e| Error::new(ErrorKind::Decode, e.to_string()))
    })
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

/// The core's defaults, for the Python layer's docs and `repr`s (it copies none of them).
fn defaults(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyDict>> {
    let d = pyo3::types::PyDict::new(py);
    let secs = |d: Duration| d.as_secs_f64();
    d.set_item("timeout", secs(sepay_einvoice::DEFAULT_TIMEOUT))?;
    d.set_item("call_timeout", secs(sepay_einvoice::DEFAULT_CALL_TIMEOUT))?;
    d.set_item("max_retries", sepay_einvoice::DEFAULT_MAX_RETRIES)?;
    d.set_item(
        "max_response_bytes",
        sepay_einvoice::DEFAULT_MAX_RESPONSE_BYTES,
    )?;
    d.set_item(
        "max_download_bytes",
        sepay_einvoice::DEFAULT_MAX_DOWNLOAD_BYTES,
    )?;
    d.set_item(
        "account_cache_ttl",
        secs(sepay_einvoice::DEFAULT_ACCOUNT_CACHE_TTL),
    )?;
    d.set_item("max_in_flight", sepay_einvoice::DEFAULT_MAX_IN_FLIGHT)?;
    d.set_item("wait_timeout", secs(sepay_einvoice::DEFAULT_WAIT_TIMEOUT))?;
    d.set_item("poll_interval", secs(sepay_einvoice::DEFAULT_POLL_INTERVAL))?;
    d.set_item(
        "max_poll_interval",
        secs(sepay_einvoice::DEFAULT_MAX_POLL_INTERVAL),
    )?;
    Ok(d)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Nothing is started here (no runtime, no thread): see runtime.rs.
    // Python `logging` receives the core's events (logger `sepay_einvoice.*`, already masked)
    // and warnings from the HTTP stack; what `SEPAY_EINVOICE_LOG` asks for on top (a target at
    // a more verbose level) is let through too. The Python loggers' levels do the rest. The
    // bridge imports `logging` on the first record, not here (log_bridge.rs).
    let mut filters: Vec<(String, log::LevelFilter)> = logging::SDK_TARGETS
        .iter()
        .map(|t| ((*t).to_owned(), log::LevelFilter::Debug))
        .collect();
    for d in logging::from_env() {
        match filters.iter_mut().find(|(t, _)| *t == d.target) {
            Some((_, level)) => *level = (*level).max(d.level),
            None => filters.push((d.target, d.level.max(log::LevelFilter::Warn))),
        }
    }
    log_bridge::LazyBridge::new(log::LevelFilter::Warn, filters).install();
    m.add("__version__", sepay_einvoice::VERSION)?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::NativeCall>()?;
    m.add_class::<client::NativeInvoiceStream>()?;
    m.add_class::<client::SentReference>()?;
    #[cfg(unix)]
    m.add_class::<deliver::Deliveries>()?;
    #[cfg(unix)]
    m.add_class::<deliver::NativeTask>()?;
    m.add_class::<mock::NativeMockServer>()?;
    for (name, id) in mock::accounts() {
        m.add(name, id)?;
    }
    m.add("DEFAULTS", defaults(m.py())?)?;
    m.add_function(wrap_pyfunction!(totals, m)?)?;
    m.add_function(wrap_pyfunction!(mask, m)?)?;
    m.add_function(wrap_pyfunction!(canonical_job, m)?)?;
    m.add_function(wrap_pyfunction!(log_bridge::reset_log_cache, m)?)?;
    m.add_function(wrap_pyfunction!(log_bridge::init_log_bridge, m)?)?;
    m.add_function(wrap_pyfunction!(logging::log_directives, m)?)?;
    m.add_function(wrap_pyfunction!(runtime_pid, m)?)?;
    m.add_function(wrap_pyfunction!(drain, m)?)?;
    m.add_function(wrap_pyfunction!(build::register_models, m)?)?;
    m.add_function(wrap_pyfunction!(build::build_model, m)?)?;
    Ok(())
}
