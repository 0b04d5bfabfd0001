//! The batch runner: journal the rows, then work them with bounded concurrency, recording each
//! step before the next, until every row is done, failed for certain, or left for the next run.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sepay_einvoice::{Client, Error, ErrorKind, Invoice, InvoiceStatus, WaitOptions};
use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::crash;
use crate::error::BatchError;
use crate::journal::{Entry, Event, Journal, Registered, RowState};
use crate::row::{journal_rows, journaled_request, BatchRow};

/// Called after every row that finishes (and once at the start).
pub type ProgressCallback = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How a batch runs.
#[derive(Clone)]
pub struct BatchOptions {
    /// The batch's name: rows are journaled under it (several batches may share a journal).
    pub batch: String,
    /// Rows worked at once (default 8).
    pub concurrency: usize,
    /// Longest one row may take, its wait included (default 10 min); a row past it is left for
    /// the next run, never sent again blindly.
    pub row_timeout: Duration,
    /// How the create jobs are waited for.
    pub wait: WaitOptions,
    /// This worker's name in the journal's leases (default: host, process id and a random tag).
    pub worker: String,
    /// How long a claimed row stays this worker's without being renewed (default 60 s).
    pub lease: Duration,
    /// Tries per row and run before an uncertain row is left for the next run (default 3).
    pub attempts_per_run: u32,
    /// Progress callback.
    pub on_progress: Option<ProgressCallback>,
    /// A row without `reference_code` gets its key as reference code (default: a random UUID,
    /// kept in the journal). With keys that are your order ids this makes "one invoice per
    /// order" hold even across journals (a renamed input file, a lost journal): the API itself
    /// refuses a second invoice with the same code.
    pub reference_from_key: bool,
}

impl BatchOptions {
    /// The defaults, for the batch `name`.
    pub fn new(name: impl Into<String>) -> Self {
        BatchOptions {
            batch: name.into(),
            concurrency: 8,
            row_timeout: Duration::from_secs(600),
            wait: WaitOptions::default(),
            worker: default_worker(),
            lease: Duration::from_secs(60),
            attempts_per_run: 3,
            on_progress: None,
            reference_from_key: false,
        }
    }
}

impl std::fmt::Debug for BatchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchOptions")
            .field("batch", &self.batch)
            .field("concurrency", &self.concurrency)
            .field("row_timeout", &self.row_timeout)
            .field("worker", &self.worker)
            .field("lease", &self.lease)
            .field("attempts_per_run", &self.attempts_per_run)
            .field("reference_from_key", &self.reference_from_key)
            .finish_non_exhaustive()
    }
}

fn default_worker() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    format!("{host}-{}-{tag}", std::process::id())
}

/// How a row ended in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The invoice is made (issued, or a draft when the row asked for one).
    Done,
    /// Refused for certain: no invoice was made (fix the row, then `retry-failed`).
    Failed,
    /// Not known yet (an outage, a deadline): the next run finds out, by reference code.
    Uncertain,
    /// The row changed since it was journaled: not sent (it may already be an invoice).
    Refused,
}

/// A row's error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The SDK's error kind (`Validation`, `Connection`, …), or `Changed`.
    pub kind: String,
    /// What happened.
    pub message: String,
    /// The API's code, when it gave one.
    pub api_code: Option<String>,
}

/// One row's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowResult {
    /// The row's key.
    pub key: String,
    /// The reference code its invoice has (or will have).
    pub reference_code: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The invoice number, once done.
    pub invoice_number: Option<String>,
    /// `issued` or `draft`, once done.
    pub invoice_status: Option<String>,
    /// Link to the PDF, once done.
    pub pdf_url: Option<String>,
    /// The create job's tracking code.
    pub tracking_code: Option<String>,
    /// Why it failed or is uncertain.
    pub error: Option<RowError>,
}

/// Counts so far.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// Rows in the batch.
    pub total: usize,
    /// Rows done (before this run too).
    pub done: usize,
    /// Rows failed for certain.
    pub failed: usize,
    /// Rows left uncertain in this run.
    pub uncertain: usize,
    /// Rows being worked now.
    pub in_flight: usize,
    /// The row that just finished, if any.
    pub row: Option<RowResult>,
}

/// The batch's results.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// The batch's name.
    pub batch: String,
    /// Every row, in input order.
    pub rows: Vec<RowResult>,
    /// Rows done.
    pub done: usize,
    /// Rows failed for certain.
    pub failed: usize,
    /// Rows whose outcome the next run must find out.
    pub uncertain: usize,
    /// Rows refused because they changed since they were journaled.
    pub refused: usize,
}

