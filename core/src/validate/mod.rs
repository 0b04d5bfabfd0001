//! Client-side validation: every rule the API documents is checked before a request is sent,
//! and each failure names the offending field (`items[0].tax_rate`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::model::{CreateInvoice, LineType};

/// Vietnam's offset (UTC+7, no daylight saving): the API reads `issued_date` in this zone.
pub(crate) const fn vietnam() -> FixedOffset {
    const VN: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
        Some(o) => o,
        None => panic!("UTC+7 is a valid offset"),
    };
    VN
}

/// The current date-time in Vietnam.
pub(crate) fn now_in_vietnam() -> NaiveDateTime {
    Utc::now().with_timezone(&vietnam()).naive_local()
}

/// The API's request format for `issued_date`.
pub const ISSUED_DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Reads JSON into a typed value; a mismatch becomes a validation error naming the field path.
pub(crate) fn from_json<T: DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "(root)".to_string()
        } else {
            path
        };
        Error::validation(field, e.inner().to_string())
    })
}

/// Formats a date-time for `issued_date`.
pub fn format_issued_date(dt: NaiveDateTime) -> String {
    dt.format(ISSUED_DATE_FORMAT).to_string()
}

/// Reads `issued_date` in any accepted form and returns it as Vietnam local time.
pub(crate) fn parse_issued_date(s: &str) -> Result<NaiveDateTime> {
    let t = s.trim();
    let bad = || {
        Error::validation(
            "issued_date",
            format!("must look like \"2026-01-26 08:00:00\" (Vietnam time), got {s:?}"),
        )
    };
    if t.is_empty() {
        return Err(Error::validation("issued_date", "is required"));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&vietnam()).naive_local());
    }
    for fmt in [
        ISSUED_DATE_FORMAT,
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(dt.with_nanosecond0());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).ok_or_else(bad);
    }
    Err(bad())
}

trait DropNanos {
    fn with_nanosecond0(self) -> Self;
}
impl DropNanos for NaiveDateTime {
    fn with_nanosecond0(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// Checks a reference or tracking code used in a URL path.
pub(crate) fn code(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::validation(field, "is required"));
    }
    if value.len() > 255
        || value
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '?' || c == '#' || c.is_control())
    {
        return Err(Error::validation(
            field,
            format!("is not a valid code: {value:?}"),
        ));
    }
    Ok(())
}

/// Checks page selection.
pub(crate) fn paging(page: Option<u32>, per_page: Option<u32>) -> Result<()> {
    if page == Some(0) {
        return Err(Error::validation("page", "must be 1 or more"));
    }
    if let Some(p) = per_page {
        if !(1..=100).contains(&p) {
            return Err(Error::validation(
                "per_page",
                format!("must be between 1 and 100, got {p}"),
            ));
        }
    }
    Ok(())
}

fn decimal_places(d: &Decimal) -> u32 {
    d.normalize().scale()
}

/// Largest amount or quantity accepted (10^15): far above any real invoice, and small enough that
/// line arithmetic cannot overflow.
const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

fn non_negative(field: &str, v: &Option<Decimal>) -> Result<()> {
    match v {
        Some(d) if d.is_sign_negative() && !d.is_zero() => Err(Error::validation(
            field,
            format!("must not be negative, got {d}"),
        )),
        Some(d) if *d > MAX_AMOUNT => Err(Error::validation(field, format!("is too large: {d}"))),
        _ => Ok(()),
    }
}

/// Whether `s` is a tax code of the documented shape: 10 digits, or 10 + 3 for a branch.
pub fn is_tax_code_shape(s: &str) -> bool {
    if !s.is_ascii() {
        return false; // also keeps the byte slicing below on character boundaries
    }
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match s.len() {
        10 => digits(s),
        13 => digits(s),
        14 => s.as_bytes()[10] == b'-' && digits(&s[..10]) && digits(&s[11..]),
        _ => false,
    }
}

