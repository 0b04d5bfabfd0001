//! The durable journal: one row per batch row, written **before** each step that could create
//! an invoice and after each step that learned something, so a re-run knows which invoices may
//! exist. Two stores share one schema and one set of operations: SQLite (one file, one process
//! at a time) and PostgreSQL (several workers on several machines, rows claimed with leases).

mod postgres;
mod sql;
mod sqlite;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use postgres::PgJournal;
pub use sqlite::SqliteJournal;

use crate::error::BatchError;

/// Where a journaled row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowState {
    /// Journaled, never sent: no invoice can exist.
    Pending,
    /// About to be sent, or sent without an answer recorded: the invoice **may** exist.
    Sending,
    /// The API accepted the create: the invoice exists or is being made.
    Accepted,
    /// The invoice is made (issued, or a draft when the row asked for one).
    Done,
    /// Refused for certain: no invoice exists (`batch retry-failed` sends it again).
    Failed,
}

impl RowState {
    /// The name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Pending => "pending",
            RowState::Sending => "sending",
            RowState::Accepted => "accepted",
            RowState::Done => "done",
            RowState::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<RowState, BatchError> {
        Ok(match s {
            "pending" => RowState::Pending,
            "sending" => RowState::Sending,
            "accepted" => RowState::Accepted,
            "done" => RowState::Done,
            "failed" => RowState::Failed,
            other => {
                return Err(BatchError::journal(format!(
                    "the journal holds an unknown row state {other:?}"
                )))
            }
        })
    }

    /// Whether the row needs no more work.
    pub fn is_terminal(self) -> bool {
        matches!(self, RowState::Done | RowState::Failed)
    }
}

/// One journaled row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The batch it belongs to (several batches may share a journal).
    pub batch: String,
    /// The row's key (unique in its batch).
    pub key: String,
    /// Its place in the input.
    pub seq: i64,
    /// The reference code its invoice is created with, chosen when it was first journaled.
    pub reference_code: String,
    /// SHA-256 of the row as given, to refuse a row that changed between runs.
    pub payload_hash: String,
    /// The create request sent for it (JSON, with its reference code and date filled in).
    #[serde(skip)]
    pub payload: String,
    /// Where it stands.
    pub state: RowState,
    /// The create job's tracking code, once accepted.
    pub tracking_code: Option<String>,
    /// The invoice number, once done.
    pub invoice_number: Option<String>,
    /// The invoice's status (`issued` or `draft`), once done.
    pub invoice_status: Option<String>,
    /// Link to the PDF, once done.
    pub pdf_url: Option<String>,
    /// The last error's kind (`Validation`, `Connection`, …).
    pub error_kind: Option<String>,
    /// The last error's message.
    pub error_message: Option<String>,
    /// The last error's API code.
    pub api_code: Option<String>,
    /// How many times a create was sent for it.
    pub attempts: i64,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// A row to journal.
#[derive(Debug, Clone)]
pub(crate) struct NewRow {
    pub key: String,
    pub seq: i64,
    pub reference_code: String,
    pub payload_hash: String,
    pub payload: String,
}

/// What registering a row found.
#[derive(Debug, Clone)]
pub(crate) enum Registered {
    /// Journaled now or before, with the same payload.
    Journaled,
    /// Journaled before with another payload: refused (never re-issued silently).
    Changed {
        /// The row's key.
        key: String,
        /// The reference code it was journaled with.
        reference_code: String,
    },
}

/// A step to record.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// About to send the create (counts an attempt).
    Sending,
    /// The API accepted it.
    Accepted { tracking_code: Option<String> },
    /// The invoice is made.
    Done {
        invoice_number: Option<String>,
        status: Option<String>,
        pdf_url: Option<String>,
        tracking_code: Option<String>,
    },
    /// Refused for certain: nothing exists.
    Failed {
        kind: String,
        message: String,
        api_code: Option<String>,
    },
    /// The outcome is unknown: the state stays, the error is kept, the lease is released so the
    /// row is tried again after `retry_after`.
    Uncertain {
        kind: String,
        message: String,
        api_code: Option<String>,
        retry_after: Duration,
    },
}

/// A journal.
pub enum Journal {
    /// One SQLite file.
    Sqlite(SqliteJournal),
    /// A PostgreSQL database.
    Postgres(PgJournal),
}

