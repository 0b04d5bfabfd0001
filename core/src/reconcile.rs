//! What a create does when the API answers 409 (`EINVOICE_DOCUMENT_EXISTED`): the reference
//! code already names an invoice. It is this request's own invoice when an earlier attempt got
//! through, or when the same request is sent again to retry; it is *another* invoice when the
//! code was reused by mistake. The SDK reads the existing invoice (waiting, inside the call's
//! deadline, while it is not visible yet) and compares it with the request: only a match is
//! reconciled into a job that follows it. Nothing is ever reconciled unseen.
//!
//! The fingerprint: every identifying field the existing invoice reports, compared with the
//! request after normalising text (Unicode NFC, runs of spaces, e-mail case, phone punctuation)
//! — template code, series, currency, issue day (in Vietnam time), the buyer's name, legal
//! name, tax code, address, e-mail, phone, buyer code and national id, the notes, the payment
//! method, the number of lines and each line (matched by line number) with its type, name,
//! unit, item code, quantity, unit price, VAT rate and discounts, and the total when the
//! request states one. A field the invoice leaves out (or the request leaves empty) is not
//! compared; an invoice that reports neither lines nor a buyer and total cannot be compared and
//! is never adopted. The invoice's state must fit too: a draft request accepts a draft or an
//! issued invoice; a request to issue accepts only an issued one.

use std::time::Duration;

use rust_decimal::Decimal;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AdjustmentType, CreateInvoice, Invoice, InvoiceItem, InvoiceStatus, Job, JobKind,
};
use crate::transport::{Call, Inner};
use std::sync::Arc;

/// Longest the SDK waits for an earlier create's invoice to become visible (within the call's
/// own deadline), so it can be compared before it is adopted.
const VISIBLE_WAIT: Duration = Duration::from_secs(30);

/// A field that differs between the request and the existing invoice.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub field: String,
    /// What differs, in words; personal data is not repeated.
    pub detail: String,
}

