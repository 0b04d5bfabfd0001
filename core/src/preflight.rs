//! Everything checked before a create, replace or adjust is sent, and [`Client::preflight`],
//! which reports all of it at once without sending.

use tokio::time::Instant;

use crate::client::Client;
use crate::error::Result;
use crate::model::{AdjustmentType, CreateInvoice, JobKind, Preflight};
use crate::validate::{self, findings::Findings, Checked, Prepared, Purpose};

/// A request on its way out.
pub(crate) struct Submission<'a> {
    pub kind: JobKind,
    pub path: &'a [&'a str],
    pub invoice: &'a CreateInvoice,
    /// A correction's original.
    pub original: Option<&'a str>,
    pub purpose: Purpose<'a>,
}

impl<'a> Submission<'a> {
    pub fn create(invoice: &'a CreateInvoice) -> Self {
        Submission {
            kind: JobKind::Create,
            path: &["v1", "invoices", "create"],
            invoice,
            original: None,
            purpose: Purpose::Create,
        }
    }

    pub fn adjustment_type(&self) -> Option<&'a AdjustmentType> {
        match self.purpose {
            Purpose::Adjust(t) => Some(t),
            _ => None,
        }
    }

    /// What identifies the request besides the invoice (kept with its reference code).
    fn extra(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        if let Some(o) = self.original {
            m.insert("original_invoice_reference_code".into(), o.into());
        }
        if let Some(t) = self.adjustment_type() {
            m.insert("adjustment_type".into(), t.as_str().into());
        }
        m
    }
}

impl Client {
    /// Every problem of `s`: local rules, then (when on and the request is otherwise sound
    /// enough to send, or `always`) the provider account's.
    async fn findings(
        &self,
        s: &Submission<'_>,
        deadline: Instant,
        always: bool,
    ) -> Result<(Findings, Checked)> {
        let config = &self.inner.config;
        let now = validate::now_in_vietnam();
        let (mut f, wire, issued) =
            validate::findings(s.invoice, s.purpose, now, config.strict_rules);
        if let Some(original) = s.original {
            let usable = f.check(
                validate::code("original_invoice_reference_code", original),
                "required",
            );
            if usable && s.invoice.reference_code.as_deref() == Some(original) {
                f.error(
                    "reference_code",
                    "correction-reference",
                    "a correction is a new invoice: it needs its own reference code, not the original's (leave it empty and the SDK generates one)",
                );
            }
        }
        if config.account_checks && (always || !f.has_errors()) {
            if let Some(issued) = issued {
                crate::account::check(
                    &mut f,
                    &self.inner,
                    &wire,
                    issued.date(),
                    !wire.is_draft,
                    deadline,
                )
                .await?;
            }
        }
        Ok((f, Checked { wire }))
    }

    /// Checks `s` and claims its reference code; `Err` names the first error and carries them all.
    pub(crate) async fn prepare(&self, s: &Submission<'_>, deadline: Instant) -> Result<Prepared> {
        let (f, checked) = self.findings(s, deadline, false).await?;
        f.into_result()?;
        validate::claim(s.invoice, checked, s.extra())
    }

    /// Checks a create request without sending it, and returns **every** problem at once:
    /// the documented field rules, the dated legal rules (series shape and year, VAT rates valid
    /// on the invoice date, tax-code shapes) and, unless account checks are off, the provider
    /// account's (active, template/series pair, approval date; one cached read). Errors would
    /// stop [`Client::create_invoice`]; warnings would not. Nothing is created and no
    /// reference code is taken.
    ///
    /// Fails only when the check itself cannot run (bad credentials); problems are in the answer.
    pub async fn preflight(&self, req: &CreateInvoice) -> Result<Preflight> {
        let s = Submission::create(req);
        let (f, _) = self.findings(&s, self.deadline(), true).await?;
        Ok(Preflight {
            problems: f.into_problems(),
        })
    }
}
