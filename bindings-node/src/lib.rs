//! Node.js binding of the `sepay-einvoice` core (napi-rs).
//!
//! This crate only translates: JavaScript values in, the core's canonical JSON out, with keys
//! turned from the API's snake_case into camelCase and back. Retries, validation, waiting and
//! pagination all live in the core. The public JavaScript API is the hand-written facade
//! (`index.cjs` / `index.mjs` / `index.d.ts`) over the generated loader (`native.js`).
//!
//! Errors cross into JavaScript as a napi `Error` whose message is [`ERROR_MARK`] followed by a
//! JSON object of the error's fields; the facade turns it into the matching `SePayError` subclass.
//! Cancellation: every async method takes an optional [`CancelHandle`] that the facade triggers
//! from an `AbortSignal`; the core future is raced against it and dropped on abort, which stops
//! the polling and the request in flight.
#![deny(clippy::all)]

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Once};
use std::time::Duration;

use futures_util::FutureExt;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi_derive::napi;
use sepay_einvoice as sdk;
use serde_json::{Map, Value};
use tokio::sync::watch;

/// Prefix of the message of every error this addon rejects with.
const ERROR_MARK: &str = "[sepay-einvoice]";

/// The `onStatus` callback: called (never waited on) with each status, camelCased. Weak, so it
/// never keeps the event loop alive on its own.
type StatusFn = ThreadsafeFunction<Value, UnknownReturnValue, Value, Status, false, true>;

// ---------------------------------------------------------------------------------------------
// Key case translation
// ---------------------------------------------------------------------------------------------

fn camel_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut up = false;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn snake_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn map_keys(v: Value, f: fn(&str) -> String) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (f(&k), map_keys(v, f)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| map_keys(v, f)).collect()),
        other => other,
    }
}

/// Canonical JSON (snake_case) → what JavaScript sees (camelCase).
fn camelize(v: Value) -> Value {
    map_keys(v, camel_key)
}

/// JavaScript input (camelCase, or already snake_case) → the API's names.
fn snakeize(v: Value) -> Value {
    map_keys(v, snake_key)
}

fn out<T: serde::Serialize>(v: &T) -> sdk::Result<Value> {
    serde_json::to_value(v)
        .map(camelize)
        .map_err(|e| sdk::Error::new(sdk::ErrorKind::Decode, e.to_string()))
}

/// A job status for JavaScript: `{ state, message, referenceCode, invoice }` (the canonical JSON
/// calls the state `status`; DESIGN.md's `JobStatus` calls it `state`).
fn status_out(s: &sdk::JobStatus) -> Value {
    let mut v = serde_json::to_value(s).map(camelize).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        if let Some(state) = m.remove("status") {
            m.insert("state".into(), state);
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

fn ms(d: Duration) -> Value {
    Value::from(d.as_millis() as u64)
}

fn error_json(e: &sdk::Error) -> Value {
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
    Value::Object(m)
}

fn marked(v: Value) -> napi::Error {
    napi::Error::from_reason(format!("{ERROR_MARK}{v}"))
}

fn to_js_error(e: &sdk::Error) -> napi::Error {
    marked(error_json(e))
}

fn validation(field: &str, message: impl Into<String>) -> sdk::Error {
    sdk::Error::validation(field, message)
}

fn abort_error() -> napi::Error {
    marked(serde_json::json!({ "kind": "Aborted", "message": "The operation was aborted" }))
}

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> napi::Error {
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
fn guard<T>(f: impl FnOnce() -> sdk::Result<T>) -> napi::Result<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_js_error(&e)),
        Err(p) => Err(panic_error(p)),
    }
}

// ---------------------------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------------------------

/// A cancel switch for one call. The facade creates one per call that has an `AbortSignal` and
/// calls `cancel()` when the signal aborts.
#[napi]
pub struct CancelHandle {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for CancelHandle {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl CancelHandle {
    #[napi(constructor)]
    pub fn new() -> Self {
        let (tx, _rx) = watch::channel(false);
        CancelHandle { tx: Arc::new(tx) }
    }

