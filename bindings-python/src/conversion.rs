//! Python values in, results out. Arguments are converted with the field's name in every error
//! (a `ValidationError`, never a `TypeError`/`OverflowError`); requests and stored jobs cross as
//! JSON text that the core reads (and checks) itself; results go back as canonical JSON text,
//! decoded into the typed objects by the Python layer.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString, PyTuple};
use sepay_einvoice::{
    AdjustInvoice, AdjustmentType, CreateInvoice, Error, ErrorKind, Job, JobStatus, ReplaceInvoice,
    WaitOptions,
};
use serde_json::Value;

use crate::errors::{batch_to_pyerr, panic_to_pyerr, to_pyerr};

type Result<T> = sepay_einvoice::Result<T>;

/// A string argument.
pub fn text(v: &Bound<'_, PyAny>, field: &str) -> Result<String> {
    if !v.is_instance_of::<PyString>() {
        return Err(Error::validation(
            field,
            format!("must be a string, got {}", type_name(v)),
        ));
    }
    v.extract::<String>()
        .map_err(|_| Error::validation(field, "is not valid text (it contains a lone surrogate)"))
}

/// An optional string argument (`None` = not given).
pub fn opt_text(v: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<String>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => text(v, field).map(Some),
    }
}

/// An optional whole number of 1 or more (`page`, `per_page`).
pub fn opt_count(v: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<u32>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() {
        return Err(Error::validation(
            field,
            format!("must be a whole number, got {}", type_name(v)),
        ));
    }
    let n: i64 = v
        .extract()
        .map_err(|_| Error::validation(field, "is out of range"))?;
    if n < 0 {
        return Err(Error::validation(field, "must not be negative"));
    }
    u32::try_from(n)
        .map(Some)
        .map_err(|_| Error::validation(field, "is out of range"))
}

/// An optional number of seconds (durations cross as floats, never as text).
pub fn opt_secs(v: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<Duration>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if v.is_instance_of::<PyBool>()
        || !(v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>())
    {
        return Err(Error::validation(
            field,
            format!("must be a number of seconds, got {}", type_name(v)),
        ));
    }
    let f: f64 = v
        .extract()
        .map_err(|_| Error::validation(field, "must be a number of seconds"))?;
    Duration::try_from_secs_f64(f)
        .map(Some)
        .map_err(|_| Error::validation(field, "must be a positive number of seconds"))
}

/// A positive number of bytes (`max_response_bytes`).
pub fn opt_bytes(v: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<usize>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let n: Option<i64> = if v.is_instance_of::<PyBool>() {
        None
    } else {
        v.extract().ok()
    };
    n.and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| Error::validation(field, "must be a positive whole number of bytes"))
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "another type".into())
}

/// JSON text from the Python layer (requests and stored jobs).
pub fn json(text: &str, field: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::validation(
            field,
            format!(
                "is not valid JSON: {}",
                sepay_einvoice::validate::describe_serde_error(&e)
            ),
        )
    })
}

/// A create request (JSON text) sharing the request object's reference-code memory.
pub fn request(text: &str, sent: Option<&sepay_einvoice::SentReference>) -> Result<CreateInvoice> {
    let mut req = CreateInvoice::from_json(json(text, "request")?)?;
    if let Some(s) = sent {
        req.sent_reference = s.shared();
    }
    Ok(req)
}

/// A replacement of `original` by the request (JSON text), sharing its reference-code memory.
pub fn replacement(
    original: &Bound<'_, PyAny>,
    request_json: &str,
    sent: Option<&sepay_einvoice::SentReference>,
) -> Result<ReplaceInvoice> {
    let original = text(original, "original_invoice_reference_code")?;
    Ok(ReplaceInvoice::new(original, request(request_json, sent)?))
}

