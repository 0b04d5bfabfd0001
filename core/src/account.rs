//! Checks of a request against its provider account, with the account read cached per client:
//! at most one `GET /v1/provider-accounts/{id}` per account per TTL, however many requests run
//! at once (callers for the same account wait for the one read in flight).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use tokio::time::Instant;

use crate::error::{ErrorKind, Result};
use crate::model::{CreateInvoice, ProviderAccountDetail};
use crate::transport::{Call, Inner};
use crate::validate::findings::Findings;

/// Accounts kept at most; ids are few in practice, so this only bounds a caller that sends
/// made-up ids.
const MAX_ACCOUNTS: usize = 64;

/// The source of the account rules.
const SOURCE: &str = "SePay provider-account docs (chi-tiet-tai-khoan, danh-sach-tai-khoan)";

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Arc<ProviderAccountDetail>)>>>;

/// Provider accounts read for the pre-send checks.
#[derive(Default)]
pub(crate) struct AccountCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl AccountCache {
    fn slot(&self, id: &str, ttl: std::time::Duration) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if !slots.contains_key(id) && slots.len() >= MAX_ACCOUNTS {
            // Drop the slots that are idle and stale (or empty); busy and fresh ones stay.
            slots.retain(|_, s| {
                Arc::strong_count(s) > 1
                    || s.try_lock()
                        .map(|e| e.as_ref().is_some_and(|(at, _)| at.elapsed() < ttl))
                        .unwrap_or(true)
            });
            if slots.len() >= MAX_ACCOUNTS {
                // Still full of fresh accounts: read this one without keeping it.
                return Slot::default();
            }
        }
        slots.entry(id.to_string()).or_default().clone()
    }

    /// The account, read through the cache. Errors are not cached.
    pub(crate) async fn get(
        &self,
        inner: &Arc<Inner>,
        id: &str,
        deadline: Instant,
    ) -> Result<Arc<ProviderAccountDetail>> {
        let ttl = inner.config.account_cache_ttl;
        let slot = self.slot(id, ttl);
        // Waiting for another caller's read of the same account ends at this call's deadline.
        let Ok(mut entry) = tokio::time::timeout_at(deadline, slot.lock()).await else {
            return Err(crate::Error::new(
                ErrorKind::Timeout,
                "the call deadline passed while another call was reading the provider account",
            ));
        };
        if let Some((at, account)) = entry.as_ref() {
            if at.elapsed() < ttl {
                return Ok(account.clone());
            }
        }
        let account: Arc<ProviderAccountDetail> = Arc::new(
            inner
                .execute(&Call::get(&["v1", "provider-accounts", id]), deadline)
                .await?,
        );
        *entry = Some((Instant::now(), account.clone()));
        Ok(account)
    }
}

/// Reads `req`'s provider account (cached) and records its problems. An account that cannot be
/// read is not a problem of the request: the request goes out and the API decides (logged).
/// `issuing`: the request signs and sends the invoice now (not a draft).
pub(crate) async fn check(
    f: &mut Findings,
    inner: &Arc<Inner>,
    req: &CreateInvoice,
    issued: NaiveDate,
    issuing: bool,
    deadline: Instant,
) -> Result<()> {
    let id = req.provider_account_id.trim();
    if id.is_empty() || !crate::validate::is_safe_segment(id) {
        return Ok(()); // reported by the structural checks
    }
    let account = match inner.accounts.get(inner, id, deadline).await {
        Ok(a) => a,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            f.error_from(
                "provider_account_id",
                "account-exists",
                "no provider account has this id: take one from list_provider_accounts()",
                SOURCE,
            );
            return Ok(());
        }
        // Bad credentials fail every call: say so now rather than after a create.
        Err(e) if e.kind() == ErrorKind::Authentication => return Err(e),
        Err(e) => {
            tracing::warn!(
                error = %e,
                "could not read the provider account to check the request; sending it unchecked"
            );
            return Ok(());
        }
    };
    problems(f, &account, req, issued, issuing);
    Ok(())
}