    /// Cancels the call: its promise rejects with an AbortError and the work in flight stops.
    #[napi]
    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    /// Whether `cancel()` was called.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        *self.tx.borrow()
    }
}

async fn cancelled(mut rx: watch::Receiver<bool>) {
    if rx.wait_for(|v| *v).await.is_err() {
        // The handle is gone without cancelling: never fires.
        std::future::pending::<()>().await;
    }
}

/// Spawns `fut` on the addon's runtime and returns its promise. The future is raced against the
/// cancel handle (dropping it on abort) and panics become a `SePayError`.
fn spawn<'e, T, F>(
    env: &'e Env,
    cancel: Option<&CancelHandle>,
    fut: F,
) -> napi::Result<PromiseRaw<'e, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = sdk::Result<T>> + Send + 'static,
{
    let rx = cancel.map(|c| c.tx.subscribe());
    env.spawn_future(async move {
        let guarded = AssertUnwindSafe(fut).catch_unwind();
        let result = match rx {
            Some(rx) => {
                tokio::select! {
                    biased;
                    _ = cancelled(rx) => return Err(abort_error()),
                    r = guarded => r,
                }
            }
            None => guarded.await,
        };
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(to_js_error(&e)),
            Err(p) => Err(panic_error(p)),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Input translation
// ---------------------------------------------------------------------------------------------

fn opt_object(v: Option<Value>, what: &str) -> sdk::Result<Map<String, Value>> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(validation(what, "must be an object")),
    }
}

fn opt_u32(m: &Map<String, Value>, key: &str, field: &str) -> sdk::Result<Option<u32>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| validation(field, "must be a whole number")),
    }
}

fn opt_bytes(m: &Map<String, Value>, key: &str, field: &str) -> sdk::Result<Option<usize>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f <= 9.0e15)
                    .map(|f| f as u64)
            })
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| validation(field, "must be a positive whole number of bytes")),
    }
}

fn opt_duration(m: &Map<String, Value>, key: &str, field: &str) -> sdk::Result<Option<Duration>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v
            .as_f64()
            .and_then(|f| Duration::try_from_secs_f64(f / 1000.0).ok())
        {
            Some(d) => Ok(Some(d)),
            None => Err(validation(field, "must be a number of milliseconds")),
        },
    }
}

fn opt_string(m: &Map<String, Value>, key: &str, field: &str) -> sdk::Result<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(validation(field, "must be a string")),
    }
}

fn list_params(v: Option<Value>) -> sdk::Result<sdk::ListParams> {
    let m = opt_object(v, "params")?;
    Ok(sdk::ListParams {
        page: opt_u32(&m, "page", "page")?,
        per_page: opt_u32(&m, "perPage", "per_page")?.or(opt_u32(&m, "per_page", "per_page")?),
    })
}

fn list_invoices_params(v: Option<Value>) -> sdk::Result<sdk::ListInvoicesParams> {
    let m = opt_object(v, "params")?;
    Ok(sdk::ListInvoicesParams {
        page: opt_u32(&m, "page", "page")?,
        per_page: opt_u32(&m, "perPage", "per_page")?.or(opt_u32(&m, "per_page", "per_page")?),
        source: opt_string(&m, "source", "source")?.map(|s| sdk::Source::parse(&s)),
    })
}

/// The `onStatus` callback of one wait, kept so the wait can flush it before settling.
type StatusSink = Option<Arc<StatusFn>>;

/// Waits until every status already sent to `onStatus` has been delivered: calls on one
/// threadsafe function run in order, so a last (ignored) `null` call that returns proves the
/// earlier ones ran. Without it the promise could settle before the last status is seen.
async fn flush(sink: &StatusSink) {
    if let Some(f) = sink {
        let _ = f.call_async_catch(Value::Null).await;
    }
}

