//! Errors that stop a whole batch (a row's own failure is in its result instead).

use std::fmt;

/// What stopped the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchErrorKind {
    /// The input or the options are unusable (nothing was sent).
    InvalidInput,
    /// The journal could not be opened, read or written.
    Journal,
    /// Another worker took a row this worker was working on (its lease ran out).
    LeaseLost,
    /// The API refused the whole run (bad credentials).
    Client,
}

/// An error that stops the batch.
#[derive(Debug, Clone)]
pub struct BatchError {
    kind: BatchErrorKind,
    message: String,
    field: Option<String>,
}

impl BatchError {
    pub(crate) fn new(kind: BatchErrorKind, message: impl Into<String>) -> Self {
        BatchError {
            kind,
            message: message.into(),
            field: None,
        }
    }
    pub(crate) fn journal(message: impl Into<String>) -> Self {
        BatchError::new(BatchErrorKind::Journal, message)
    }
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        BatchError {
            kind: BatchErrorKind::InvalidInput,
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }
    pub(crate) fn lease_lost(key: &str) -> Self {
        BatchError::new(
            BatchErrorKind::LeaseLost,
            format!("row {key:?} is no longer leased to this worker (its lease ran out and another worker took it)"),
        )
    }

    /// What stopped the batch.
    pub fn kind(&self) -> BatchErrorKind {
        self.kind
    }
    /// What happened.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The bad option or input field, for invalid input.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BatchError {}

impl From<sepay_einvoice::Error> for BatchError {
    fn from(e: sepay_einvoice::Error) -> Self {
        let kind = if e.kind() == sepay_einvoice::ErrorKind::Validation {
            BatchErrorKind::InvalidInput
        } else {
            BatchErrorKind::Client
        };
        BatchError {
            kind,
            message: e.to_string(),
            field: e.field().map(str::to_string),
        }
    }
}