impl BatchReport {
    /// Whether every row is done.
    pub fn all_done(&self) -> bool {
        self.failed == 0 && self.uncertain == 0 && self.refused == 0
    }
}

/// Journals `rows` under `options.batch` and issues them (see the crate docs for the guarantee).
/// Fails only when the batch cannot run (unusable input, the journal unreachable); each row's
/// own failure is in its result.
pub async fn run(
    client: &Client,
    journal: Arc<Journal>,
    rows: Vec<BatchRow>,
    options: &BatchOptions,
) -> Result<BatchReport, BatchError> {
    check_options(options)?;
    let now = sepay_einvoice::validate::format_issued_date(vietnam_now());
    let new_rows = journal_rows(&rows, &now, options.reference_from_key)?;
    let registered = journal.register(&options.batch, new_rows).await?;
    let mut refused = Vec::new();
    for r in &registered {
        if let Registered::Changed {
            key,
            reference_code,
        } = r
        {
            tracing::warn!(key, "row changed since it was journaled: not sent");
            refused.push(RowResult {
                key: key.clone(),
                reference_code: Some(reference_code.clone()),
                outcome: Outcome::Refused,
                invoice_number: None,
                invoice_status: None,
                pdf_url: None,
                tracking_code: None,
                error: Some(RowError {
                    kind: "Changed".into(),
                    message: format!(
                        "this row changed since it was journaled with reference code {reference_code:?}, and that invoice may exist: restore the row to retry it, or give the changed sale a new key (a correction of an issued invoice is a replacement or an adjustment)"
                    ),
                    api_code: None,
                }),
            });
        }
    }
    // A refused row is reported as refused, not as the journaled row it differs from.
    let keys: HashSet<String> = rows
        .iter()
        .map(|r| r.key.clone())
        .filter(|k| !refused.iter().any(|x| &x.key == k))
        .collect();
    work(client, &journal, options, Some(&keys), refused).await
}

/// Works the rows already journaled under `options.batch` (after `retry-failed`, or on a worker
/// that has no input file).
pub async fn resume(
    client: &Client,
    journal: Arc<Journal>,
    options: &BatchOptions,
) -> Result<BatchReport, BatchError> {
    check_options(options)?;
    work(client, &journal, options, None, Vec::new()).await
}

fn check_options(o: &BatchOptions) -> Result<(), BatchError> {
    if o.batch.trim().is_empty() {
        return Err(BatchError::invalid("batch", "is empty: name the batch"));
    }
    if o.concurrency == 0 || o.concurrency > 1024 {
        return Err(BatchError::invalid(
            "concurrency",
            format!("must be between 1 and 1024, got {}", o.concurrency),
        ));
    }
    if o.lease < Duration::from_secs(1) {
        return Err(BatchError::invalid("lease", "must be at least 1 s"));
    }
    if o.row_timeout.is_zero() {
        return Err(BatchError::invalid(
            "row_timeout",
            "must be greater than zero",
        ));
    }
    Ok(())
}

fn vietnam_now() -> chrono::NaiveDateTime {
    (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::minutes(1)).naive_utc()
}

/// The pause before an uncertain row is tried again in this run.
fn retry_pause(tries: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << tries.min(6)))
}

struct Counts {
    total: usize,
    done: usize,
    failed: usize,
    uncertain: usize,
}