fn wait_options(
    v: Option<Value>,
    on_status: Option<StatusFn>,
) -> sdk::Result<(sdk::WaitOptions, StatusSink)> {
    let m = opt_object(v, "options")?;
    let mut o = sdk::WaitOptions::default();
    if let Some(d) = opt_duration(&m, "timeoutMs", "timeout")? {
        o.timeout = d;
    }
    if let Some(d) = opt_duration(&m, "pollIntervalMs", "poll_interval")? {
        o.poll_interval = d;
        if o.max_poll_interval < d && !m.contains_key("maxPollIntervalMs") {
            o.max_poll_interval = d;
        }
    }
    if let Some(d) = opt_duration(&m, "maxPollIntervalMs", "max_poll_interval")? {
        o.max_poll_interval = d;
    }
    let sink = on_status.map(Arc::new);
    if let Some(f) = sink.clone() {
        o.on_status = Some(Arc::new(move |s: &sdk::JobStatus| {
            f.call(status_out(s), ThreadsafeFunctionCallMode::NonBlocking);
        }));
    }
    Ok((o, sink))
}

fn create_request(v: Option<Value>) -> sdk::Result<sdk::CreateInvoice> {
    let v = v.unwrap_or(Value::Null);
    if !v.is_object() {
        return Err(validation("request", "must be an object"));
    }
    sdk::CreateInvoice::from_json(snakeize(v))
}

/// The create request, sharing the memory of the JavaScript request object's reference code
/// (so sending the same object again reuses it, even after an aborted call).
fn create_request_sent(
    v: Option<Value>,
    sent: Option<&SentReference>,
) -> sdk::Result<sdk::CreateInvoice> {
    let mut req = create_request(v)?;
    if let Some(s) = sent {
        req.sent_reference = s.inner.shared();
    }
    Ok(req)
}

fn job_input(v: Option<Value>) -> sdk::Result<sdk::Job> {
    let v = v.unwrap_or(Value::Null);
    if !v.is_object() {
        return Err(validation("job", "must be an object"));
    }
    sdk::Job::from_json(snakeize(v)).map_err(|e| {
        // Field paths of a job are reported relative to the job.
        match e.field() {
            Some(f) if e.kind() == sdk::ErrorKind::Validation && !f.starts_with("job") => {
                validation(&format!("job.{f}"), strip_field(e.message(), f))
            }
            _ => e,
        }
    })
}

fn strip_field(message: &str, field: &str) -> String {
    message
        .strip_prefix(&format!("{field}: "))
        .unwrap_or(message)
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------------------------

/// Sends the core's `tracing` events (already masked) to stderr when `SEPAY_EINVOICE_LOG` is set:
/// a level (`debug`) applies to the SDK; anything else is an `EnvFilter` directive.
fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(raw) = std::env::var("SEPAY_EINVOICE_LOG") else {
            return;
        };
        let raw = raw.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("off") {
            return;
        }
        let level = ["trace", "debug", "info", "warn", "error"]
            .iter()
            .find(|l| raw.eq_ignore_ascii_case(l));
        let directive = match level {
            Some(l) => format!("sepay_einvoice={l},sepay_einvoice_node={l}"),
            None => raw.to_string(),
        };
        let filter = tracing_subscriber::EnvFilter::try_new(&directive)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("sepay_einvoice=debug"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    });
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/// The native client. Use the facade's `Client` (camelCase options, AbortSignal, error classes).
#[napi]
pub struct NativeClient {
    inner: sdk::Client,
}

/// A downloaded file.
#[napi(object)]
pub struct NativeFile {
    pub file_type: String,
    pub file_name: String,
    pub content: Buffer,
}

