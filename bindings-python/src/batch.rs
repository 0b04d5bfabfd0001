//! The batch runner of `sepay-einvoice-batch`, translated: rows and options in, the report (or
//! the journal's entries) out as JSON text. The journal is opened for one call and closed when
//! it ends; the guarantee (journal before send, reconcile by reference code, refuse a changed
//! row) is entirely the batch crate's.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::prelude::*;
use sepay_einvoice::{Client, Error, WaitOptions};
use sepay_einvoice_batch::{BatchError, BatchOptions, BatchRow, Journal, Progress};

use crate::client::BoxFut;
use crate::conversion::{self as conv, Reply};

type Arg<'py> = Option<Bound<'py, PyAny>>;

/// The options every run takes, as Python gave them.
pub struct RunArgs<'py> {
    pub journal: Bound<'py, PyAny>,
    pub batch: Arg<'py>,
    pub concurrency: Arg<'py>,
    pub draft: Arg<'py>,
    pub row_timeout: Arg<'py>,
    pub wait_timeout: Arg<'py>,
    pub poll_interval: Arg<'py>,
    pub worker: Arg<'py>,
    pub lease: Arg<'py>,
    pub on_progress: Option<Py<PyAny>>,
}

/// What a run needs once converted: the journal's spec, the batch crate's options and the
/// draft override.
pub struct Run {
    pub journal: String,
    pub options: BatchOptions,
    pub draft: Option<bool>,
}

/// The batch's name: `None` is `"default"`.
fn batch_name(v: Option<&Bound<'_, PyAny>>) -> sepay_einvoice::Result<String> {
    Ok(conv::opt_text(v, "batch")?.unwrap_or_else(|| "default".into()))
}

/// A core error about a wait setting, named as the batch option the caller gave.
fn renamed(e: Error, from: &str, to: &str) -> Error {
    match e.field() {
        Some(f) if f == from => {
            let message = e
                .message()
                .strip_prefix(&format!("{f}: "))
                .unwrap_or(e.message());
            Error::validation(to, message)
        }
        _ => e,
    }
}

impl RunArgs<'_> {
    pub fn convert(self) -> sepay_einvoice::Result<Run> {
        let journal = conv::text(&self.journal, "journal")?;
        let mut o = BatchOptions::new(batch_name(self.batch.as_ref())?);
        if let Some(n) = opt_size(self.concurrency.as_ref(), "concurrency")? {
            o.concurrency = n;
        }
        if let Some(d) = conv::opt_secs(self.row_timeout.as_ref(), "row_timeout")? {
            o.row_timeout = d;
        }
        o.wait = WaitOptions::from_parts(
            conv::opt_secs(self.wait_timeout.as_ref(), "wait_timeout")?,
            conv::opt_secs(self.poll_interval.as_ref(), "poll_interval")?,
            None,
        )
        .map_err(|e| renamed(e, "timeout", "wait_timeout"))?;
        if let Some(w) = conv::opt_text(self.worker.as_ref(), "worker")? {
            o.worker = w;
        }
        if let Some(d) = conv::opt_secs(self.lease.as_ref(), "lease")? {
            o.lease = d;
        }
        if let Some(cb) = self.on_progress {
            o.on_progress = Some(progress_callback(cb));
        }
        let draft = conv::opt_bool(self.draft.as_ref(), "draft")?;
        Ok(Run {
            journal,
            options: o,
            draft,
        })
    }
}

/// A whole number of 0 or more (`concurrency`); the batch crate checks its range.
fn opt_size(v: Option<&Bound<'_, PyAny>>, field: &str) -> sepay_einvoice::Result<Option<usize>> {
    Ok(conv::opt_count(v, field)?.map(|n| n as usize))
}

/// Each progress report is handed to `cb` as canonical JSON text, with the GIL taken. The
/// Python layer catches (and logs) what the user's callback raises; anything that still gets
/// here is reported as unraisable, never raised into the batch.
fn progress_callback(cb: Py<PyAny>) -> sepay_einvoice_batch::ProgressCallback {
    let cb = Arc::new(cb);
    Arc::new(move |p: &Progress| {
        let Ok(text) = serde_json::to_string(p) else {
            return;
        };
        Python::attach(|py| {
            if let Err(e) = cb.call1(py, (text,)) {
                e.write_unraisable(py, None);
            }
        });
    })
}

/// A core error about a row's request, with the field named from the batch's root
/// (`rows[3].request.items[0].quantity`).
fn at_row(i: usize, e: Error) -> Error {
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
            Error::validation(path, message)
        }
        None => e,
    }
}

/// The rows: `(key, request as JSON text)` pairs from the Python layer; `draft` overrides every
/// row's `is_draft`.
pub fn rows(
    rows: Vec<(Bound<'_, PyAny>, String)>,
    draft: Option<bool>,
) -> sepay_einvoice::Result<Vec<BatchRow>> {
    rows.into_iter()
        .enumerate()
        .map(|(i, (key, request))| {
            let key = conv::text(&key, &format!("rows[{i}].key"))?;
            let mut req = conv::request(&request, None).map_err(|e| at_row(i, e))?;
            if let Some(d) = draft {
                req.is_draft = d;
            }
            Ok(BatchRow::new(key, req))
        })
        .collect()
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

/// The reply of a batch future, catching panics.
fn reply<T: serde::Serialize + Send + 'static>(
    fut: impl Future<Output = Result<T, BatchError>> + Send + 'static,
) -> BoxFut {
    Box::pin(async move {
        match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
            Ok(Ok(v)) => Reply::json(&v),
            Ok(Err(e)) => Reply::BatchFailed(e),
            Err(p) => Reply::Panicked(p),
        }
    })
}

/// `issue_batch`: journals the rows and issues them.
pub fn issue(client: Client, rows: Vec<BatchRow>, run: Run) -> BoxFut {
    reply(async move {
        let Run {
            journal, options, ..
        } = run;
        with_journal(journal, |j| async move {
            sepay_einvoice_batch::run(&client, j, rows, &options).await
        })
        .await
    })
}

/// `resume_batch` / `retry_failed_batch`: works the rows already journaled (after putting the
/// failed ones back to pending when `retry_failed`).
pub fn resume(client: Client, run: Run, retry_failed: bool) -> BoxFut {
    reply(async move {
        let Run {
            journal, options, ..
        } = run;
        with_journal(journal, |j| async move {
            if retry_failed {
                j.retry_failed(Some(&options.batch)).await?;
            }
            sepay_einvoice_batch::resume(&client, j, &options).await
        })
        .await
    })
}

/// `batch_status`: the journal's rows of `batch` (every batch when `None`).
pub fn status(journal: String, batch: Option<String>) -> BoxFut {
    // Read-only: works beside a running batch, and never creates a journal at a mistyped path.
    reply(async move {
        let j = Journal::open_read_only(&journal).await?;
        j.entries(batch.as_deref()).await
    })
}
