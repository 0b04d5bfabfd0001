//! What a create does when the API answers 409 (`EINVOICE_DOCUMENT_EXISTED`): the reference
//! code already names an invoice. It is this request's own invoice when an earlier attempt got
//! through, or when the same request is sent again to retry; it is *another* invoice when the
//! code was reused by mistake. The SDK reads the existing invoice and compares it with the
//! request (the fingerprint below): only a match is reconciled into a job that follows it.
//!
//! The fingerprint: every field the existing invoice reports, compared with the request —
//! template code, series, currency, issue date (the day), the buyer's name, legal name, tax
//! code, address, e-mail, phone, buyer code and national id, the number of lines and each
//! line's type, name, quantity, unit price and VAT rate, and the total amount (the request's
//! `total_amount`, or its local [`crate::CreateInvoice::totals`] preview). A field the invoice
//! leaves out is not compared; any reported difference is a conflict.

use rust_decimal::Decimal;
use tokio::time::Instant;

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{CreateInvoice, Invoice, Job, JobKind};
use crate::transport::Call;

/// A field that differs between the request and the existing invoice.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub field: String,
    /// What differs, in words; personal data is not repeated.
    pub detail: String,
}

fn text_differs(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.trim() != b.trim(),
        _ => false,
    }
}

fn amount_differs(request: Option<Decimal>, invoice: Option<Decimal>) -> bool {
    match (request, invoice) {
        (Some(a), Some(b)) => a.normalize() != b.normalize(),
        _ => false,
    }
}

/// Compares a prepared request with the invoice that holds its reference code.
pub(crate) fn compare(req: &CreateInvoice, inv: &Invoice) -> std::result::Result<(), Mismatch> {
    let differ = |field: &str, detail: String| {
        Err(Mismatch {
            field: field.to_string(),
            detail,
        })
    };
    let shown = |label: &str, req: &str, inv: &str| {
        format!("this request has {label} {req:?}, the existing invoice {inv:?}")
    };
    if let Some(t) = &inv.template_code {
        if t.trim() != req.template_code.trim() {
            return differ("template_code", shown("template", &req.template_code, t));
        }
    }
    if let Some(s) = &inv.invoice_series {
        if s.trim() != req.invoice_series.trim() {
            return differ("invoice_series", shown("series", &req.invoice_series, s));
        }
    }
    if let Some(c) = &inv.currency {
        if c != &req.currency {
            return differ(
                "currency",
                shown("currency", req.currency.as_str(), c.as_str()),
            );
        }
    }
    if let Some(day) = inv.issued_date {
        let wanted = req.issued_date.get(..10).unwrap_or("");
        if day.format("%Y-%m-%d").to_string() != wanted {
            return differ(
                "issued_date",
                format!("this request is dated {wanted}, the existing invoice {day}"),
            );
        }
    }
    if let Some(b) = &inv.buyer {
        let r = &req.buyer;
        for (field, a, x) in [
            ("buyer.name", &r.name, &b.name),
            ("buyer.legal_name", &r.legal_name, &b.legal_name),
            ("buyer.tax_code", &r.tax_code, &b.tax_code),
            ("buyer.address", &r.address, &b.address),
            ("buyer.email", &r.email, &b.email),
            ("buyer.phone", &r.phone, &b.phone),
            ("buyer.buyer_code", &r.buyer_code, &b.buyer_code),
            ("buyer.national_id", &r.national_id, &b.national_id),
        ] {
            if text_differs(a, x) {
                return differ(field, "the buyer differs".into());
            }
        }
    }
    if !inv.items.is_empty() {
        if inv.items.len() != req.items.len() {
            return differ(
                "items",
                format!(
                    "this request has {} lines, the existing invoice {}",
                    req.items.len(),
                    inv.items.len()
                ),
            );
        }
        for (i, (r, x)) in req.items.iter().zip(&inv.items).enumerate() {
            let at = |f: &str| format!("items[{i}].{f}");
            if x.line_type.as_ref().is_some_and(|t| *t != r.line_type) {
                return differ(&at("line_type"), "the line type differs".into());
            }
            if x.item_name
                .as_deref()
                .is_some_and(|n| n.trim() != r.item_name.trim())
            {
                return differ(&at("item_name"), "the item name differs".into());
            }
            for (f, a, b) in [
                ("quantity", r.quantity, x.quantity),
                ("unit_price", r.unit_price, x.unit_price),
            ] {
                if amount_differs(a, b) {
                    return differ(
                        &at(f),
                        format!(
                            "this request has {}, the existing invoice {}",
                            a.unwrap_or_default(),
                            b.unwrap_or_default()
                        ),
                    );
                }
            }
            let rate = r.tax_rate.and_then(|t| t.percent()).map(Decimal::from);
            if amount_differs(rate, x.tax_rate) {
                return differ(&at("tax_rate"), "the VAT rate differs".into());
            }
        }
    }
    let total = req
        .total_amount
        .unwrap_or_else(|| req.totals().total_amount);
    if amount_differs(Some(total), inv.total_amount) {
        return differ(
            "total_amount",
            format!(
                "this request totals {total}, the existing invoice {}",
                inv.total_amount.unwrap_or_default()
            ),
        );
    }
    Ok(())
}

