//! Client-side validation: every rule the API documents is checked before a request is sent,
//! and each failure names the offending field (`items[0].tax_rate`). Type errors never repeat
//! the value, and no message repeats a buyer's personal data; rule errors may show an amount
//! or a date ("must not be negative, got -5").

mod code;
mod correction;
mod date;
pub(crate) mod findings;
mod json;
mod limits;
mod tax_code;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::model::{AdjustmentType, Claim, CreateInvoice, LineType};
use findings::Findings;

pub use code::is_safe_segment;
pub(crate) use code::{code, paging};
pub use correction::line_difference;
pub use date::{format_issued_date, ISSUED_DATE_FORMAT};
pub(crate) use date::{now_in_vietnam, parse_issued_date};
pub use json::describe_serde_error;
pub use limits::{MAX_AMOUNT, MAX_QUANTITY_PLACES};
pub use tax_code::{is_tax_code_shape, tax_code_checksum_ok};

fn decimal_places(d: &Decimal) -> u32 {
    d.normalize().scale()
}

/// What a request is for: an adjustment's lines are signed differences, the others' are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose<'a> {
    /// `POST /v1/invoices/create`.
    Create,
    /// `POST /v1/invoices/replace`.
    Replace,
    /// `POST /v1/invoices/adjust` of this type.
    Adjust(&'a AdjustmentType),
}

/// Checks an amount: not negative (unless `signed`), at most [`MAX_AMOUNT`] in size, at most
/// `places` decimals.
fn amount(f: &mut Findings, field: &str, v: &Option<Decimal>, places: u32, signed: bool) {
    let Some(d) = v else { return };
    if d.is_sign_negative() && !d.is_zero() && !signed {
        f.error(field, "amount", format!("must not be negative, got {d}"));
    } else if d.abs() > MAX_AMOUNT {
        f.error(
            field,
            "amount",
            format!("is too large: at most {MAX_AMOUNT}"),
        );
    } else if decimal_places(d) > places {
        f.error(
            field,
            "amount",
            format!("may have at most {places} decimal places, got {d}"),
        );
    }
}

fn email_ok(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

/// A request that passed every local check, normalised for the wire (no reference code yet).
#[derive(Debug)]
pub(crate) struct Checked {
    /// `issued_date` normalised and lines numbered.
    pub wire: CreateInvoice,
}

/// A create request ready for the wire.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The request as sent: `issued_date` normalised, lines numbered, `reference_code` set.
    pub wire: CreateInvoice,
    /// The reference code it is sent with.
    pub reference_code: String,
    /// The same request object was sent with this code before: a 409 may be its own invoice.
    pub sent_before: bool,
    /// The object's memory of its code, when the SDK chose it (to record a certain refusal).
    pub sent: Option<crate::model::SentReference>,
}

/// Checks a create request and returns the form that goes on the wire, remembering its
/// reference code on the request object (the client adds the account checks in between).
#[cfg(test)]
pub(crate) fn prepare_create_at(req: &CreateInvoice, now: NaiveDateTime) -> Result<Prepared> {
    let checked = check(req, Purpose::Create, now, false)?;
    claim(req, checked, serde_json::Map::new())
}

/// Every local problem of a request: structure, then the dated rules at the invoice's date.
pub(crate) fn findings(
    req: &CreateInvoice,
    purpose: Purpose<'_>,
    now: NaiveDateTime,
    strict: bool,
) -> (Findings, CreateInvoice, Option<NaiveDateTime>) {
    let mut f = Findings::default();
    let mut out = req.clone();
    let issued = structure(&mut f, &mut out, purpose, now);
    if let Some(issued) = issued {
        crate::rules::check(&mut f, &out, issued.date(), strict);
    }
    (f, out, issued)
}

/// Every problem a create request has that can be found without the network: the documented
/// field rules and the dated legal rules at the invoice's date (`strict`: extendable rules are
/// errors). What `--dry-run` and a batch's validation use; [`crate::Client::preflight`] adds
/// the provider account's checks.
pub fn local_problems(req: &CreateInvoice, strict: bool) -> Vec<crate::model::Problem> {
    findings(req, Purpose::Create, now_in_vietnam(), strict)
        .0
        .into_problems()
}

/// Runs every local check; `Err` names the first error and carries every problem.
#[cfg(test)]
pub(crate) fn check(
    req: &CreateInvoice,
    purpose: Purpose<'_>,
    now: NaiveDateTime,
    strict: bool,
) -> Result<Checked> {
    let (f, wire, _) = findings(req, purpose, now, strict);
    f.into_result()?;
    Ok(Checked { wire })
}

