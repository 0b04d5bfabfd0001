//! Core errors (and panics) → the Python exception classes of `sepay_einvoice._errors`.
//!
//! The classes are defined in Python (picklable, one hierarchy under `SePayError`); Rust looks
//! the class up by the error's kind and builds it through `cls._from_native(text, details)`,
//! where `details` is a JSON object with every attribute.

use std::any::Any;

use pyo3::prelude::*;
use sepay_einvoice::{Error, ErrorKind};
use sepay_einvoice_batch::{BatchError, BatchErrorKind};
use serde_json::{json, Value};

/// The Python class for a kind (DESIGN.md's names).
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation => "ValidationError",
        ErrorKind::BadRequest => "BadRequestError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::PermissionDenied => "PermissionDeniedError",
        ErrorKind::QuotaExceeded => "QuotaExceededError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Conflict => "ConflictError",
        ErrorKind::Unprocessable => "UnprocessableEntityError",
        ErrorKind::RateLimited => "RateLimitError",
        ErrorKind::Server => "ServerError",
        ErrorKind::Timeout => "APITimeoutError",
        ErrorKind::Connection => "APIConnectionError",
        ErrorKind::Decode => "DecodeError",
        ErrorKind::InvoiceFailed => "InvoiceFailedError",
        ErrorKind::WaitTimeout => "WaitTimeoutError",
        ErrorKind::CorrectionRefused => "CorrectionRefusedError",
        _ => "SePayError",
    }
}

fn details(e: &Error) -> Value {
    json!({
        "kind": e.kind().name(),
        "code": e.kind().code(),
        "message": e.message(),
        "status_code": e.status(),
        "api_code": e.api_code(),
        "request_id": e.request_id(),
        "method": e.method(),
        "path": e.path(),
        "field": e.field(),
        "retry_after": e.retry_after().map(|d| d.as_secs_f64()),
        "elapsed": e.elapsed().map(|d| d.as_secs_f64()),
        "attempts": e.attempts(),
        "reference_code": e.reference_code(),
        "tracking_code": e.tracking_code(),
        "job": e.job().and_then(|j| serde_json::to_value(j).ok()),
        "last_status": e.last_status().and_then(|s| serde_json::to_value(s).ok()),
        "retryable": e.is_retryable(),
        "ambiguous": e.is_ambiguous(),
        "problems": e.problems(),
    })
}

fn build(py: Python<'_>, class: &str, text: String, details: Value) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let module = py.import("sepay_einvoice._errors")?;
        let cls = module.getattr(class)?;
        let exc = cls.call_method1("_from_native", (text, details.to_string()))?;
        Ok(PyErr::from_value(exc))
    })();
    made.unwrap_or_else(|e| e)
}

/// The Python exception for a core error.
pub fn to_pyerr(py: Python<'_>, e: &Error) -> PyErr {
    build(py, class_name(e.kind()), e.to_string(), details(e))
}

/// The Python exception for an error that stopped a batch: unusable input or options are a
/// `ValidationError` naming the field; the others a `BatchError` whose `kind` is the batch
/// crate's (`Journal`, `LeaseLost`, `Client`).
pub fn batch_to_pyerr(py: Python<'_>, e: &BatchError) -> PyErr {
    let text = e.message().to_string();
    let (class, kind, code) = match e.kind() {
        BatchErrorKind::InvalidInput => ("ValidationError", "Validation", "VALIDATION"),
        BatchErrorKind::Journal => ("BatchError", "Journal", "BATCH_JOURNAL"),
        BatchErrorKind::LeaseLost => ("BatchError", "LeaseLost", "BATCH_LEASE_LOST"),
        BatchErrorKind::Client => ("BatchError", "Client", "BATCH_CLIENT"),
    };
    let details = json!({
        "kind": kind,
        "code": code,
        "message": text,
        "field": e.field(),
        "attempts": 0,
    });
    build(py, class, text, details)
}

/// A `SePayError` for a Rust panic (a bug): no panic crosses into Python as anything else.
pub fn panic_to_pyerr(py: Python<'_>, payload: &(dyn Any + Send)) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    let text = format!("internal error in sepay-einvoice (please report it): {what}");
    build(
        py,
        "SePayError",
        text.clone(),
        json!({ "kind": "Internal", "message": text, "attempts": 0 }),
    )
}

/// A `SePayError` for a call the SDK cannot run where it was made (kind `Internal`).
pub fn misuse_to_pyerr(py: Python<'_>, text: &str) -> PyErr {
    build(
        py,
        "SePayError",
        text.to_string(),
        json!({ "kind": "Internal", "message": text, "attempts": 0 }),
    )
}

/// Runs `f`, turning a panic into a `SePayError`.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(panic_to_pyerr(py, p.as_ref())),
    }
}