async fn work(
    client: &Client,
    journal: &Arc<Journal>,
    options: &BatchOptions,
    only: Option<&HashSet<String>>,
    refused: Vec<RowResult>,
) -> Result<BatchReport, BatchError> {
    let batch = options.batch.as_str();
    let start = journal.entries(Some(batch)).await?;
    let in_scope = |e: &Entry| only.is_none_or(|k| k.contains(&e.key));
    let mut counts = Counts {
        total: start.iter().filter(|e| in_scope(e)).count() + refused.len(),
        done: start
            .iter()
            .filter(|e| in_scope(e) && e.state == RowState::Done)
            .count(),
        failed: start
            .iter()
            .filter(|e| in_scope(e) && e.state == RowState::Failed)
            .count(),
        uncertain: 0,
    };
    let report = |counts: &Counts, in_flight: usize, row: Option<RowResult>| {
        if let Some(cb) = &options.on_progress {
            cb(&Progress {
                total: counts.total,
                done: counts.done,
                failed: counts.failed,
                uncertain: counts.uncertain,
                in_flight,
                row,
            });
        }
    };
    report(&counts, 0, None);

    let mut tries: HashMap<String, u32> = HashMap::new();
    let mut left: HashSet<String> = HashSet::new();
    let mut uncertain: HashMap<String, RowResult> = HashMap::new();
    let mut tasks: JoinSet<Result<Finished, BatchError>> = JoinSet::new();
    let mut holding: HashSet<String> = HashSet::new();
    let mut renew_at = Instant::now() + options.lease / 3;
    loop {
        // Fill the free slots.
        if tasks.len() < options.concurrency {
            let mut exclude: Vec<String> = left.iter().cloned().collect();
            exclude.extend(holding.iter().cloned());
            let claimed = journal
                .claim(
                    batch,
                    &options.worker,
                    options.concurrency - tasks.len(),
                    options.lease,
                    &exclude,
                )
                .await?;
            for e in claimed {
                if !in_scope(&e) {
                    // Journaled under this batch by another input: not this run's work.
                    journal
                        .record(batch, &e.key, &options.worker, release())
                        .await?;
                    left.insert(e.key.clone());
                    continue;
                }
                holding.insert(e.key.clone());
                let (client, journal, options) = (client.clone(), journal.clone(), options.clone());
                tasks.spawn(async move { process(&client, &journal, &options, e).await });
            }
        }
        if tasks.is_empty() {
            // Nothing claimable: finished, unless rows are held by other workers or waiting for
            // their retry pause.
            let pending: Vec<Entry> = journal
                .entries(Some(batch))
                .await?
                .into_iter()
                .filter(|e| in_scope(e) && !e.state.is_terminal() && !left.contains(&e.key))
                .collect();
            if pending.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let joined = tokio::select! {
            j = tasks.join_next() => j,
            _ = tokio::time::sleep_until(renew_at) => {
                let keys: Vec<String> = holding.iter().cloned().collect();
                journal.renew(batch, &options.worker, &keys, options.lease).await?;
                renew_at = Instant::now() + options.lease / 3;
                continue;
            }
        };
        let Some(joined) = joined else { continue };
        let finished = match joined {
            Ok(r) => r?,
            Err(e) => return Err(BatchError::journal(format!("a row's task failed: {e}"))),
        };
        holding.remove(&finished.key);
        let Some(result) = finished.result else {
            // Another worker holds it now: not this worker's to wait for.
            left.insert(finished.key);
            continue;
        };
        let f = Completed { result };
        match f.result.outcome {
            Outcome::Done => {
                counts.done += 1;
                uncertain.remove(&f.result.key);
            }
            Outcome::Failed => {
                counts.failed += 1;
                uncertain.remove(&f.result.key);
            }
            Outcome::Uncertain => {
                let n = tries.entry(f.result.key.clone()).or_insert(0);
                *n += 1;
                let give_up = *n >= options.attempts_per_run;
                let pause = if give_up {
                    Duration::ZERO
                } else {
                    retry_pause(*n)
                };
                let (kind, message, api_code) = f
                    .result
                    .error
                    .as_ref()
                    .map(|e| (e.kind.clone(), e.message.clone(), e.api_code.clone()))
                    .unwrap_or_default();
                journal
                    .record(
                        batch,
                        &f.result.key,
                        &options.worker,
                        Event::Uncertain {
                            kind,
                            message,
                            api_code,
                            retry_after: pause,
                        },
                    )
                    .await
                    .or_else(lease_lost_is_fine)?;
                if give_up {
                    left.insert(f.result.key.clone());
                    counts.uncertain += 1;
                }
                uncertain.insert(f.result.key.clone(), f.result.clone());
                if !give_up {
                    continue;
                }
            }
            Outcome::Refused => {}
        }
        report(&counts, tasks.len(), Some(f.result));
    }

    // The report: the journal's view of every row in scope, with this run's uncertain errors.
    let entries = journal.entries(Some(batch)).await?;
    let mut rows: Vec<RowResult> = entries
        .iter()
        .filter(|e| in_scope(e))
        .map(|e| match uncertain.get(&e.key) {
            Some(u) if !e.state.is_terminal() => u.clone(),
            _ => from_entry(e),
        })
        .collect();
    let refused_count = refused.len();
    rows.extend(refused);
    let count = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
    Ok(BatchReport {
        batch: batch.to_string(),
        done: count(Outcome::Done),
        failed: count(Outcome::Failed),
        uncertain: count(Outcome::Uncertain),
        refused: refused_count,
        rows,
    })
}

/// An uncertain row's lease given back at once.
fn release() -> Event {
    Event::Uncertain {
        kind: String::new(),
        message: String::new(),
        api_code: None,
        retry_after: Duration::ZERO,
    }
}

/// A row's result as the journal has it.
fn from_entry(e: &Entry) -> RowResult {
    let outcome = match e.state {
        RowState::Done => Outcome::Done,
        RowState::Failed => Outcome::Failed,
        _ => Outcome::Uncertain,
    };
    RowResult {
        key: e.key.clone(),
        reference_code: Some(e.reference_code.clone()),
        outcome,
        invoice_number: e.invoice_number.clone(),
        invoice_status: e.invoice_status.clone(),
        pdf_url: e.pdf_url.clone(),
        tracking_code: e.tracking_code.clone(),
        error: e
            .error_kind
            .as_ref()
            .filter(|k| !k.is_empty())
            .map(|k| RowError {
                kind: k.clone(),
                message: e.error_message.clone().unwrap_or_default(),
                api_code: e.api_code.clone(),
            }),
    }
}

struct Finished {
    key: String,
    /// `None`: another worker took the row over (its lease ran out here).
    result: Option<RowResult>,
}

/// Works one claimed row to its end (or to "uncertain"), recording each step.
async fn process(
    client: &Client,
    journal: &Journal,
    options: &BatchOptions,
    e: Entry,
) -> Result<Finished, BatchError> {
    let key = e.key.clone();
    let base = RowResult {
        key: e.key.clone(),
        reference_code: Some(e.reference_code.clone()),
        outcome: Outcome::Uncertain,
        invoice_number: None,
        invoice_status: None,
        pdf_url: None,
        tracking_code: e.tracking_code.clone(),
        error: None,
    };
    let step = tokio::time::timeout(options.row_timeout, steps(client, journal, options, &e)).await;
    let ended = match step {
        Ok(Ok(ended)) => ended,
        Ok(Err(err)) if err.kind() == crate::BatchErrorKind::LeaseLost => {
            tracing::warn!(key, "{err}");
            return Ok(Finished { key, result: None });
        }
        Ok(Err(err)) => return Err(err),
        Err(_) => Ended::Uncertain(RowError {
            kind: "Timeout".into(),
            message: format!(
                "the row took longer than {:?}; the next run finds out what happened, by reference code {:?}",
                options.row_timeout, e.reference_code
            ),
            api_code: None,
        }),
    };
    let result = match ended {
        Ended::Done(inv, tracking) => {
            let (number, status, pdf) = (
                inv.invoice_number.clone(),
                Some(inv.status.as_str().to_string()),
                inv.pdf_url.clone(),
            );
            journal
                .record(
                    &options.batch,
                    &key,
                    &options.worker,
                    Event::Done {
                        invoice_number: number.clone(),
                        status: status.clone(),
                        pdf_url: pdf.clone(),
                        tracking_code: tracking.clone(),
                    },
                )
                .await
                .or_else(lease_lost_is_fine)?;
            crash::point("done");
            RowResult {
                outcome: Outcome::Done,
                invoice_number: number,
                invoice_status: status,
                pdf_url: pdf,
                tracking_code: tracking.or(base.tracking_code.clone()),
                ..base
            }
        }
        Ended::Failed(err) => {
            journal
                .record(
                    &options.batch,
                    &key,
                    &options.worker,
                    Event::Failed {
                        kind: err.kind.clone(),
                        message: err.message.clone(),
                        api_code: err.api_code.clone(),
                    },
                )
                .await
                .or_else(lease_lost_is_fine)?;
            RowResult {
                outcome: Outcome::Failed,
                error: Some(err),
                ..base
            }
        }
        Ended::Uncertain(err) => RowResult {
            outcome: Outcome::Uncertain,
            error: Some(err),
            ..base
        },
    };
    Ok(Finished {
        key,
        result: Some(result),
    })
}

fn lease_lost_is_fine(e: BatchError) -> Result<(), BatchError> {
    if e.kind() == crate::BatchErrorKind::LeaseLost {
        tracing::warn!("{e}");
        Ok(())
    } else {
        Err(e)
    }
}

/// A row this worker finished.
struct Completed {
    result: RowResult,
}

enum Ended {
    Done(Box<Invoice>, Option<String>),
    Failed(RowError),
    Uncertain(RowError),
}

fn row_error(e: &Error) -> RowError {
    RowError {
        kind: e.kind().name().to_string(),
        message: e.message().to_string(),
        api_code: e.api_code().map(str::to_string),
    }
}

/// Whether an error means no invoice was made for certain (a refusal), as opposed to an unknown
/// outcome to find out later.
fn certain_refusal(e: &Error) -> bool {
    if e.is_ambiguous() {
        return false;
    }
    match e.kind() {
        ErrorKind::Validation
        | ErrorKind::BadRequest
        | ErrorKind::Authentication
        | ErrorKind::PermissionDenied
        | ErrorKind::QuotaExceeded
        | ErrorKind::NotFound
        | ErrorKind::Unprocessable
        | ErrorKind::CorrectionRefused
        | ErrorKind::InvoiceFailed => true,
        // A 409 naming a different invoice is certain; one still being processed is not.
        ErrorKind::Conflict => e.field().is_some(),
        _ => false,
    }
}

fn classify(e: &Error) -> Ended {
    if certain_refusal(e) {
        Ended::Failed(row_error(e))
    } else {
        Ended::Uncertain(row_error(e))
    }
}

/// The row's steps. Journal errors end the batch; API outcomes end the row.
async fn steps(
    client: &Client,
    journal: &Journal,
    options: &BatchOptions,
    e: &Entry,
) -> Result<Ended, BatchError> {
    let may_exist = matches!(e.state, RowState::Sending | RowState::Accepted) || e.attempts > 0;
    let request = match journaled_request(&e.payload) {
        Ok(r) => r,
        // An unreadable journaled request: certain only for a row never sent.
        Err(err) if may_exist => return Ok(Ended::Uncertain(row_error(&err))),
        Err(err) => return Ok(Ended::Failed(row_error(&err))),
    };
    let wants_issue = !request.is_draft;
    // A row that may have been sent before: look it up by its reference code first.
    if may_exist {
        match client.get_invoice(&e.reference_code).await {
            Ok(inv) if inv.status == InvoiceStatus::Issued => {
                return Ok(Ended::Done(Box::new(inv), None));
            }
            Ok(inv) if inv.status == InvoiceStatus::Draft && !wants_issue => {
                return Ok(Ended::Done(Box::new(inv), None));
            }
            // Made as a draft but its signing failed: issue it (same invoice, no second one).
            Ok(inv) if inv.status == InvoiceStatus::Draft => {
                return Ok(
                    match client
                        .issue_invoice_and_wait(&inv.reference_code, options.wait.clone())
                        .await
                    {
                        Ok(issued) => Ended::Done(Box::new(issued), None),
                        // The invoice exists (a refusal may be the first run's issuance still
                        // under way): never "failed", the next run looks again.
                        Err(err) => Ended::Uncertain(row_error(&err)),
                    },
                );
            }
            Ok(inv) => {
                return Ok(Ended::Failed(RowError {
                    kind: "InvoiceFailed".into(),
                    message: format!(
                        "the invoice with this row's reference code is {:?}",
                        inv.status.as_str()
                    ),
                    api_code: None,
                }))
            }
            // Never made (or still being made: the create below meets a 409 and follows it).
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(err) => return Ok(Ended::Uncertain(row_error(&err))),
        }
    }
    journal
        .record(&options.batch, &e.key, &options.worker, Event::Sending)
        .await?;
    crash::point("sending");
    let job = match client.create_invoice(&request).await {
        Ok(job) => job,
        Err(err) => return Ok(classify(&err)),
    };
    crash::point("sent");
    journal
        .record(
            &options.batch,
            &e.key,
            &options.worker,
            Event::Accepted {
                tracking_code: job.tracking_code.clone(),
            },
        )
        .await?;
    crash::point("accepted");
    match client.wait_for_status(&job, options.wait.clone()).await {
        Ok(inv) => Ok(Ended::Done(Box::new(inv), job.tracking_code.clone())),
        Err(err) => Ok(after_acceptance(client, &e.reference_code, &err).await),
    }
}

/// An error once the API has accepted the create: the invoice may exist whatever the error
/// says, so the row is uncertain (found out by the next run) — except a failed job whose
/// invoice is seen not to exist, which is a certain failure.
async fn after_acceptance(client: &Client, reference_code: &str, err: &Error) -> Ended {
    if err.kind() == ErrorKind::InvoiceFailed {
        if let Err(e) = client.get_invoice(reference_code).await {
            if e.kind() == ErrorKind::NotFound {
                return Ended::Failed(row_error(err));
            }
        }
    }
    Ended::Uncertain(row_error(err))
}