/// The account's rules for `req`.
pub(crate) fn problems(
    f: &mut Findings,
    account: &ProviderAccountDetail,
    req: &CreateInvoice,
    issued: NaiveDate,
    issuing: bool,
) {
    // A draft may be saved on any account; it is the issuance the account must allow.
    let blocking = |f: &mut Findings, field: &str, rule: &str, message: String| {
        if issuing {
            f.error_from(field, rule, message, SOURCE);
        } else {
            f.warning(
                field,
                rule,
                format!("{message} (a draft is saved, but cannot be issued until this is fixed)"),
                SOURCE,
            );
        }
    };
    if !account.active {
        blocking(
            f,
            "provider_account_id",
            "account-active",
            format!(
                "provider account {} ({}) is not active: use an active account",
                account.id, account.provider
            ),
        );
    }
    if let Some(approved) = account.tax_authority_approved_date {
        if issued < approved {
            blocking(
                f,
                "issued_date",
                "account-approval-date",
                format!(
                    "the invoice is dated {issued}, before the tax authority approved this account's e-invoice registration on {approved}"
                ),
            );
        }
    }
    let template = req.template_code.trim();
    let series = req.invoice_series.trim();
    if template.is_empty() || series.is_empty() {
        return;
    }
    let listed = account
        .templates
        .iter()
        .any(|t| t.template_code == template && t.invoice_series == series);
    if !listed {
        let mut pairs: Vec<String> = account
            .templates
            .iter()
            .map(|t| format!("{}/{}", t.template_code, t.invoice_series))
            .collect();
        pairs.truncate(20);
        let field = if account.templates.iter().any(|t| t.invoice_series == series) {
            "template_code"
        } else {
            "invoice_series"
        };
        f.error_from(
            field,
            "account-template",
            format!(
                "template {template} with series {series} is not one of provider account {}'s templates ({}): use a pair from get_provider_account()",
                account.id,
                if pairs.is_empty() { "none".to_string() } else { pairs.join(", ") }
            ),
            SOURCE,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{InvoiceTemplate, Severity};

    fn account() -> ProviderAccountDetail {
        ProviderAccountDetail {
            id: "acc".into(),
            provider: "bkav".into(),
            active: true,
            tax_authority_approved_date: NaiveDate::from_ymd_opt(2026, 4, 20),
            templates: vec![InvoiceTemplate {
                template_code: "1".into(),
                invoice_series: "C26TAA".into(),
                invoice_label: None,
            }],
        }
    }

    fn run(
        a: &ProviderAccountDetail,
        template: &str,
        series: &str,
        day: (u32, u32),
        issuing: bool,
    ) -> Vec<(String, String, Severity)> {
        let req = CreateInvoice {
            template_code: template.into(),
            invoice_series: series.into(),
            ..Default::default()
        };
        let mut f = Findings::default();
        problems(
            &mut f,
            a,
            &req,
            NaiveDate::from_ymd_opt(2026, day.0, day.1).unwrap(),
            issuing,
        );
        f.into_problems()
            .into_iter()
            .map(|p| (p.rule, p.field, p.severity))
            .collect()
    }

    #[test]
    fn pairs_dates_and_activity() {
        assert!(run(&account(), "1", "C26TAA", (5, 1), true).is_empty());
        assert_eq!(
            run(&account(), "1", "C26TSE", (5, 1), true),
            [(
                "account-template".into(),
                "invoice_series".into(),
                Severity::Error
            )]
        );
        assert_eq!(
            run(&account(), "2", "C26TAA", (5, 1), true)[0].1,
            "template_code"
        );
        assert_eq!(
            run(&account(), "1", "C26TAA", (4, 19), true),
            [(
                "account-approval-date".into(),
                "issued_date".into(),
                Severity::Error
            )]
        );
        // A draft: the same finding, as a warning.
        assert_eq!(
            run(&account(), "1", "C26TAA", (4, 19), false)[0].2,
            Severity::Warning
        );
        let mut off = account();
        off.active = false;
        assert_eq!(
            run(&off, "1", "C26TAA", (5, 1), true)[0].0,
            "account-active"
        );
    }
}
