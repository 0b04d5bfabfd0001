//! Rows of a batch, and what is journaled for each.

use sepay_einvoice::{CreateInvoice, Error};
use sha2::{Digest, Sha256};

use crate::error::BatchError;
use crate::journal::NewRow;

/// One invoice of a batch: its key (unique in the batch: an order id, a line number) and the
/// create request. A request without `reference_code` gets one when it is first journaled; one
/// without `issued_date` is dated then (Vietnam time), so a re-run sends the same invoice.
#[derive(Debug, Clone)]
pub struct BatchRow {
    /// The row's key.
    pub key: String,
    /// The invoice to create.
    pub request: CreateInvoice,
}

impl BatchRow {
    /// A row.
    pub fn new(key: impl Into<String>, request: CreateInvoice) -> Self {
        BatchRow {
            key: key.into(),
            request,
        }
    }
}

/// SHA-256 (hex) of a request as given: what tells a changed row from the one journaled.
pub fn payload_hash(request: &CreateInvoice) -> Result<String, BatchError> {
    let text = serde_json::to_string(request)
        .map_err(|e| BatchError::invalid("request", format!("cannot be written as JSON: {e}")))?;
    Ok(format!("{:x}", Sha256::digest(text.as_bytes())))
}

/// What to journal for each row, in order. Keys must be unique and not blank.
pub(crate) fn journal_rows(
    rows: &[BatchRow],
    now: &str,
    reference_from_key: bool,
) -> Result<Vec<NewRow>, BatchError> {
    let mut seen = std::collections::HashSet::new();
    let mut codes: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        if r.key.trim().is_empty() {
            return Err(BatchError::invalid(
                &format!("rows[{i}].key"),
                "is empty: every row needs a key (an order id)",
            ));
        }
        if !seen.insert(r.key.as_str()) {
            return Err(BatchError::invalid(
                &format!("rows[{i}].key"),
                format!(
                    "{:?} is used by another row: keys must be unique in a batch",
                    r.key
                ),
            ));
        }
        let payload_hash = payload_hash(&r.request)?;
        let mut send = r.request.clone();
        let reference_code = match send.effective_reference_code() {
            Some(code) => code,
            None if reference_from_key => {
                if !sepay_einvoice::validate::is_safe_segment(&r.key) {
                    return Err(BatchError::invalid(
                        &format!("rows[{i}].key"),
                        "cannot be a reference code (at most 255 characters, no spaces or / \\ ? # %)",
                    ));
                }
                r.key.clone()
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        if let Some(other) = codes.insert(reference_code.clone(), r.key.clone()) {
            return Err(BatchError::invalid(
                &format!("rows[{i}].reference_code"),
                format!(
                    "{reference_code:?} is also the reference code of row {other:?}: one reference code is one invoice"
                ),
            ));
        }
        send.reference_code = Some(reference_code.clone());
        if send.issued_date.trim().is_empty() {
            send.issued_date = now.to_string();
        }
        let payload = serde_json::to_string(&send).map_err(|e| {
            BatchError::invalid(
                &format!("rows[{i}]"),
                format!("cannot be written as JSON: {e}"),
            )
        })?;
        out.push(NewRow {
            key: r.key.clone(),
            seq: i as i64,
            reference_code,
            payload_hash,
            payload,
        });
    }
    Ok(out)
}

/// The request journaled for a row.
pub(crate) fn journaled_request(payload: &str) -> Result<CreateInvoice, Error> {
    let v: serde_json::Value = serde_json::from_str(payload).map_err(|e| {
        Error::validation(
            "(journal)",
            format!("the journaled request is not JSON: {e}"),
        )
    })?;
    CreateInvoice::from_json(v)
}