/// Takes the reference code for a checked request: the caller's own, or the one the SDK keeps on
/// the request object (generated on the first send). `extra`: what else identifies the request
/// (a correction's original), so changing it after a send is refused like any other change.
pub(crate) fn claim(
    req: &CreateInvoice,
    checked: Checked,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<Prepared> {
    let mut out = checked.wire;
    // The code is chosen last, once nothing more can be refused: a request that never leaves
    // does not take one. A caller's own code is used as given and never remembered.
    let (reference_code, sent_before, sent) = match &out.reference_code {
        Some(r) => (r.clone(), false, None),
        None => {
            let mut payload = serde_json::to_value(&out).map_err(|e| {
                Error::validation("(root)", format!("cannot be written as JSON: {e}"))
            })?;
            if let serde_json::Value::Object(m) = &mut payload {
                m.extend(extra);
            }
            match req.sent_reference.claim(payload) {
                Claim::Code { code, again } => (code, again, Some(req.sent_reference.shared())),
                Claim::Changed { code, field } => {
                    return Err(Error::validation(
                        field,
                        format!(
                            "changed since this request object was sent as reference code {code:?}, and that invoice may exist: send the object unchanged to retry it, or use a new object (a clone) for a new invoice"
                        ),
                    )
                    .with_reference_code(Some(code)))
                }
            }
        }
    };
    code("reference_code", &reference_code)?;
    out.reference_code = Some(reference_code.clone());
    Ok(Prepared {
        wire: out,
        reference_code,
        sent_before,
        sent,
    })
}

/// The structural checks (what the API documents), normalising `out` on the way. Returns the
/// invoice's date-time when it could be read.
fn structure(
    f: &mut Findings,
    out: &mut CreateInvoice,
    purpose: Purpose<'_>,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    if let Some(r) = &out.reference_code {
        f.check(code("reference_code", r), "reference-code");
    }
    for (field, v) in [
        ("provider_account_id", &out.provider_account_id),
        ("template_code", &out.template_code),
        ("invoice_series", &out.invoice_series),
    ] {
        if v.trim().is_empty() {
            f.error(field, "required", "is required");
        }
    }
    if !f.check(limits::check_strings(out), "length") {
        // A megabyte string is not worth checking further.
        return None;
    }
    let issued = match parse_issued_date(&out.issued_date) {
        Ok(issued) => {
            if issued > now {
                f.error(
                    "issued_date",
                    "not-future",
                    format!(
                        "must not be in the future: {} is after the current time in Vietnam ({})",
                        format_issued_date(issued),
                        format_issued_date(now)
                    ),
                );
            }
            out.issued_date = format_issued_date(issued);
            Some(issued)
        }
        Err(e) => {
            f.record_error(&e, "date-format");
            None
        }
    };
    if !out.currency.is_known() {
        f.error("currency", "currency", "must be VND, USD or CAD");
    }
    if let Some(pm) = &out.payment_method {
        if !pm.is_known() {
            f.error(
                "payment_method",
                "payment-method",
                "must be TM, CK, TM/CK or KHAC",
            );
        }
    }
    check_buyer(f, out);
    if out.items.is_empty() {
        f.error("items", "lines", "must contain at least one line");
    }
    if out.items.len() > limits::MAX_LINES {
        f.error(
            "items",
            "lines",
            format!("may hold at most {} lines", limits::MAX_LINES),
        );
        return issued;
    }
    let signed = matches!(purpose, Purpose::Adjust(_));
    for (i, item) in out.items.iter_mut().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        if item.line_number.is_none() {
            item.line_number = Some(i as u32 + 1);
        }
        if item.line_number == Some(0) {
            f.error(&at("line_number"), "line-number", "must be 1 or more");
        }
        if !item.line_type.is_known() {
            f.error(
                &at("line_type"),
                "line-type",
                format!(
                    "must be 1 (normal), 2 (promotion), 3 (discount) or 4 (note), got {}",
                    item.line_type
                ),
            );
        }
        if item.item_name.trim().is_empty() {
            f.error(&at("item_name"), "required", "is required");
        }
        amount(
            f,
            &at("quantity"),
            &item.quantity,
            MAX_QUANTITY_PLACES,
            signed,
        );
        amount(
            f,
            &at("unit_price"),
            &item.unit_price,
            limits::MAX_AMOUNT_PLACES,
            signed,
        );
        for (name, v) in [
            ("discount_amount", &item.discount_amount),
            (
                "before_discount_and_tax_amount",
                &item.before_discount_and_tax_amount,
            ),
            ("amount", &item.amount),
        ] {
            amount(f, &at(name), v, limits::MAX_AMOUNT_PLACES, false);
        }
        if let Some(p) = &item.discount_tax {
            if *p < Decimal::ZERO || *p > Decimal::ONE_HUNDRED {
                f.error(
                    &at("discount_tax"),
                    "discount",
                    format!("is a percentage and must be between 0 and 100, got {p}"),
                );
            } else {
                amount(
                    f,
                    &at("discount_tax"),
                    &item.discount_tax,
                    limits::MAX_AMOUNT_PLACES,
                    false,
                );
            }
        }
        if let (Some(d), Some(price)) = (item.discount_amount, item.unit_price) {
            let gross = item
                .quantity
                .unwrap_or(Decimal::ONE)
                .saturating_mul(price)
                .abs();
            if matches!(item.line_type, LineType::Normal | LineType::Promotion) && d > gross {
                f.error(
                    &at("discount_amount"),
                    "discount",
                    format!("is larger than the line's quantity × unit_price ({gross})"),
                );
            }
        }
        if let Some(rate) = item.tax_rate {
            if !rate.is_known() {
                f.error(
                    &at("tax_rate"),
                    "vat-rate",
                    format!("must be one of -2, -1, 0, 5, 8, 10, got {rate}"),
                );
            }
        }
        if item.line_type == LineType::Note && (item.unit_price.is_some_and(|p| !p.is_zero())) {
            f.error(
                &at("unit_price"),
                "note-line",
                "a note line (line_type 4) has no price",
            );
        }
    }
    if let Some(t) = &out.total_amount {
        if !t.fract().is_zero() {
            f.error(
                "total_amount",
                "total",
                format!("must be a whole number, got {t}"),
            );
        } else {
            amount(f, "total_amount", &out.total_amount, 0, signed);
        }
    }
    if let Purpose::Adjust(kind) = purpose {
        correction::adjustment_lines(f, out, kind);
    }
    issued
}