#[napi]
impl NativeClient {
    /// `options`: `{ clientId, clientSecret, environment, baseUrl, timeoutMs, connectTimeoutMs,
    /// callTimeoutMs, maxRetries, appInfo }`; unset values fall back to the environment.
    /// `binding` names the binding in the User-Agent (`node/20.20.2`).
    #[napi(constructor)]
    pub fn new(options: Option<Value>, binding: Option<String>) -> napi::Result<Self> {
        init_logging();
        guard(|| {
            let m = opt_object(options, "options")?;
            let mut b = sdk::Client::builder().binding(binding.unwrap_or_else(|| "node".into()));
            if let Some(v) = opt_string(&m, "clientId", "client_id")? {
                b = b.client_id(v);
            }
            if let Some(v) = opt_string(&m, "clientSecret", "client_secret")? {
                b = b.client_secret(v);
            }
            if let Some(v) = opt_string(&m, "environment", "environment")? {
                b = b.environment(v.parse()?);
            }
            if let Some(v) = opt_string(&m, "baseUrl", "base_url")? {
                b = b.base_url(v);
            }
            if let Some(v) = opt_string(&m, "appInfo", "app_info")? {
                b = b.app_info(v);
            }
            if let Some(d) = opt_duration(&m, "timeoutMs", "timeout")? {
                b = b.timeout(d);
            }
            if let Some(d) = opt_duration(&m, "connectTimeoutMs", "connect_timeout")? {
                b = b.connect_timeout(d);
            }
            if let Some(d) = opt_duration(&m, "callTimeoutMs", "call_timeout")? {
                b = b.call_timeout(d);
            }
            if let Some(n) = opt_u32(&m, "maxRetries", "max_retries")? {
                b = b.max_retries(n);
            }
            if let Some(n) = opt_bytes(&m, "maxResponseBytes", "max_response_bytes")? {
                b = b.max_response_bytes(n);
            }
            if let Some(n) = opt_bytes(&m, "maxDownloadBytes", "max_download_bytes")? {
                b = b.max_download_bytes(n);
            }
            Ok(NativeClient { inner: b.build()? })
        })
    }

