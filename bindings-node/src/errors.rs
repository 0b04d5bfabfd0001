//! Core errors (and panics) → JavaScript. Every rejection is a napi `Error` whose message is
//! [`ERROR_MARK`] followed by a JSON object of the error's fields; the facade turns it into the
//! matching `SePayError` subclass.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use sepay_einvoice as sdk;
use serde_json::{Map, Value};

use crate::conversion::{out, status_out};

/// Prefix of the message of every error this addon rejects with.
pub const ERROR_MARK: &str = "[sepay-einvoice]";

fn ms(d: Duration) -> Value {
    Value::from(d.as_millis() as u64)
}

pub fn error_json(e: &sdk::Error) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            m.insert(k.into(), v);
        }
    };
    put("kind", e.kind().name().into());
    put("code", e.kind().code().into());
    put("message", e.message().into());
    put("display", e.to_string().into());
    put("status", e.status().map(Value::from).unwrap_or(Value::Null));
    put("apiCode", e.api_code().into());
    put("requestId", e.request_id().into());
    put("method", e.method().into());
    put("path", e.path().into());
    put("field", e.field().into());
    put(
        "retryAfterMs",
        e.retry_after().map(ms).unwrap_or(Value::Null),
    );
    put("elapsedMs", e.elapsed().map(ms).unwrap_or(Value::Null));
    put("bodyExcerpt", e.body_excerpt().into());
    put("attempts", e.attempts().into());
    put("referenceCode", e.reference_code().into());
    put("trackingCode", e.tracking_code().into());
    put(
        "job",
        e.job().and_then(|j| out(j).ok()).unwrap_or(Value::Null),
    );
    put(
        "lastStatus",
        e.last_status().map(status_out).unwrap_or(Value::Null),
    );
    put("retryable", e.is_retryable().into());
    put("ambiguous", e.is_ambiguous().into());
    put("problems", out(&e.problems()).unwrap_or(Value::Null));
    Value::Object(m)
}

pub fn marked(v: Value) -> napi::Error {
    napi::Error::from_reason(format!("{ERROR_MARK}{v}"))
}

pub fn to_js_error(e: &sdk::Error) -> napi::Error {
    marked(error_json(e))
}

pub fn validation(field: &str, message: impl Into<String>) -> sdk::Error {
    sdk::Error::validation(field, message)
}

pub fn abort_error() -> napi::Error {
    marked(serde_json::json!({ "kind": "Aborted", "message": "The operation was aborted" }))
}

pub fn panic_error(payload: Box<dyn std::any::Any + Send>) -> napi::Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    marked(serde_json::json!({
        "kind": "Internal",
        "code": "INTERNAL",
        "message": format!("internal error in the sepay-einvoice addon (please report it): {what}"),
    }))
}

/// Runs a synchronous piece of the binding with panics turned into a `SePayError`.
pub fn guard<T>(f: impl FnOnce() -> sdk::Result<T>) -> napi::Result<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_js_error(&e)),
        Err(p) => Err(panic_error(p)),
    }
}