/// The tax-code check digit test (Circular 105/2020): weights 31,29,23,19,17,13,7,5,3 over the
/// first nine digits, check = 10 − (sum mod 11). Some official API examples fail it, so the SDK
/// only warns.
pub fn tax_code_checksum_ok(s: &str) -> bool {
    let d: Vec<u32> = s
        .bytes()
        .take(10)
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
        .collect();
    if d.len() != 10 {
        return false;
    }
    const W: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = d.iter().zip(W).map(|(a, w)| a * w).sum();
    let r = sum % 11;
    if r == 0 {
        return false;
    }
    (10 - r) % 10 == d[9]
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

/// Checks a create request and returns the form that goes on the wire: `issued_date` normalised,
/// lines numbered, `reference_code` filled.
pub(crate) fn prepare_create(req: &CreateInvoice) -> Result<CreateInvoice> {
    prepare_create_at(req, now_in_vietnam())
}

pub(crate) fn prepare_create_at(req: &CreateInvoice, now: NaiveDateTime) -> Result<CreateInvoice> {
    let mut out = req.clone();
    match &out.reference_code {
        Some(r) => code("reference_code", r)?,
        None => out.reference_code = Some(uuid::Uuid::new_v4().to_string()),
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
        return Err(Error::validation(
            "currency",
            format!("must be VND, USD or CAD, got {:?}", out.currency.as_str()),
        ));
    }
    if let Some(pm) = &out.payment_method {
        if !pm.is_known() {
            return Err(Error::validation(
                "payment_method",
                format!("must be TM, CK, TM/CK or KHAC, got {:?}", pm.as_str()),
            ));
        }
    }
    check_buyer(&out)?;
    if out.items.is_empty() {
        return Err(Error::validation("items", "must contain at least one line"));
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
        if let Some(q) = &item.quantity {
            if decimal_places(q) > 2 {
                return Err(Error::validation(
                    at("quantity"),
                    format!("may have at most 2 decimal places, got {q}"),
                ));
            }
        }
        non_negative(&at("quantity"), &item.quantity)?;
        non_negative(&at("unit_price"), &item.unit_price)?;
        non_negative(&at("discount_amount"), &item.discount_amount)?;
        non_negative(
            &at("before_discount_and_tax_amount"),
            &item.before_discount_and_tax_amount,
        )?;
        if let Some(p) = &item.discount_tax {
            if *p < Decimal::ZERO || *p > Decimal::ONE_HUNDRED {
                return Err(Error::validation(
                    at("discount_tax"),
                    format!("is a percentage and must be between 0 and 100, got {p}"),
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
        non_negative("total_amount", &out.total_amount)?;
    }
    Ok(out)
}

fn check_buyer(req: &CreateInvoice) -> Result<()> {
    let b = &req.buyer;
    if let Some(t) = &b.buyer_type {
        if !t.is_known() {
            return Err(Error::validation(
                "buyer.type",
                format!("must be \"personal\" or \"company\", got {:?}", t.as_str()),
            ));
        }
    }
    if let Some(tc) = b.tax_code.as_deref().filter(|s| !s.is_empty()) {
        let personal_id = b.buyer_type == Some(crate::model::BuyerType::Personal)
            && tc.len() == 12
            && tc.bytes().all(|c| c.is_ascii_digit());
        if !personal_id && !is_tax_code_shape(tc) {
            return Err(Error::validation(
                "buyer.tax_code",
                "must be 10 digits, or 10 digits + 3 for a branch (0101234567-001)",
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

    fn field_of(r: Result<CreateInvoice>) -> String {
        r.unwrap_err().field().unwrap().to_string()
    }

    #[test]
    fn fills_reference_and_line_numbers() {
        let out = prepare_create_at(&base(), now()).unwrap();
        assert_eq!(out.reference_code.as_ref().unwrap().len(), 36);
        assert_eq!(out.items[0].line_number, Some(1));
    }

    #[test]
    fn normalises_issued_date_forms() {
        let mut r = base();
        r.issued_date = "2026-01-26T01:00:00Z".into();
        assert_eq!(
            prepare_create_at(&r, now()).unwrap().issued_date,
            "2026-01-26 08:00:00"
        );
        r.issued_date = "2026-01-26".into();
        assert_eq!(
            prepare_create_at(&r, now()).unwrap().issued_date,
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
    fn tax_code_checksum_matches_reference_values() {
        assert!(tax_code_checksum_ok("0100233488"));
        assert!(tax_code_checksum_ok("0314409058-002"));
        assert!(tax_code_checksum_ok("0317887567"));
        assert!(!tax_code_checksum_ok("0101234567"));
        assert!(!tax_code_checksum_ok("0123456789"));
        assert!(is_tax_code_shape("0314409058-002"));
        assert!(!is_tax_code_shape("03144090580"));
        assert!(!is_tax_code_shape("ééééééé"));
    }

    #[test]
    fn json_type_errors_name_the_path() {
        let v = serde_json::json!({"items": [{"item_name": "A", "quantity": "abc"}]});
        let e = CreateInvoice::from_json(v).unwrap_err();
        assert_eq!(e.field(), Some("items[0].quantity"));
    }
}
