//! The batch runner of `sepay-einvoice-batch`, translated: rows and options in (camelCase), the
//! report or the journal's entries out (camelCase). The journal is opened for one call and
//! closed when it ends; the guarantee (journal before send, reconcile by reference code, refuse
//! a changed row) is entirely the batch crate's.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::Status;
use sepay_einvoice as sdk;
use sepay_einvoice_batch::{
    BatchError, BatchErrorKind, BatchOptions, BatchReport, BatchRow, Journal, Progress,
};
use serde_json::{json, Map, Value};

use crate::conversion::{
    create_request, opt_bool, opt_duration, opt_object, opt_string, opt_u32, out,
};
use crate::errors::{marked, to_js_error, validation};

/// The `onProgress` callback: called (never waited on) with each progress report, camelCased.
/// Weak, so it never keeps the event loop alive on its own.
pub type ProgressFn = ThreadsafeFunction<Value, UnknownReturnValue, Value, Status, false, true>;

/// What a run needs once converted.
pub struct Run {
    journal: String,
    options: BatchOptions,
    draft: Option<bool>,
    sink: Option<Arc<ProgressFn>>,
}

/// A core error about a wait setting, named as the batch option the caller gave.
fn renamed(e: sdk::Error, from: &str, to: &str) -> sdk::Error {
    match e.field() {
        Some(f) if f == from => {
            let message = e
                .message()
                .strip_prefix(&format!("{f}: "))
                .unwrap_or(e.message());
            validation(to, message)
        }
        _ => e,
    }
}

/// The options of a run: `{ journal, batch, concurrency, draft, rowTimeoutMs, waitTimeoutMs,
/// pollIntervalMs, worker, leaseMs }` (the facade takes `onProgress` and `signal` out).
pub fn run_options(v: Option<Value>, on_progress: Option<ProgressFn>) -> sdk::Result<Run> {
    let m = opt_object(v, "options")?;
    let journal = opt_string(&m, "journal", "journal")?
        .ok_or_else(|| validation("journal", "is required: sqlite:PATH or postgres://…"))?;
    let batch = opt_string(&m, "batch", "batch")?.unwrap_or_else(|| "default".into());
    let mut o = BatchOptions::new(batch);
    if let Some(n) = opt_u32(&m, "concurrency", "concurrency")? {
        o.concurrency = n as usize;
    }
    if let Some(d) = opt_duration(&m, "rowTimeoutMs", "row_timeout")? {
        o.row_timeout = d;
    }
    o.wait = sdk::WaitOptions::from_parts(
        opt_duration(&m, "waitTimeoutMs", "wait_timeout")?,
        opt_duration(&m, "pollIntervalMs", "poll_interval")?,
        None,
    )
    .map_err(|e| renamed(e, "timeout", "wait_timeout"))?;
    if let Some(w) = opt_string(&m, "worker", "worker")? {
        o.worker = w;
    }
    if let Some(d) = opt_duration(&m, "leaseMs", "lease")? {
        o.lease = d;
    }
    let sink = on_progress.map(Arc::new);
    if let Some(f) = sink.clone() {
        o.on_progress = Some(Arc::new(move |p: &Progress| {
            if let Ok(v) = out(p) {
                f.call(v, ThreadsafeFunctionCallMode::NonBlocking);
            }
        }));
    }
    Ok(Run {
        journal,
        options: o,
        draft: opt_bool(&m, "draft", "draft")?,
        sink,
    })
}

/// A core error about a row's request, with the field named from the batch's root
/// (`rows[3].request.items[0].quantity`).
fn at_row(i: usize, e: sdk::Error) -> sdk::Error {
    match e.field() {
        Some(f) => {
            let message = e
                .message()
                .strip_prefix(&format!("{f}: "))
                .unwrap_or(e.message());
            let path = if f == "request" {
                format!("rows[{i}].request")
            } else {
                format!("rows[{i}].request.{f}")
            };
            validation(&path, message)
        }
        None => e,
    }
}

/// The rows: `[{ key, request }]` from the facade; `draft` overrides every row's `is_draft`.
pub fn rows(v: Option<Value>, draft: Option<bool>) -> sdk::Result<Vec<BatchRow>> {
    let Some(Value::Array(rows)) = v else {
        return Err(validation("rows", "must be an array of rows"));
    };
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let Value::Object(mut m) = row else {
                return Err(validation(
                    &format!("rows[{i}]"),
                    "must be a [key, request] pair or a { key, request } object",
                ));
            };
            let key = match m.remove("key") {
                Some(Value::String(k)) => k,
                _ => {
                    return Err(validation(&format!("rows[{i}].key"), "must be a string"));
                }
            };
            let mut req = create_request(m.remove("request")).map_err(|e| at_row(i, e))?;
            if let Some(d) = draft {
                req.is_draft = d;
            }
            Ok(BatchRow::new(key, req))
        })
        .collect()
}