impl Journal {
    /// Opens `spec`: `sqlite:PATH` (or a path), or `postgres://…` / `postgresql://…`.
    pub async fn open(spec: &str) -> Result<Journal, BatchError> {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            return Ok(Journal::Postgres(PgJournal::open(spec).await?));
        }
        let path = spec.strip_prefix("sqlite:").unwrap_or(spec);
        if path.is_empty() {
            return Err(BatchError::invalid(
                "journal",
                "is empty: give sqlite:PATH or postgres://…",
            ));
        }
        Ok(Journal::Sqlite(SqliteJournal::open(path.as_ref()).await?))
    }

    /// Opens `spec` to read it only (`batch status` while a batch runs): a SQLite journal is
    /// opened read-only without taking its lock; a PostgreSQL one as usual.
    pub async fn open_read_only(spec: &str) -> Result<Journal, BatchError> {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            return Ok(Journal::Postgres(PgJournal::open(spec).await?));
        }
        let path = spec.strip_prefix("sqlite:").unwrap_or(spec);
        Ok(Journal::Sqlite(
            SqliteJournal::open_read_only(path.as_ref()).await?,
        ))
    }

    /// A short description without credentials.
    pub fn describe(&self) -> String {
        match self {
            Journal::Sqlite(j) => format!("sqlite:{}", j.path().display()),
            Journal::Postgres(j) => j.describe(),
        }
    }

    /// Journals rows not seen before; compares the others' payload hash.
    pub(crate) async fn register(
        &self,
        batch: &str,
        rows: Vec<NewRow>,
    ) -> Result<Vec<Registered>, BatchError> {
        match self {
            Journal::Sqlite(j) => j.register(batch, rows).await,
            Journal::Postgres(j) => j.register(batch, rows).await,
        }
    }

    /// Takes up to `limit` rows that need work, are not leased by a live worker and are not in
    /// `exclude`, leasing them to `worker` for `lease`.
    pub(crate) async fn claim(
        &self,
        batch: &str,
        worker: &str,
        limit: usize,
        lease: Duration,
        exclude: &[String],
    ) -> Result<Vec<Entry>, BatchError> {
        match self {
            Journal::Sqlite(j) => j.claim(batch, worker, limit, lease, exclude).await,
            Journal::Postgres(j) => j.claim(batch, worker, limit, lease, exclude).await,
        }
    }

    /// Records a step of a row `worker` holds. `Err(LeaseLost)` when another worker took it.
    pub(crate) async fn record(
        &self,
        batch: &str,
        key: &str,
        worker: &str,
        event: Event,
    ) -> Result<(), BatchError> {
        match self {
            Journal::Sqlite(j) => j.record(batch, key, worker, event).await,
            Journal::Postgres(j) => j.record(batch, key, worker, event).await,
        }
    }

    /// Extends the leases `worker` holds on `keys`.
    pub(crate) async fn renew(
        &self,
        batch: &str,
        worker: &str,
        keys: &[String],
        lease: Duration,
    ) -> Result<(), BatchError> {
        match self {
            Journal::Sqlite(j) => j.renew(batch, worker, keys, lease).await,
            Journal::Postgres(j) => j.renew(batch, worker, keys, lease).await,
        }
    }

    /// Every row of `batch` (every batch when `None`), in input order.
    pub async fn entries(&self, batch: Option<&str>) -> Result<Vec<Entry>, BatchError> {
        match self {
            Journal::Sqlite(j) => j.entries(batch).await,
            Journal::Postgres(j) => j.entries(batch).await,
        }
    }

    /// Puts the failed rows of `batch` back to pending (same reference codes); how many.
    pub async fn retry_failed(&self, batch: Option<&str>) -> Result<u64, BatchError> {
        match self {
            Journal::Sqlite(j) => j.retry_failed(batch).await,
            Journal::Postgres(j) => j.retry_failed(batch).await,
        }
    }
}

/// Milliseconds since the Unix epoch (lease times).
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The current time as stored in `updated_at`.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The SQL the two stores share (types spelt so both accept them).
pub(crate) const COLUMNS: &str = "batch, key, seq, reference_code, payload_hash, payload, state, tracking_code, invoice_number, invoice_status, pdf_url, error_kind, error_message, api_code, attempts, updated_at";
