//! Replacement and adjustment invoices: since Decree 70/2025 the legal ways to correct an
//! issued invoice. Both are sent like a create — validated first, with the create's
//! exactly-once guarantee (the correction's own `reference_code`, generated when empty and kept
//! on the request's `invoice` object; a 409 reconciled against the existing invoice) — and
//! answered with a job to wait on.

use std::borrow::Borrow;

use crate::client::Client;
use crate::error::Result;
use crate::model::{AdjustInvoice, Invoice, Job, JobKind, ReplaceInvoice};
use crate::preflight::Submission;
use crate::validate::Purpose;
use crate::wait::WaitOptions;

/// The replacement endpoint (documented).
pub const REPLACE_PATH: &[&str] = &["v1", "invoices", "replace"];

/// The adjustment endpoint. **Inferred**: SePay documents adjustments (`adjustment_type`,
/// `original_invoice_reference_code`) but its path was not captured; the replacement's sibling
/// is the SDK's (and its mock's) guess.
pub const ADJUST_PATH: &[&str] = &["v1", "invoices", "adjust"];

impl Client {
    /// Replaces an issued invoice (`POST /v1/invoices/replace`) with the corrected invoice in
    /// full. The original must be issued, of the same provider account, not replaced or cancelled;
    /// each invoice can be replaced once. When the API refuses because of the original, the
    /// error is [`crate::ErrorKind::CorrectionRefused`] with the reason in `api_code`
    /// (`INVOICE_ALREADY_REPLACED`, `INVOICE_NOT_ISSUED`, `INVOICE_ACCOUNT_MISMATCH`, …).
    /// Returns the job to wait on; once issued, the original's `document_type` is 5 (replaced)
    /// and the replacement's 4.
    pub async fn replace_invoice(&self, req: &ReplaceInvoice) -> Result<Job> {
        self.submit(Submission {
            kind: JobKind::Replace,
            path: REPLACE_PATH,
            invoice: &req.invoice,
            original: Some(&req.original_invoice_reference_code),
            purpose: Purpose::Replace,
        })
        .await
    }

    /// Adjusts an issued invoice (`POST /v1/invoices/adjust`, path inferred). The lines carry
    /// only the difference: positive for `increase`, negative (`unit_price` below zero) for
    /// `decrease`, either for `combined`, and no amount for `info`; the SDK refuses a line of the
    /// wrong sign, naming it. The original stays in force and can be adjusted again.
    pub async fn adjust_invoice(&self, req: &AdjustInvoice) -> Result<Job> {
        self.submit(Submission {
            kind: JobKind::Adjust,
            path: ADJUST_PATH,
            invoice: &req.invoice,
            original: Some(&req.original_invoice_reference_code),
            purpose: Purpose::Adjust(&req.adjustment_type),
        })
        .await
    }

    /// [`Client::replace_invoice`] then [`Client::wait_for_status`]. The request is lent or
    /// handed over, as for [`Client::create_invoice_and_wait`].
    pub async fn replace_invoice_and_wait(
        &self,
        req: impl Borrow<ReplaceInvoice>,
        options: WaitOptions,
    ) -> Result<Invoice> {
        options.check()?;
        let job = Box::pin(self.replace_invoice(req.borrow())).await?;
        drop(req);
        self.wait_for_status(&job, options).await
    }

    /// [`Client::adjust_invoice`] then [`Client::wait_for_status`]. The request is lent or
    /// handed over, as for [`Client::create_invoice_and_wait`].
    pub async fn adjust_invoice_and_wait(
        &self,
        req: impl Borrow<AdjustInvoice>,
        options: WaitOptions,
    ) -> Result<Invoice> {
        options.check()?;
        let job = Box::pin(self.adjust_invoice(req.borrow())).await?;
        drop(req);
        self.wait_for_status(&job, options).await
    }
}