/// The JavaScript error for an error that stopped a batch: unusable input or options are a
/// `ValidationError` naming the field; the others a `BatchError` whose `kind` is the batch
/// crate's (`Journal`, `LeaseLost`, `Client`).
pub fn batch_error(e: &BatchError) -> napi::Error {
    let (kind, code) = match e.kind() {
        BatchErrorKind::InvalidInput => ("Validation", "VALIDATION"),
        BatchErrorKind::Journal => ("Journal", "BATCH_JOURNAL"),
        BatchErrorKind::LeaseLost => ("LeaseLost", "BATCH_LEASE_LOST"),
        BatchErrorKind::Client => ("Client", "BATCH_CLIENT"),
    };
    let mut m = Map::new();
    m.insert("kind".into(), kind.into());
    m.insert("code".into(), code.into());
    m.insert("message".into(), e.message().into());
    m.insert("display".into(), e.message().into());
    m.insert("attempts".into(), 0.into());
    if let Some(f) = e.field() {
        m.insert("field".into(), f.into());
    }
    marked(Value::Object(m))
}

/// Runs `work` on a journal opened from `spec`, closing the journal before answering (a SQLite
/// journal is locked while open: a later call in this process must be able to open it again).
async fn with_journal<T, F, Fut>(spec: String, work: F) -> Result<T, BatchError>
where
    F: FnOnce(Arc<Journal>) -> Fut,
    Fut: Future<Output = Result<T, BatchError>>,
{
    let journal = Arc::new(Journal::open(&spec).await?);
    let result = work(journal.clone()).await;
    // Rows' tasks of a run that stopped early are being cancelled: wait (a little) until they
    // let go of the journal.
    for _ in 0..500 {
        if Arc::strong_count(&journal) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(journal);
    result
}

/// Waits until every progress report already sent to `onProgress` has been delivered (calls on
/// one threadsafe function run in order; the facade ignores the final `null`).
async fn flush(sink: &Option<Arc<ProgressFn>>) {
    if let Some(f) = sink {
        let _ = f.call_async_catch(Value::Null).await;
    }
}

/// The report for JavaScript, with `allDone` (the batch crate's `all_done`).
fn report_out(r: &BatchReport) -> napi::Result<Value> {
    let mut v = out(r).map_err(|e| to_js_error(&e))?;
    if let Value::Object(m) = &mut v {
        m.insert("allDone".into(), json!(r.all_done()));
    }
    Ok(v)
}

/// `issueBatch`: journals the rows and issues them.
pub async fn issue(client: sdk::Client, rows: Vec<BatchRow>, run: Run) -> napi::Result<Value> {
    let Run {
        journal,
        options,
        sink,
        ..
    } = run;
    let r = with_journal(journal, |j| async move {
        sepay_einvoice_batch::run(&client, j, rows, &options).await
    })
    .await;
    flush(&sink).await;
    report_out(&r.map_err(|e| batch_error(&e))?)
}

/// `resumeBatch` / `retryFailedBatch`: works the rows already journaled (after putting the
/// failed ones back to pending when `retry_failed`).
pub async fn resume(client: sdk::Client, run: Run, retry_failed: bool) -> napi::Result<Value> {
    let Run {
        journal,
        options,
        sink,
        ..
    } = run;
    let r = with_journal(journal, |j| async move {
        if retry_failed {
            j.retry_failed(Some(&options.batch)).await?;
        }
        sepay_einvoice_batch::resume(&client, j, &options).await
    })
    .await;
    flush(&sink).await;
    report_out(&r.map_err(|e| batch_error(&e))?)
}

/// `batchStatus`: the journal's rows of `batch` (every batch when `None`).
pub async fn status(journal: String, batch: Option<String>) -> napi::Result<Value> {
    // Read-only: works beside a running batch, and never creates a journal at a mistyped path.
    let read = async {
        let j = Journal::open_read_only(&journal).await?;
        j.entries(batch.as_deref()).await
    };
    let entries = read.await.map_err(|e| batch_error(&e))?;
    out(&entries).map_err(|e| to_js_error(&e))
}

impl Run {
    /// The draft override (`issueBatch` only).
    pub fn draft(&self) -> Option<bool> {
        self.draft
    }
}
