//! Size limits of a create request. The API does not publish field lengths; these follow the
//! tax authority's invoice XML layout (TT78/2021: e.g. item name 500, unit 50, buyer name and
//! address 400) where it has one, and are generous elsewhere — their purpose is to
//! refuse absurd input (megabyte strings) before it is sent. Inferred, not documented by SePay.

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::model::CreateInvoice;

/// Largest amount or quantity accepted (10^15): far above any real invoice, and small enough that
/// line arithmetic cannot overflow.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// Decimal places of a quantity (documented by the API).
pub const MAX_QUANTITY_PLACES: u32 = 2;

/// Decimal places of a price or amount (the XML layout's `numeric(21,6)`).
pub(crate) const MAX_AMOUNT_PLACES: u32 = 6;

/// Lines on one invoice.
pub(crate) const MAX_LINES: usize = 1000;

/// Longest text, in characters, per field (paths as in errors; `items[].x` for every line).
const LIMITS: &[(&str, usize)] = &[
    ("provider_account_id", 64),
    ("template_code", 16),
    ("invoice_series", 16),
    ("issued_date", 40),
    ("notes", 2000),
    ("seller_store_code", 50),
    ("seller_store_name", 400),
    ("buyer.name", 400),
    ("buyer.legal_name", 400),
    ("buyer.tax_code", 14),
    ("buyer.address", 400),
    ("buyer.email", 254),
    ("buyer.phone", 50),
    ("buyer.buyer_code", 50),
    ("buyer.national_id", 12),
    ("items[].item_code", 50),
    ("items[].item_name", 500),
    ("items[].unit", 50),
];

fn limit(field: &str) -> usize {
    LIMITS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(2000, |(_, n)| *n)
}

fn check(field: &str, limit_key: &str, value: Option<&str>) -> Result<()> {
    let Some(v) = value else { return Ok(()) };
    let max = limit(limit_key);
    // Count lazily: a huge string stops being counted at the limit.
    if v.chars().nth(max).is_some() {
        return Err(Error::validation(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(())
}

/// Checks every text field of a request against its limit.
pub(crate) fn check_strings(r: &CreateInvoice) -> Result<()> {
    for (f, v) in [
        ("provider_account_id", Some(r.provider_account_id.as_str())),
        ("template_code", Some(r.template_code.as_str())),
        ("invoice_series", Some(r.invoice_series.as_str())),
        ("issued_date", Some(r.issued_date.as_str())),
        ("notes", r.notes.as_deref()),
        ("seller_store_code", r.seller_store_code.as_deref()),
        ("seller_store_name", r.seller_store_name.as_deref()),
    ] {
        check(f, f, v)?;
    }
    let b = &r.buyer;
    for (f, v) in [
        ("buyer.name", &b.name),
        ("buyer.legal_name", &b.legal_name),
        ("buyer.tax_code", &b.tax_code),
        ("buyer.address", &b.address),
        ("buyer.email", &b.email),
        ("buyer.phone", &b.phone),
        ("buyer.buyer_code", &b.buyer_code),
        ("buyer.national_id", &b.national_id),
    ] {
        check(f, f, v.as_deref())?;
    }
    for (i, item) in r.items.iter().enumerate() {
        for (f, v) in [
            ("item_code", item.item_code.as_deref()),
            ("item_name", Some(item.item_name.as_str())),
            ("unit", item.unit.as_deref()),
        ] {
            check(&format!("items[{i}].{f}"), &format!("items[].{f}"), v)?;
        }
    }
    Ok(())
}
