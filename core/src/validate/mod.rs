//! Client-side validation: every rule the API documents is checked before a request is sent,
//! and each failure names the offending field (`items[0].tax_rate`). Type errors never repeat
//! the value, and no message repeats a buyer's personal data; rule errors may show an amount
//! or a date ("must not be negative, got -5").

mod code;
mod date;
mod json;
mod limits;
mod tax_code;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::model::{Claim, CreateInvoice, LineType};

pub(crate) use code::{code, is_safe_segment, paging};
pub use date::{format_issued_date, ISSUED_DATE_FORMAT};
pub(crate) use date::{now_in_vietnam, parse_issued_date};
pub use json::describe_serde_error;
pub use limits::{MAX_AMOUNT, MAX_QUANTITY_PLACES};
pub use tax_code::{is_tax_code_shape, tax_code_checksum_ok};

fn decimal_places(d: &Decimal) -> u32 {
    d.normalize().scale()
}

/// Checks an amount: not negative, at most [`MAX_AMOUNT`], at most `places` decimals.
fn amount(field: &str, v: &Option<Decimal>, places: u32) -> Result<()> {
    let Some(d) = v else { return Ok(()) };
    if d.is_sign_negative() && !d.is_zero() {
        return Err(Error::validation(
            field,
            format!("must not be negative, got {d}"),
        ));
    }
    if *d > MAX_AMOUNT {
        return Err(Error::validation(
            field,
            format!("is too large: at most {MAX_AMOUNT}"),
        ));
    }
    if decimal_places(d) > places {
        return Err(Error::validation(
            field,
            format!("may have at most {places} decimal places, got {d}"),
        ));
    }
    Ok(())
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
/// reference code on the request object.
pub(crate) fn prepare_create(req: &CreateInvoice) -> Result<Prepared> {
    prepare_create_at(req, now_in_vietnam())
}

pub(crate) fn prepare_create_at(req: &CreateInvoice, now: NaiveDateTime) -> Result<Prepared> {
    let mut out = req.clone();
    if let Some(r) = &out.reference_code {
        code("reference_code", r)?;
    }
    for (field, v) in [
        ("provider_account_id", &out.provider_account_id),
        ("template_code", &out.template_code),
        ("invoice_series", &out.invoice_series),
    ] {
        if v.trim().is_empty() {
            return Err(Error::validation(field, "is required"));
        }
    }
    limits::check_strings(&out)?;
    let issued = parse_issued_date(&out.issued_date)?;
    if issued > now {
        return Err(Error::validation(
            "issued_date",
            format!(
                "must not be in the future: {} is after the current time in Vietnam ({})",
                format_issued_date(issued),
                format_issued_date(now)
            ),
        ));
    }
    out.issued_date = format_issued_date(issued);
    if !out.currency.is_known() {
        return Err(Error::validation("currency", "must be VND, USD or CAD"));
    }
    if let Some(pm) = &out.payment_method {
        if !pm.is_known() {
            return Err(Error::validation(
                "payment_method",
                "must be TM, CK, TM/CK or KHAC",
            ));
        }
    }
    check_buyer(&out)?;
    if out.items.is_empty() {
        return Err(Error::validation("items", "must contain at least one line"));
    }
    if out.items.len() > limits::MAX_LINES {
        return Err(Error::validation(
            "items",
            format!("may hold at most {} lines", limits::MAX_LINES),
        ));
    }
    for (i, item) in out.items.iter_mut().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        if item.line_number.is_none() {
            item.line_number = Some(i as u32 + 1);
        }
        if item.line_number == Some(0) {
            return Err(Error::validation(at("line_number"), "must be 1 or more"));
        }
        if !item.line_type.is_known() {
            return Err(Error::validation(
                at("line_type"),
                format!(
                    "must be 1 (normal), 2 (promotion), 3 (discount) or 4 (note), got {}",
                    item.line_type
                ),
            ));
        }
        if item.item_name.trim().is_empty() {
            return Err(Error::validation(at("item_name"), "is required"));
        }
        amount(&at("quantity"), &item.quantity, MAX_QUANTITY_PLACES)?;
        for (f, v) in [
            ("unit_price", &item.unit_price),
            ("discount_amount", &item.discount_amount),
            (
                "before_discount_and_tax_amount",
                &item.before_discount_and_tax_amount,
            ),
            ("amount", &item.amount),
        ] {
            amount(&at(f), v, limits::MAX_AMOUNT_PLACES)?;
        }
        if let Some(p) = &item.discount_tax {
            if *p < Decimal::ZERO || *p > Decimal::ONE_HUNDRED {
                return Err(Error::validation(
                    at("discount_tax"),
                    format!("is a percentage and must be between 0 and 100, got {p}"),
                ));
            }
            amount(
                &at("discount_tax"),
                &item.discount_tax,
                limits::MAX_AMOUNT_PLACES,
            )?;
        }
        if let (Some(d), Some(price)) = (item.discount_amount, item.unit_price) {
            let gross = item.quantity.unwrap_or(Decimal::ONE).saturating_mul(price);
            if matches!(item.line_type, LineType::Normal | LineType::Promotion) && d > gross {
                return Err(Error::validation(
                    at("discount_amount"),
                    format!("is larger than the line's quantity × unit_price ({gross})"),
                ));
            }
        }
        if let Some(rate) = item.tax_rate {
            if !rate.is_known() {
                return Err(Error::validation(
                    at("tax_rate"),
                    format!("must be one of -2, -1, 0, 5, 8, 10, got {rate}"),
                ));
            }
        }
        if item.line_type == LineType::Note && (item.unit_price.is_some_and(|p| !p.is_zero())) {
            return Err(Error::validation(
                at("unit_price"),
                "a note line (line_type 4) has no price",
            ));
        }
    }
    if let Some(t) = &out.total_amount {
        if !t.fract().is_zero() {
            return Err(Error::validation(
                "total_amount",
                format!("must be a whole number, got {t}"),
            ));
        }
        amount("total_amount", &out.total_amount, 0)?;
    }
    // The code is chosen last, once nothing more can be refused: a request that never leaves
    // does not take one. A caller's own code is used as given and never remembered.
    let (reference_code, sent_before, sent) = match &out.reference_code {
        Some(r) => (r.clone(), false, None),
        None => {
            let payload = serde_json::to_value(&out).map_err(|e| {
                Error::validation("(root)", format!("cannot be written as JSON: {e}"))
            })?;
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

fn check_buyer(req: &CreateInvoice) -> Result<()> {
    let b = &req.buyer;
    if let Some(t) = &b.buyer_type {
        if !t.is_known() {
            return Err(Error::validation(
                "buyer.type",
                "must be \"personal\" or \"company\"",
            ));
        }
    }
    if let Some(tc) = b.tax_code.as_deref().filter(|s| !s.is_empty()) {
        // Since Circular 86/2024 (1 July 2025) an individual's or household business's tax code
        // is their 12-digit personal id, whatever `buyer.type` says.
        let personal_id = tc.len() == 12 && tc.bytes().all(|c| c.is_ascii_digit());
        if !personal_id && !is_tax_code_shape(tc) {
            let digits = tc.bytes().filter(u8::is_ascii_digit).count();
            let hint = if digits == 13 && tc.len() == 13 {
                ": write a branch's code with its dash (NNNNNNNNNN-NNN)"
            } else {
                ""
            };
            return Err(Error::validation(
                "buyer.tax_code",
                format!(
                    "must be 10 digits, 10 digits, a dash and 3 digits for a branch (NNNNNNNNNN-NNN), or a 12-digit personal id{hint}"
                ),
            ));
        }
        if !personal_id && !tax_code_checksum_ok(tc) {
            tracing::warn!(field = "buyer.tax_code", "tax code check digit does not match; sending anyway (the API's own examples fail it)");
        }
    }
    if let Some(e) = b.email.as_deref().filter(|s| !s.is_empty()) {
        if !email_ok(e) {
            return Err(Error::validation("buyer.email", "is not an e-mail address"));
        }
    }
    if let Some(id) = b.national_id.as_deref().filter(|s| !s.is_empty()) {
        if id.len() != 12 || !id.bytes().all(|c| c.is_ascii_digit()) {
            return Err(Error::validation(
                "buyer.national_id",
                "must be 12 digits (CCCD)",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Buyer, LineItem, TaxRate};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
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

    #[test]
    fn json_type_errors_name_the_path() {
        let v = serde_json::json!({"items": [{"item_name": "A", "quantity": "abc"}]});
        let e = CreateInvoice::from_json(v).unwrap_err();
        assert_eq!(e.field(), Some("items[0].quantity"));
    }
}