/// An adjustment of `original` (the core refuses an unknown `adjustment_type`).
pub fn adjustment(
    original: &Bound<'_, PyAny>,
    adjustment_type: &Bound<'_, PyAny>,
    request_json: &str,
    sent: Option<&sepay_einvoice::SentReference>,
) -> Result<AdjustInvoice> {
    let original = text(original, "original_invoice_reference_code")?;
    let kind = AdjustmentType::parse(&text(adjustment_type, "adjustment_type")?);
    Ok(AdjustInvoice::new(
        original,
        kind,
        request(request_json, sent)?,
    ))
}

/// An optional flag (`None` = not given); only `True`/`False` are accepted.
pub fn opt_bool(v: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<bool>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if !v.is_instance_of::<PyBool>() {
        return Err(Error::validation(
            field,
            format!("must be True or False, got {}", type_name(v)),
        ));
    }
    Ok(Some(v.extract::<bool>().unwrap_or_default()))
}

/// A stored job (JSON text); its fields are named `job.*` by the core.
pub fn job(text: &str) -> Result<Job> {
    Job::from_json(json(text, "job")?)
}

/// Wait options from the caller's settings; defaults and the longest-interval rule are the
/// core's. Each status seen is handed to `on_status` as canonical JSON text.
pub fn wait_options(
    timeout: Option<&Bound<'_, PyAny>>,
    poll_interval: Option<&Bound<'_, PyAny>>,
    max_poll_interval: Option<&Bound<'_, PyAny>>,
    on_status: Option<Py<PyAny>>,
) -> Result<WaitOptions> {
    let mut o = WaitOptions::from_parts(
        opt_secs(timeout, "timeout")?,
        opt_secs(poll_interval, "poll_interval")?,
        opt_secs(max_poll_interval, "max_poll_interval")?,
    )?;
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

/// What an operation gives back to Python. Built without the GIL on a runtime thread and turned
/// into Python objects (or the matching exception) once the GIL is held.
pub enum Reply {
    /// Canonical JSON of a model whose class is not registered, decoded by the Python layer.
    Json(String),
    /// A model built as its registered Python class (see build.rs): `(Rust type name, value)`.
    Model(&'static str, Value),
    /// No value (`delete_draft`, the end of an iteration).
    Nothing,
    /// A downloaded file: `(file_type, file_name, content)`.
    File(String, String, Vec<u8>),
    /// A core error.
    Failed(Error),
    /// An error that stopped a batch.
    BatchFailed(sepay_einvoice_batch::BatchError),
    /// A panic payload.
    Panicked(Box<dyn std::any::Any + Send>),
}

impl Reply {
    pub fn json<T: serde::Serialize>(value: &T) -> Reply {
        if let Some(name) =
            crate::build::short_name::<T>().filter(|n| crate::build::is_registered(n))
        {
            return match serde_json::to_value(value) {
                Ok(v) => Reply::Model(name, v),
                Err(e) => Reply::Failed(Error::new(
                    ErrorKind::Decode,
                    format!("could not encode the result: {e}"),
                )),
            };
        }
        match serde_json::to_string(value) {
            Ok(s) => Reply::Json(s),
            Err(e) => Reply::Failed(Error::new(
                ErrorKind::Decode,
                format!("could not encode the result: {e}"),
            )),
        }
    }

    pub fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        match self {
            Reply::Json(s) => Ok(PyString::new(py, &s).into_any()),
            Reply::Model(name, v) => crate::build::model(py, name, &v),
            Reply::Nothing => Ok(py.None().into_bound(py)),
            Reply::File(t, n, c) => Ok(PyTuple::new(
                py,
                [
                    PyString::new(py, &t).into_any(),
                    PyString::new(py, &n).into_any(),
                    PyBytes::new(py, &c).into_any(),
                ],
            )?
            .into_any()),
            Reply::Failed(e) => Err(to_pyerr(py, &e)),
            Reply::BatchFailed(e) => Err(batch_to_pyerr(py, &e)),
            Reply::Panicked(p) => Err(panic_to_pyerr(py, p.as_ref())),
        }
    }
}

impl<'py> IntoPyObject<'py> for Reply {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> std::result::Result<Self::Output, Self::Error> {
        self.into_py(py)
    }
}