/// Text as compared: NFC, trimmed, runs of whitespace collapsed.
fn norm(s: &str) -> String {
    let nfc = icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(s);
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Both given (and not blank) and different after normalising with `key`.
fn differs(a: &Option<String>, b: &Option<String>, key: fn(&str) -> String) -> bool {
    match (a.as_deref().map(key), b.as_deref().map(key)) {
        (Some(x), Some(y)) if !x.is_empty() && !y.is_empty() => x != y,
        _ => false,
    }
}

fn email_key(s: &str) -> String {
    norm(s).to_lowercase()
}

fn phone_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
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
    if inv.items.is_empty() && (inv.buyer.is_none() || inv.total_amount.is_none()) {
        return differ(
            "(invoice)",
            "the existing invoice reports too little (no lines, buyer and total) to be compared"
                .into(),
        );
    }
    let shown = |label: &str, req: &str, inv: &str| {
        format!("this request has {label} {req:?}, the existing invoice {inv:?}")
    };
    for (field, label, r, x) in [
        (
            "template_code",
            "template",
            Some(req.template_code.clone()),
            inv.template_code.clone(),
        ),
        (
            "invoice_series",
            "series",
            Some(req.invoice_series.clone()),
            inv.invoice_series.clone(),
        ),
    ] {
        if differs(&r, &x, norm) {
            return differ(
                field,
                shown(
                    label,
                    r.as_deref().unwrap_or(""),
                    x.as_deref().unwrap_or(""),
                ),
            );
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
    if let (Some(pm), Some(x)) = (&req.payment_method, &inv.payment_method) {
        if pm != x {
            return differ(
                "payment_method",
                shown("payment method", pm.as_str(), x.as_str()),
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
    if differs(&req.notes, &inv.notes, norm) {
        return differ("notes", "the notes differ".into());
    }
    if let Some(b) = &inv.buyer {
        let r = &req.buyer;
        for (field, a, x, key) in [
            ("buyer.name", &r.name, &b.name, norm as fn(&str) -> String),
            ("buyer.legal_name", &r.legal_name, &b.legal_name, norm),
            ("buyer.tax_code", &r.tax_code, &b.tax_code, norm),
            ("buyer.address", &r.address, &b.address, norm),
            ("buyer.email", &r.email, &b.email, email_key),
            ("buyer.phone", &r.phone, &b.phone, phone_key),
            ("buyer.buyer_code", &r.buyer_code, &b.buyer_code, norm),
            ("buyer.national_id", &r.national_id, &b.national_id, norm),
        ] {
            if differs(a, x, key) {
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
        for (i, r) in req.items.iter().enumerate() {
            // Lines by number when both sides number them (the API may reorder), else by place.
            let x = r
                .line_number
                .and_then(|n| {
                    inv.items
                        .iter()
                        .find(|x| x.line_number == Some(i64::from(n)))
                })
                .unwrap_or(&inv.items[i]);
            if let Some(m) = compare_line(i, r, x) {
                return Err(m);
            }
        }
    }
    if let Some(total) = req.total_amount {
        if amount_differs(Some(total), inv.total_amount) {
            return differ(
                "total_amount",
                format!(
                    "this request totals {total}, the existing invoice {}",
                    inv.total_amount.unwrap_or_default()
                ),
            );
        }
    }
    Ok(())
}

fn compare_line(i: usize, r: &crate::model::LineItem, x: &InvoiceItem) -> Option<Mismatch> {
    let at = |f: &str| format!("items[{i}].{f}");
    let differ = |f: &str, detail: String| {
        Some(Mismatch {
            field: at(f),
            detail,
        })
    };
    if x.line_type.as_ref().is_some_and(|t| *t != r.line_type) {
        return differ("line_type", "the line type differs".into());
    }
    for (f, a, b) in [
        ("item_name", Some(r.item_name.clone()), x.item_name.clone()),
        ("unit", r.unit.clone(), x.unit.clone()),
        ("item_code", r.item_code.clone(), x.item_code.clone()),
    ] {
        if differs(&a, &b, norm) {
            return differ(f, format!("the line's {} differs", f.replace('_', " ")));
        }
    }
    for (f, a, b) in [
        ("quantity", r.quantity, x.quantity),
        ("unit_price", r.unit_price, x.unit_price),
        ("discount_amount", r.discount_amount, x.discount_amount),
        ("discount_tax", r.discount_tax, x.discount_tax),
    ] {
        if amount_differs(a, b) {
            return differ(
                f,
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
        return differ("tax_rate", "the VAT rate differs".into());
    }
    None
}

/// The document types an invoice made by a request of this kind can report (1 while a draft).
/// `None`: the kind makes no claim (an issue job).
fn document_types(expected: &Expected<'_>) -> Option<&'static [i64]> {
    Some(match (&expected.kind, expected.adjustment_type) {
        // A plain invoice: draft, new, replaced, adjusted (later corrections change it).
        (JobKind::Create, _) => &[1, 2, 3, 5, 10],
        // A replacement: draft, replacement, or replaced itself since.
        (JobKind::Replace, _) => &[1, 4, 5],
        (JobKind::Adjust, Some(AdjustmentType::Increase)) => &[1, 6],
        (JobKind::Adjust, Some(AdjustmentType::Decrease)) => &[1, 7],
        (JobKind::Adjust, Some(AdjustmentType::Info)) => &[1, 8],
        (JobKind::Adjust, Some(AdjustmentType::Combined)) => &[1, 9],
        _ => return None,
    })
}

/// The existing invoice is the same kind of document as the request: a correction of the same
/// original (of the same type), or a plain invoice for a create. Judged by what the invoice
/// reports: `document_type` (documented) and the relation fields (inferred names), each only
/// when present.
fn same_original(expected: &Expected<'_>, inv: &Invoice) -> std::result::Result<(), Mismatch> {
    let differ = |field: &str, detail: String| {
        Err(Mismatch {
            field: field.into(),
            detail,
        })
    };
    if let (Some(dt), Some(allowed)) = (inv.document_type, document_types(expected)) {
        if !allowed.contains(&dt) {
            return differ(
                "document_type",
                format!(
                    "this request makes a {} invoice, the existing invoice has document type {dt}",
                    expected.kind.as_str()
                ),
            );
        }
    }
    match (
        expected.original,
        inv.original_invoice_reference_code.as_deref(),
    ) {
        (Some(want), Some(got)) if want != got => {
            return differ(
                "original_invoice_reference_code",
                format!("this request corrects {want:?}, the existing invoice {got:?}"),
            )
        }
        (None, Some(_)) => {
            return differ(
                "original_invoice_reference_code",
                "the existing invoice corrects another invoice; this request is a new sale".into(),
            )
        }
        _ => {}
    }
    if let (Some(want), Some(got)) = (expected.adjustment_type, inv.adjustment_type.as_ref()) {
        if want != got {
            return differ(
                "adjustment_type",
                format!("this request is {want:?}, the existing invoice {got:?}"),
            );
        }
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

/// Reads the invoice holding `reference_code`, waiting while it is not visible yet (an earlier
/// create still being processed), within `deadline` and [`VISIBLE_WAIT`]. `Ok(None)`: still
/// not visible.
async fn existing(
    inner: &Arc<Inner>,
    reference_code: &str,
    deadline: Instant,
) -> Result<Option<Invoice>> {
    let until = deadline.min(crate::clock::after(Instant::now(), VISIBLE_WAIT));
    let mut pause = Duration::from_millis(100);
    loop {
        let call = Call::get(&["v1", "invoices", reference_code]);
        match inner.execute::<Invoice>(&call, deadline).await {
            Ok(inv) => return Ok(Some(inv)),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if crate::clock::after(Instant::now(), pause) >= until {
                    return Ok(None);
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) => return Err(e),
        }
    }
}

/// What the request that met a 409 was.
pub(crate) struct Expected<'a> {
    /// The invoice as sent.
    pub wire: &'a CreateInvoice,
    /// Create, replace or adjust.
    pub kind: JobKind,
    /// A correction's original.
    pub original: Option<&'a str>,
    /// An adjustment's type.
    pub adjustment_type: Option<&'a AdjustmentType>,
}

/// Turns a create's 409 into the existing invoice's job once that invoice is seen to match the
/// request, or an error that explains itself. `ours`: this request may have sent the code
/// before (an earlier attempt of this call was ambiguous, or the same object was sent before).
pub(crate) async fn after_conflict(
    inner: &Arc<Inner>,
    expected: Expected<'_>,
    reference_code: String,
    conflict: Error,
    ours: bool,
    deadline: Instant,
) -> Result<Job> {
    let conflict = conflict.with_reference_code(Some(reference_code.clone()));
    let found = match existing(inner, &reference_code, deadline).await {
        Ok(found) => found,
        // Cannot look: never guess that the invoice is ours.
        Err(e) => {
            return Err(conflict.with_ambiguous(ours).with_advice(&format!(
                "could not read the existing invoice to compare it with this request ({}); retry with the same request object or reference code",
                e.message()
            )))
        }
    };
    let Some(existing) = found else {
        return Err(conflict.with_ambiguous(ours).with_advice(&format!(
            "a create with reference code {reference_code:?} is still being processed, so it cannot be compared with this request yet; retry later with the same request object or reference code (never a new one, which would create a second invoice)"
        )));
    };
    adopt(&expected, reference_code, &existing, conflict)
}

/// A correction the API refused because of its original (`CorrectionRefused`), sent again after
/// an attempt that may have got through: the refusal may be the API seeing *our own* correction
/// (the original is already replaced — by us). One read of our reference code decides: a
/// matching correction is adopted, anything else leaves the refusal as it was.
pub(crate) async fn after_refusal(
    inner: &Arc<Inner>,
    expected: Expected<'_>,
    reference_code: String,
    refusal: Error,
    deadline: Instant,
) -> Result<Job> {
    let call = Call::get(&["v1", "invoices", &reference_code]);
    match inner.execute::<Invoice>(&call, deadline).await {
        Ok(existing) if matching(&expected, &existing).is_ok() => {
            adopt(&expected, reference_code, &existing, refusal)
        }
        _ => Err(refusal),
    }
}

/// The request and the invoice holding its reference code describe the same invoice.
fn matching(expected: &Expected<'_>, existing: &Invoice) -> std::result::Result<(), Mismatch> {
    compare(expected.wire, existing).and_then(|()| same_original(expected, existing))
}

/// The job that follows `existing` when it matches the request and its state fits, else an error
/// built on `conflict`.
fn adopt(
    expected: &Expected<'_>,
    reference_code: String,
    existing: &Invoice,
    conflict: Error,
) -> Result<Job> {
    let wire = expected.wire;
    if let Err(m) = matching(expected, existing) {
        return Err(conflict.with_field(Some(m.field.clone())).with_advice(&format!(
            "reference code {reference_code:?} already names a different invoice: {} differs ({}); check it with get_invoice({reference_code:?}) — only a different sale needs a new reference code",
            m.field, m.detail
        )));
    }
    let job = reconciled(expected.kind.clone(), reference_code.clone());
    match (&existing.status, wire.is_draft) {
        (InvoiceStatus::Issued, _) | (InvoiceStatus::Draft, true) => {
            tracing::warn!(
                reference_code,
                "create answered 409 and the existing invoice matches this request: following it instead of creating a second one"
            );
            Ok(job)
        }
        (InvoiceStatus::Draft, false) => Err(Error::new(
            ErrorKind::InvoiceFailed,
            format!(
                "the invoice with reference code {reference_code:?} exists as a draft: an earlier create of this request did not issue it (its signing failed); issue it with issue_invoice({reference_code:?})"
            ),
        )
        .with_job(job, None)),
        (status, _) => Err(conflict.with_field(Some("(invoice)".into())).with_advice(&format!(
            "reference code {reference_code:?} names an invoice in state {:?}, which a create cannot return",
            status.as_str()
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
            original_invoice_reference_code: None,
            adjustment_type: None,
            replaced_by: None,
            adjusted_by: Vec::new(),
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
        // Text is compared normalised: decomposed Vietnamese, spacing, e-mail case.
        let mut r = request();
        r.buyer.name = Some("Công ty  ABC".into());
        let mut x = invoice();
        x.buyer.as_mut().unwrap().name = Some("Co\u{302}ng ty ABC".into());
        assert_eq!(compare(&r, &x), Ok(()));
        // An invoice that reports too little is never adopted.
        let mut bare = invoice();
        bare.items.clear();
        bare.buyer = None;
        assert_eq!(compare(&request(), &bare).unwrap_err().field, "(invoice)");
    }

    fn expected<'a>(
        wire: &'a CreateInvoice,
        kind: JobKind,
        original: Option<&'a str>,
        adjustment_type: Option<&'a AdjustmentType>,
    ) -> Expected<'a> {
        Expected {
            wire,
            kind,
            original,
            adjustment_type,
        }
    }

    #[test]
    fn a_correction_is_adopted_only_as_the_same_correction() {
        let r = request();
        let mut repl = invoice();
        repl.document_type = Some(4);
        repl.original_invoice_reference_code = Some("orig".into());
        let replace = expected(&r, JobKind::Replace, Some("orig"), None);
        assert_eq!(matching(&replace, &repl), Ok(()));
        // Another original, or a plain invoice, is another document.
        let other = expected(&r, JobKind::Replace, Some("other"), None);
        assert_eq!(
            matching(&other, &repl).unwrap_err().field,
            "original_invoice_reference_code"
        );
        let create = expected(&r, JobKind::Create, None, None);
        assert_eq!(matching(&create, &repl).unwrap_err().field, "document_type");
        let mut plain = invoice();
        plain.document_type = Some(2);
        assert_eq!(
            matching(&replace, &plain).unwrap_err().field,
            "document_type"
        );
        // An adjustment of another type, told by its document type or its adjustment_type.
        let mut inc = invoice();
        inc.document_type = Some(6);
        inc.original_invoice_reference_code = Some("orig".into());
        let increase = AdjustmentType::Increase;
        let combined = AdjustmentType::Combined;
        assert_eq!(
            matching(
                &expected(&r, JobKind::Adjust, Some("orig"), Some(&increase)),
                &inc
            ),
            Ok(())
        );
        assert_eq!(
            matching(
                &expected(&r, JobKind::Adjust, Some("orig"), Some(&combined)),
                &inc
            )
            .unwrap_err()
            .field,
            "document_type"
        );
        inc.document_type = None;
        inc.adjustment_type = Some(AdjustmentType::Increase);
        assert_eq!(
            matching(
                &expected(&r, JobKind::Adjust, Some("orig"), Some(&combined)),
                &inc
            )
            .unwrap_err()
            .field,
            "adjustment_type"
        );
        // A draft correction reports document type 1 and still matches.
        let mut draft = repl.clone();
        draft.document_type = Some(1);
        assert_eq!(matching(&replace, &draft), Ok(()));
    }

    #[test]
    fn any_reported_difference_is_a_conflict() {
        // A stated total is compared; without one, the lines decide.
        let mut stated = request();
        stated.total_amount = Some(d("220000"));
        let mut other = invoice();
        other.total_amount = Some(d("330000"));
        assert_eq!(compare(&stated, &other).unwrap_err().field, "total_amount");
        assert_eq!(compare(&request(), &other), Ok(()));
        let mut r = request();
        r.notes = Some("order 1001".into());
        let mut other = invoice();
        other.notes = Some("order 1002".into());
        assert_eq!(compare(&r, &other).unwrap_err().field, "notes");
        let mut r = request();
        r.items[0].unit = Some("cái".into());
        let mut other = invoice();
        other.items[0].unit = Some("hộp".into());
        assert_eq!(compare(&r, &other).unwrap_err().field, "items[0].unit");
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
