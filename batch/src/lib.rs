//! # sepay-einvoice-batch
//!
//! Issue many invoices at once through the SePay eInvoice API, exactly once each, across
//! crashes, restarts and several workers. Every row is journaled **before** its create is sent,
//! with the reference code it will use; each later step is recorded as it happens. A re-run
//! never sends a new reference code for a row that may already exist: a row left "sending" or
//! "accepted" is first looked up by its reference code, and a create sent again carries the same
//! code (the API refuses a duplicate, and the SDK adopts the existing invoice). A row whose
//! content changed since it was journaled is refused, never silently re-issued.
//!
//! Journals: SQLite (`sqlite:PATH`, one file, one process at a time) or PostgreSQL
//! (`postgres://…`, several workers claiming rows with leases).
//!
//! ```no_run
//! # async fn demo(client: sepay_einvoice::Client, rows: Vec<sepay_einvoice_batch::BatchRow>) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use sepay_einvoice_batch::{run, BatchOptions, Journal};
//!
//! let journal = Arc::new(Journal::open("sqlite:invoices.journal").await?);
//! let report = run(&client, journal, rows, &BatchOptions::new("2026-11-28")).await?;
//! println!("{} done, {} failed, {} uncertain", report.done, report.failed, report.uncertain);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod crash;
mod error;
pub mod journal;
mod row;
mod runner;

pub use crash::CRASH_VAR;
pub use error::{BatchError, BatchErrorKind};
pub use journal::{Entry, Journal, RowState};
pub use row::{payload_hash, BatchRow};
pub use runner::{
    resume, run, BatchOptions, BatchReport, Outcome, Progress, ProgressCallback, RowError,
    RowResult,
};