/// A job that follows an invoice by its reference code (no tracking code).
pub(crate) fn reconciled(kind: JobKind, reference_code: String) -> Job {
    Job {
        kind,
        tracking_code: None,
        tracking_url: None,
        reference_code,
        message: Some(
            "an earlier attempt of this request was accepted; following the invoice by reference code"
                .into(),
        ),
    }
}

/// Turns a create's 409 into the existing invoice's job, or a `Conflict` that explains itself.
/// `ours`: this request may have sent the code before (an earlier attempt of this call was
/// ambiguous, or the same request object was sent before).
pub(crate) async fn after_conflict(
    client: &Client,
    wire: &CreateInvoice,
    reference_code: String,
    conflict: Error,
    ours: bool,
    deadline: Instant,
) -> Result<Job> {
    let conflict = conflict.with_reference_code(Some(reference_code.clone()));
    let call = Call::get(&["v1", "invoices", &reference_code]);
    match client.inner.execute::<Invoice>(&call, deadline).await {
        Ok(existing) => match compare(wire, &existing) {
            Ok(()) => {
                tracing::warn!(
                    reference_code,
                    "create answered 409 and the existing invoice matches this request: following it instead of creating a second one"
                );
                Ok(reconciled(JobKind::Create, reference_code))
            }
            Err(m) => Err(conflict
                .with_field(Some(m.field.clone()))
                .with_advice(&format!(
                    "reference code {reference_code:?} already names a different invoice: {} differs ({}); use a new reference code for a new invoice",
                    m.field, m.detail
                ))),
        },
        // Not visible yet: a create with this code is still being processed.
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if ours {
                tracing::warn!(
                    reference_code,
                    "create answered 409 after an earlier attempt of this request: following the invoice by reference code"
                );
                Ok(reconciled(JobKind::Create, reference_code))
            } else {
                Err(conflict.with_advice(&format!(
                    "a create with reference code {reference_code:?} is still being processed; wait for it with wait_for_status on a job with this reference code, or use a new reference code for a new invoice"
                )))
            }
        }
        // Cannot look: never guess that the invoice is ours.
        Err(e) => Err(conflict.with_ambiguous(ours).with_advice(&format!(
            "could not read the existing invoice to compare it with this request ({}); retry with the same reference code",
            e.message()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Buyer, InvoiceItem, InvoiceStatus, LineItem, LineType, TaxRate};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn request() -> CreateInvoice {
        CreateInvoice {
            provider_account_id: "acc".into(),
            template_code: "1".into(),
            invoice_series: "C26TSE".into(),
            issued_date: "2026-01-26 08:00:00".into(),
            buyer: Buyer {
                name: Some("ABC".into()),
                tax_code: Some("0100233488".into()),
                ..Default::default()
            },
            items: vec![LineItem::new("A", d("2"), d("100000")).with_tax_rate(TaxRate::Ten)],
            ..Default::default()
        }
    }

    fn invoice() -> Invoice {
        Invoice {
            reference_code: "r".into(),
            invoice_number: Some("0".into()),
            issued_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 26),
            pdf_url: None,
            xml_url: None,
            status: InvoiceStatus::Draft,
            buyer: Some(Buyer {
                name: Some("ABC".into()),
                tax_code: Some("0100233488".into()),
                ..Default::default()
            }),
            total_before_tax: Some(d("200000")),
            tax_amount: Some(d("20000")),
            total_amount: Some(d("220000")),
            notes: None,
            source: None,
            invoice_series: Some("C26TSE".into()),
            template_code: Some("1".into()),
            currency: None,
            document_type: None,
            tax_authority_code: None,
            provider_status: None,
            payment_method: None,
            items: vec![InvoiceItem {
                line_number: Some(1),
                line_type: Some(LineType::Normal),
                item_name: Some("A".into()),
                quantity: Some(d("2.00")),
                unit_price: Some(d("100000.00")),
                tax_rate: Some(d("10.00")),
                ..Default::default()
            }],
        }
    }

    #[test]
    fn a_matching_invoice_matches() {
        assert_eq!(compare(&request(), &invoice()), Ok(()));
        // Fields the invoice leaves out are not compared.
        let mut summary = invoice();
        summary.items.clear();
        summary.template_code = None;
        assert_eq!(compare(&request(), &summary), Ok(()));
    }

    #[test]
    fn any_reported_difference_is_a_conflict() {
        let mut other = invoice();
        other.total_amount = Some(d("330000"));
        assert_eq!(
            compare(&request(), &other).unwrap_err().field,
            "total_amount"
        );
        let mut other = invoice();
        other.buyer.as_mut().unwrap().tax_code = Some("0314409058".into());
        let m = compare(&request(), &other).unwrap_err();
        assert_eq!(m.field, "buyer.tax_code");
        assert!(!m.detail.contains("0314409058"));
        let mut other = invoice();
        other.items[0].unit_price = Some(d("90000"));
        assert_eq!(
            compare(&request(), &other).unwrap_err().field,
            "items[0].unit_price"
        );
        let mut other = invoice();
        other.items.push(InvoiceItem::default());
        assert_eq!(compare(&request(), &other).unwrap_err().field, "items");
        let mut other = invoice();
        other.issued_date = chrono::NaiveDate::from_ymd_opt(2025, 1, 26);
        assert_eq!(
            compare(&request(), &other).unwrap_err().field,
            "issued_date"
        );
    }
}