fn check_buyer(f: &mut Findings, req: &CreateInvoice) {
    let b = &req.buyer;
    if let Some(t) = &b.buyer_type {
        if !t.is_known() {
            f.error(
                "buyer.type",
                "buyer-type",
                "must be \"personal\" or \"company\"",
            );
        }
    }
    if let Some(tc) = b.tax_code.as_deref().filter(|s| !s.is_empty()) {
        // Since Circular 86/2024 (1 July 2025) an individual's or household business's tax code
        // is their 12-digit personal id, whatever `buyer.type` says (see rules `tax-code-*`).
        let personal_id = tc.len() == 12 && tc.bytes().all(|c| c.is_ascii_digit());
        if !personal_id && !is_tax_code_shape(tc) {
            let digits = tc.bytes().filter(u8::is_ascii_digit).count();
            let hint = if digits == 13 && tc.len() == 13 {
                ": write a branch's code with its dash (NNNNNNNNNN-NNN)"
            } else {
                ""
            };
            f.error_from(
                "buyer.tax_code",
                "tax-code-shape",
                format!(
                    "must be 10 digits, 10 digits, a dash and 3 digits for a branch (NNNNNNNNNN-NNN), or a 12-digit personal id{hint}"
                ),
                crate::rules::TAX_CODE_SOURCE,
            );
        }
    }
    if let Some(e) = b.email.as_deref().filter(|s| !s.is_empty()) {
        if !email_ok(e) {
            f.error("buyer.email", "email", "is not an e-mail address");
        }
    }
    if let Some(id) = b.national_id.as_deref().filter(|s| !s.is_empty()) {
        if id.len() != 12 || !id.bytes().all(|c| c.is_ascii_digit()) {
            f.error(
                "buyer.national_id",
                "national-id",
                "must be 12 digits (CCCD)",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Buyer, LineItem, TaxRate};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn dec_(s: &str) -> Decimal {
        dec(s)
    }

    fn base() -> CreateInvoice {
        CreateInvoice {
            provider_account_id: "acc".into(),
            template_code: "1".into(),
            invoice_series: "C26TSE".into(),
            issued_date: "2026-01-26 08:00:00".into(),
            buyer: Buyer {
                name: Some("ABC".into()),
                tax_code: Some("0101234567".into()),
                ..Default::default()
            },
            items: vec![LineItem::new("A", dec("2"), dec("100000")).with_tax_rate(TaxRate::Ten)],
            ..Default::default()
        }
    }

    fn now() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-11-21 10:00:00", ISSUED_DATE_FORMAT).unwrap()
    }

    fn field_of(r: Result<Prepared>) -> String {
        r.unwrap_err().field().unwrap().to_string()
    }

    #[test]
    fn fills_reference_and_line_numbers() {
        let req = base();
        let out = prepare_create_at(&req, now()).unwrap();
        assert_eq!(out.reference_code.len(), 36);
        assert_eq!(
            out.wire.reference_code.as_deref(),
            Some(out.reference_code.as_str())
        );
        assert_eq!(out.wire.items[0].line_number, Some(1));
        assert!(!out.sent_before);
        // The same object again: the same code, known as sent before. A clone: a new code.
        let again = prepare_create_at(&req, now()).unwrap();
        assert_eq!(again.reference_code, out.reference_code);
        assert!(again.sent_before);
        let copy = prepare_create_at(&req.clone(), now()).unwrap();
        assert_ne!(copy.reference_code, out.reference_code);
        // Changed after a send whose invoice may exist: refused, naming what changed.
        let mut changed = req;
        changed.items[0].unit = Some("hộp".into());
        let e = prepare_create_at(&changed, now()).unwrap_err();
        assert_eq!(e.field(), Some("items[0].unit"));
        assert_eq!(e.reference_code(), Some(out.reference_code.as_str()));
        // A caller's own code is never remembered.
        let mut own = base();
        own.reference_code = Some("ORDER-1".into());
        assert_eq!(
            prepare_create_at(&own, now()).unwrap().reference_code,
            "ORDER-1"
        );
        assert_eq!(own.sent_reference.get(), None);
    }

    #[test]
    fn normalises_issued_date_forms() {
        let mut r = base();
        r.issued_date = "2026-01-26T01:00:00Z".into();
        assert_eq!(
            prepare_create_at(&r, now()).unwrap().wire.issued_date,
            "2026-01-26 08:00:00"
        );
        // A new object: the first one was sent and may not change.
        let mut r = base();
        r.issued_date = "2026-01-26".into();
        assert_eq!(
            prepare_create_at(&r, now()).unwrap().wire.issued_date,
            "2026-01-26 00:00:00"
        );
    }

    #[test]
    fn rejects_with_field_paths() {
        let mut r = base();
        r.issued_date = "2026-12-01 00:00:00".into();
        assert_eq!(field_of(prepare_create_at(&r, now())), "issued_date");
        let mut r = base();
        r.items[0].tax_rate = Some(TaxRate::Other(7));
        assert_eq!(field_of(prepare_create_at(&r, now())), "items[0].tax_rate");
        let mut r = base();
        r.items[0].quantity = Some(dec("1.255"));
        assert_eq!(field_of(prepare_create_at(&r, now())), "items[0].quantity");
        let mut r = base();
        r.items[0].line_type = LineType::Other(5);
        assert_eq!(field_of(prepare_create_at(&r, now())), "items[0].line_type");
        let mut r = base();
        r.total_amount = Some(dec("100000.5"));
        assert_eq!(field_of(prepare_create_at(&r, now())), "total_amount");
        let mut r = base();
        r.buyer.tax_code = Some("12345".into());
        assert_eq!(field_of(prepare_create_at(&r, now())), "buyer.tax_code");
        let mut r = base();
        r.items.clear();
        assert_eq!(field_of(prepare_create_at(&r, now())), "items");
        let mut r = base();
        r.provider_account_id.clear();
        assert_eq!(
            field_of(prepare_create_at(&r, now())),
            "provider_account_id"
        );
    }

    #[test]
    fn every_amount_is_bounded_and_signed() {
        let mut r = base();
        r.items.push(LineItem {
            line_type: LineType::Discount,
            item_name: "CK".into(),
            amount: Some(dec("-5")),
            ..Default::default()
        });
        assert_eq!(field_of(prepare_create_at(&r, now())), "items[1].amount");
        let mut r = base();
        r.items[0].discount_amount = Some(dec("200001"));
        assert_eq!(
            field_of(prepare_create_at(&r, now())),
            "items[0].discount_amount"
        );
        let mut r = base();
        r.items[0].unit_price = Some(dec("0.0000001"));
        assert_eq!(
            field_of(prepare_create_at(&r, now())),
            "items[0].unit_price"
        );
        let mut r = base();
        r.total_amount = Some(dec("2000000000000000"));
        assert_eq!(field_of(prepare_create_at(&r, now())), "total_amount");
        let mut r = base();
        r.buyer.tax_code = Some("0101234567001".into());
        let e = prepare_create_at(&r, now()).unwrap_err();
        assert_eq!(e.field(), Some("buyer.tax_code"));
        assert!(e.message().contains("dash"));
        let mut r = base();
        r.items[0].item_name = "x".repeat(10_000);
        assert_eq!(field_of(prepare_create_at(&r, now())), "items[0].item_name");
    }

    #[test]
    fn huge_amounts_are_rejected_by_field() {
        assert_eq!(MAX_AMOUNT, dec("1000000000000000"));
        let mut r = base();
        r.items[0].unit_price = Some(dec("1000000000000001"));
        assert_eq!(
            field_of(prepare_create_at(&r, now())),
            "items[0].unit_price"
        );
    }

    fn fields(r: &CreateInvoice, purpose: Purpose<'_>) -> Vec<String> {
        let (f, _, _) = findings(r, purpose, now(), false);
        f.into_problems()
            .into_iter()
            .filter(|p| p.severity == crate::model::Severity::Error)
            .map(|p| p.field)
            .collect()
    }

    #[test]
    fn adjustments_are_signed_by_their_type() {
        let mut dec = base();
        dec.items[0].unit_price = Some(dec_("-50000"));
        assert!(fields(&dec, Purpose::Adjust(&AdjustmentType::Decrease)).is_empty());
        assert!(fields(&dec, Purpose::Adjust(&AdjustmentType::Combined)).is_empty());
        assert_eq!(
            fields(&dec, Purpose::Adjust(&AdjustmentType::Increase)),
            ["items[0].unit_price"]
        );
        // A negative price is refused outside adjustments.
        assert_eq!(fields(&dec, Purpose::Create), ["items[0].unit_price"]);
        assert_eq!(fields(&dec, Purpose::Replace), ["items[0].unit_price"]);
        // A decrease written with a negative quantity names the quantity.
        let mut q = base();
        q.items[0].quantity = Some(dec_("-1"));
        assert!(fields(&q, Purpose::Adjust(&AdjustmentType::Decrease)).is_empty());
        assert_eq!(
            fields(&q, Purpose::Adjust(&AdjustmentType::Increase)),
            ["items[0].quantity"]
        );
        assert_eq!(
            fields(&base(), Purpose::Adjust(&AdjustmentType::Decrease)),
            ["items[0].unit_price"]
        );
        assert_eq!(
            fields(&base(), Purpose::Adjust(&AdjustmentType::Info)),
            ["items[0].unit_price"]
        );
        let mut info = base();
        info.items[0].unit_price = None;
        info.items[0].quantity = None;
        assert!(fields(&info, Purpose::Adjust(&AdjustmentType::Info)).is_empty());
        info.total_amount = Some(dec_("1000"));
        assert_eq!(
            fields(&info, Purpose::Adjust(&AdjustmentType::Info)),
            ["total_amount"]
        );
        assert_eq!(
            fields(&base(), Purpose::Adjust(&AdjustmentType::Other("x".into()))),
            ["adjustment_type"]
        );
    }

    #[test]
    fn one_pass_reports_every_problem() {
        let mut r = base();
        r.invoice_series = "C20TSE".into();
        r.buyer.email = Some("nope".into());
        r.items[0].item_name.clear();
        r.items[0].tax_rate = Some(TaxRate::Other(7));
        let e = check(&r, Purpose::Create, now(), false).unwrap_err();
        assert_eq!(e.field(), Some("buyer.email"));
        assert!(e.message().contains("and 3 more errors"), "{e}");
        let f: Vec<&str> = e.problems().iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            f,
            [
                "buyer.email",
                "items[0].item_name",
                "items[0].tax_rate",
                "invoice_series",
                "buyer.tax_code"
            ]
        );
    }

    #[test]
    fn json_type_errors_name_the_path() {
        let v = serde_json::json!({"items": [{"item_name": "A", "quantity": "abc"}]});
        let e = CreateInvoice::from_json(v).unwrap_err();
        assert_eq!(e.field(), Some("items[0].quantity"));
    }
}