    /// The base URL requests go to.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn authenticate<'e>(
        &self,
        env: &'e Env,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move { out(&c.authenticate().await?) })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn list_provider_accounts<'e>(
        &self,
        env: &'e Env,
        params: Option<Value>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let p = list_params(params)?;
            out(&c.list_provider_accounts(&p).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_provider_account<'e>(
        &self,
        env: &'e Env,
        id: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            out(&c.get_provider_account(&id).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn create_invoice<'e>(
        &self,
        env: &'e Env,
        request: Option<Value>,
        sent: Option<&SentReference>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        // Built here, synchronously: the code is claimed in `sent` before the promise exists.
        let req = create_request_sent(request, sent);
        spawn(env, cancel, async move {
            let req = req?;
            out(&c.create_invoice(&req).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn issue_invoice<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            out(&c.issue_invoice(&reference_code).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn check_status<'e>(
        &self,
        env: &'e Env,
        job: Option<Value>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let job = job_input(job)?;
            Ok(status_out(&c.check_status(&job).await?))
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn wait_for_status<'e>(
        &self,
        env: &'e Env,
        job: Option<Value>,
        options: Option<Value>,
        #[napi(ts_arg_type = "((status: any) => void) | undefined | null")] on_status: Option<
            StatusFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let job = job_input(job)?;
            let (o, sink) = wait_options(options, on_status)?;
            let r = c.wait_for_status(&job, o).await;
            flush(&sink).await;
            out(&r?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn create_invoice_and_wait<'e>(
        &self,
        env: &'e Env,
        request: Option<Value>,
        sent: Option<&SentReference>,
        options: Option<Value>,
        #[napi(ts_arg_type = "((status: any) => void) | undefined | null")] on_status: Option<
            StatusFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        let req = create_request_sent(request, sent);
        spawn(env, cancel, async move {
            let req = req?;
            let (o, sink) = wait_options(options, on_status)?;
            let r = c.create_invoice_and_wait(&req, o).await;
            flush(&sink).await;
            out(&r?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn issue_invoice_and_wait<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        options: Option<Value>,
        #[napi(ts_arg_type = "((status: any) => void) | undefined | null")] on_status: Option<
            StatusFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let (o, sink) = wait_options(options, on_status)?;
            let r = c.issue_invoice_and_wait(&reference_code, o).await;
            flush(&sink).await;
            out(&r?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_invoice<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            out(&c.get_invoice(&reference_code).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn list_invoices<'e>(
        &self,
        env: &'e Env,
        params: Option<Value>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let p = list_invoices_params(params)?;
            out(&c.list_invoices(&p).await?)
        })
    }

    /// Every invoice, page after page (the core's `iter_invoices`).
    #[napi]
    pub fn iter_invoices(&self, params: Option<Value>) -> napi::Result<InvoiceIterator> {
        guard(|| {
            let p = list_invoices_params(params)?;
            Ok(InvoiceIterator {
                stream: Arc::new(tokio::sync::Mutex::new(self.inner.iter_invoices(&p))),
            })
        })
    }

    #[napi(ts_return_type = "Promise<NativeFile>")]
    pub fn download_invoice<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        file_type: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, NativeFile>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let ft: sdk::FileType = file_type.parse()?;
            let f = c.download_invoice(&reference_code, ft).await?;
            Ok(NativeFile {
                file_type: f.file_type.as_str().to_string(),
                file_name: f.file_name,
                content: f.content.into(),
            })
        })
    }

    #[napi(ts_return_type = "Promise<null>")]
    pub fn delete_draft<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            c.delete_draft(&reference_code).await?;
            Ok(Value::Null)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_usage<'e>(
        &self,
        env: &'e Env,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move { out(&c.get_usage().await?) })
    }
}

/// The memory a JavaScript request object keeps of the reference code it was sent with (the
/// facade keys it by the object in a `WeakMap`): the core's own `SentReference`, in which the
/// core claims the code before anything is sent.
#[napi]
pub struct SentReference {
    inner: sdk::SentReference,
}

impl Default for SentReference {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl SentReference {
    #[napi(constructor)]
    pub fn new() -> Self {
        SentReference {
            inner: sdk::SentReference::default(),
        }
    }

    /// The code, once the object has been sent.
    #[napi(getter)]
    pub fn code(&self) -> Option<String> {
        self.inner.get()
    }

    /// Forgets the code: the next send takes a new one.
    #[napi]
    pub fn forget(&self) {
        self.inner.forget();
    }
}

/// The async iterator behind `client.iterInvoices()`.
#[napi]
pub struct InvoiceIterator {
    stream: Arc<tokio::sync::Mutex<sdk::InvoiceStream>>,
}

#[napi]
impl InvoiceIterator {
    /// The next invoice, or `null` after the last one.
    #[napi(ts_return_type = "Promise<any | null>")]
    pub fn next_invoice<'e>(
        &self,
        env: &'e Env,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let s = self.stream.clone();
        spawn(env, cancel, async move {
            let mut s = s.lock().await;
            match s.next_invoice().await {
                None => Ok(Value::Null),
                Some(r) => out(&r?),
            }
        })
    }
}

/// Local preview of the totals the API will compute for a create request (no request is sent).
#[napi(ts_return_type = "any")]
pub fn totals(request: Option<Value>) -> napi::Result<Value> {
    guard(|| out(&create_request(request)?.totals()))
}

/// The core's version.
#[napi]
pub fn core_version() -> String {
    sdk::VERSION.to_string()
}

/// Test hook: panics inside the addon (synchronously, or inside an async call when `in_async`),
/// to check that a panic reaches JavaScript only as an "Internal" error.
#[doc(hidden)]
#[napi(js_name = "__panicForTests", ts_return_type = "Promise<never>")]
pub fn panic_for_tests<'e>(env: &'e Env, in_async: bool) -> napi::Result<PromiseRaw<'e, Value>> {
    if !in_async {
        guard::<()>(|| panic!("test panic (sync)"))?;
    }
    spawn(env, None, async {
        if std::hint::black_box(true) {
            panic!("test panic (async)");
        }
        Ok(Value::Null)
    })
}
