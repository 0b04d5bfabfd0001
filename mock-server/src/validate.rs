//! Server-side validation of `POST /v1/invoices/create`, `/replace` and `/adjust`. Every error
//! names the offending field (`items[0].line_type`), the way the SDK reports its own client-side
//! checks.
//!
//! The three share one body: `/replace` adds `original_invoice_reference_code`, `/adjust` adds it
//! and `adjustment_type`. Only `/adjust` takes negative `quantity` and `unit_price` (a line is a
//! signed difference, quantity × unit_price), and then checks the signs against the type.

use std::str::FromStr;

use chrono::{Duration as ChronoDuration, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::envelope::ApiError;
use crate::model::{AdjustmentType, Invoice, InvoiceKind, Item};
use crate::totals;

/// Which endpoint a body was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/invoices/create`.
    Create,
    /// `POST /v1/invoices/replace`.
    Replace,
    /// `POST /v1/invoices/adjust`.
    Adjust,
}

/// A validated create, replace or adjust request.
#[derive(Debug)]
pub struct CreateRequest {
    /// The invoice as it will be stored (a draft; issued later if `is_draft` is false). Its
    /// `kind` says what it corrects, if anything.
    pub invoice: Invoice,
    /// `is_draft` (default false).
    pub is_draft: bool,
}

const CURRENCIES: &[&str] = &["VND", "USD", "CAD"];
const PAYMENT_METHODS: &[&str] = &["TM", "CK", "TM/CK", "KHAC"];
const TAX_RATES: &[i64] = &[-2, -1, 0, 5, 8, 10];
const BUYER_TYPES: &[&str] = &["personal", "company"];
const BUYER_STRINGS: &[&str] = &[
    "name",
    "legal_name",
    "tax_code",
    "address",
    "email",
    "phone",
    "buyer_code",
    "national_id",
];

/// The current wall-clock time in Vietnam (UTC+7), which `issued_date` may not exceed.
pub fn now_vietnam() -> NaiveDateTime {
    (Utc::now() + ChronoDuration::hours(7)).naive_utc()
}

/// Validates a create, replace or adjust body. `known_account` says whether a provider account
/// id exists.
pub fn invoice_request(
    body: &Value,
    endpoint: Endpoint,
    known_account: impl Fn(&str) -> bool,
) -> Result<CreateRequest, ApiError> {
    // Only an adjustment's lines are signed differences.
    let signed = endpoint == Endpoint::Adjust;
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("Dữ liệu gửi lên phải là một đối tượng JSON."))?;

    let reference_code = match opt_string(obj, "reference_code", "reference_code")? {
        Some(s) if s.trim().is_empty() || s.len() > 255 => {
            return Err(ApiError::invalid("reference_code"))
        }
        Some(s) => s,
        None => Uuid::new_v4().to_string(),
    };
    let template_code = req_string(obj, "template_code", "template_code")?;
    let invoice_series = req_string(obj, "invoice_series", "invoice_series")?;
    let issued_at = issued_date(obj)?;
    let currency = req_string(obj, "currency", "currency")?;
    if !CURRENCIES.contains(&currency.as_str()) {
        return Err(ApiError::invalid("currency"));
    }
    let provider_account_id = req_string(obj, "provider_account_id", "provider_account_id")?;
    if !known_account(&provider_account_id) {
        return Err(ApiError::bad_request(
            "Trường provider_account_id không tồn tại tài khoản với ID cung cấp (provider_account_id)",
        ));
    }
    let payment_method = opt_string(obj, "payment_method", "payment_method")?;
    if let Some(pm) = &payment_method {
        if !PAYMENT_METHODS.contains(&pm.as_str()) {
            return Err(ApiError::invalid("payment_method"));
        }
    }
    let is_draft = match obj.get("is_draft") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::invalid("is_draft")),
    };
    let buyer = buyer(obj)?;
    let items = items(obj, signed)?;
    let notes = opt_string(obj, "notes", "notes")?;
    let seller_store_code = opt_string(obj, "seller_store_code", "seller_store_code")?;
    let seller_store_name = opt_string(obj, "seller_store_name", "seller_store_name")?;
    let client_total = match obj.get("total_amount") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let d = decimal(v).ok_or_else(|| ApiError::invalid("total_amount"))?;
            if d.normalize().scale() != 0 {
                return Err(ApiError::bad_request(
                    "Trường total_amount phải là số nguyên (total_amount)",
                ));
            }
            Some(d.normalize())
        }
    };
    let t = totals::totals(items.iter().map(Item::priced), &currency, client_total)
        .ok_or_else(|| ApiError::bad_request("Trường items có giá trị tiền quá lớn (items)"))?;
    let kind = match endpoint {
        Endpoint::Create => InvoiceKind::New,
        Endpoint::Replace => InvoiceKind::Replacement {
            original: original_reference(obj)?,
        },
        Endpoint::Adjust => {
            let original = original_reference(obj)?;
            let adjustment = adjustment_type(obj)?;
            adjustment_signs(adjustment, &items, client_total)?;
            InvoiceKind::Adjustment {
                original,
                adjustment,
            }
        }
    };
    let mut invoice = Invoice::draft(
        reference_code,
        provider_account_id,
        template_code,
        invoice_series,
        issued_at,
        currency,
        buyer,
        items,
        t,
    );
    invoice.payment_method = payment_method;
    invoice.notes = notes;
    invoice.seller_store_code = seller_store_code;
    invoice.seller_store_name = seller_store_name;
    invoice.kind = kind;
    Ok(CreateRequest { invoice, is_draft })
}

/// `original_invoice_reference_code`: a required, non-blank string.
fn original_reference(obj: &Map<String, Value>) -> Result<String, ApiError> {
    const KEY: &str = "original_invoice_reference_code";
    req_string(obj, KEY, KEY)
}

/// `adjustment_type`: required, one of the four.
fn adjustment_type(obj: &Map<String, Value>) -> Result<AdjustmentType, ApiError> {
    const KEY: &str = "adjustment_type";
    match obj.get(KEY) {
        None | Some(Value::Null) => Err(ApiError::missing(KEY)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(ApiError::missing(KEY)),
        Some(Value::String(s)) => AdjustmentType::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Trường {KEY} chỉ nhận increase, decrease, combined hoặc info ({KEY})"
            ))
        }),
        Some(_) => Err(ApiError::invalid(KEY)),
    }
}

/// A line's signed difference: quantity (default 1) × unit_price (default 0). `None` on overflow.
fn line_difference(it: &Item) -> Option<Decimal> {
    it.quantity
        .unwrap_or(Decimal::ONE)
        .checked_mul(it.unit_price.unwrap_or(Decimal::ZERO))
}

/// The signs an adjustment's lines must have:
/// - `increase`: no priced line (line_type 1 or 2) is negative, nor is `total_amount`;
/// - `decrease`: every priced line is negative (a negative unit_price or quantity), and
///   `total_amount`, when given, is not positive;
/// - `combined`: any signs;
/// - `info`: no money at all: `unit_price`, `discount_amount`, `discount_tax`,
///   `before_discount_and_tax_amount`, `amount` and `total_amount` absent or 0.
fn adjustment_signs(
    adjustment: AdjustmentType,
    items: &[Item],
    client_total: Option<Decimal>,
) -> Result<(), ApiError> {
    let at = |i: usize, name: &str| format!("items[{i}].{name}");
    let nonzero = |d: Option<Decimal>| d.is_some_and(|d| !d.is_zero());
    match adjustment {
        AdjustmentType::Combined => Ok(()),
        AdjustmentType::Info => {
            for (i, it) in items.iter().enumerate() {
                let money = [
                    ("unit_price", it.unit_price),
                    ("discount_amount", it.discount_amount),
                    ("discount_tax", it.discount_tax),
                    (
                        "before_discount_and_tax_amount",
                        it.before_discount_and_tax_amount,
                    ),
                    ("amount", it.amount),
                ];
                if let Some((name, _)) = money.into_iter().find(|(_, v)| nonzero(*v)) {
                    let field = at(i, name);
                    return Err(ApiError::bad_request(format!(
                        "Điều chỉnh thông tin không được thay đổi số tiền: trường {field} phải bỏ trống hoặc bằng 0 ({field})"
                    )));
                }
            }
            if nonzero(client_total) {
                return Err(ApiError::bad_request(
                    "Điều chỉnh thông tin không được thay đổi số tiền: trường total_amount phải bỏ trống hoặc bằng 0 (total_amount)",
                ));
            }
            Ok(())
        }
        AdjustmentType::Increase | AdjustmentType::Decrease => {
            let increase = adjustment == AdjustmentType::Increase;
            for (i, it) in items.iter().enumerate() {
                if !matches!(it.line_type, 1 | 2) {
                    continue;
                }
                let d = line_difference(it).ok_or_else(|| {
                    ApiError::bad_request("Trường items có giá trị tiền quá lớn (items)")
                })?;
                let wrong = if increase {
                    d < Decimal::ZERO
                } else {
                    d >= Decimal::ZERO
                };
                if wrong {
                    // Name the field to change: the quantity only when it is the negative one.
                    let negative = |v: Option<Decimal>| v.is_some_and(|v| v < Decimal::ZERO);
                    let name = if negative(it.quantity) && !negative(it.unit_price) && increase {
                        "quantity"
                    } else {
                        "unit_price"
                    };
                    let field = at(i, name);
                    return Err(ApiError::bad_request(if increase {
                        format!("Điều chỉnh tăng không được có dòng âm (số lượng × đơn giá = {d}) ({field})")
                    } else {
                        format!("Điều chỉnh giảm phải có mọi dòng âm: ghi số tiền giảm bằng đơn giá âm (số lượng × đơn giá = {d}) ({field})")
                    }));
                }
            }
            let wrong_total = client_total.is_some_and(|t| {
                if increase {
                    t < Decimal::ZERO
                } else {
                    t > Decimal::ZERO
                }
            });
            if wrong_total {
                return Err(ApiError::bad_request(if increase {
                    "Điều chỉnh tăng không được có total_amount âm (total_amount)"
                } else {
                    "Điều chỉnh giảm không được có total_amount dương (total_amount)"
                }));
            }
            Ok(())
        }
    }
}

fn issued_date(obj: &Map<String, Value>) -> Result<NaiveDateTime, ApiError> {
    let s = req_string(obj, "issued_date", "issued_date")?;
    // Exactly `YYYY-MM-DD HH:mm:ss`: chrono alone would also take unpadded fields.
    let b = s.as_bytes();
    let shape_ok = b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    let dt = shape_ok
        .then(|| NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S").ok())
        .flatten()
        .ok_or_else(|| {
            ApiError::bad_request(
                "Trường issued_date không hợp lệ, định dạng yyyy-MM-dd HH:mm:ss (issued_date)",
            )
        })?;
    if dt > now_vietnam() {
        return Err(ApiError::bad_request(
            "Trường issued_date không được lớn hơn thời điểm hiện tại (issued_date)",
        ));
    }
    Ok(dt)
}

fn buyer(obj: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let b = match obj.get("buyer") {
        None | Some(Value::Null) => return Err(ApiError::missing("buyer")),
        Some(Value::Object(b)) => b,
        Some(_) => return Err(ApiError::invalid("buyer")),
    };
    let mut out = Map::new();
    for (k, v) in b {
        if v.is_null() {
            continue;
        }
        if k == "type" {
            match v.as_str() {
                Some(t) if BUYER_TYPES.contains(&t) => {}
                _ => return Err(ApiError::invalid("buyer.type")),
            }
        } else if BUYER_STRINGS.contains(&k.as_str()) && !v.is_string() {
            return Err(ApiError::invalid(&format!("buyer.{k}")));
        }
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}

fn items(obj: &Map<String, Value>, signed: bool) -> Result<Vec<Item>, ApiError> {
    let arr = match obj.get("items") {
        None | Some(Value::Null) => return Err(ApiError::missing("items")),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ApiError::invalid("items")),
    };
    if arr.is_empty() {
        return Err(ApiError::bad_request(
            "Trường items phải có ít nhất một dòng (items)",
        ));
    }
    arr.iter()
        .enumerate()
        .map(|(i, v)| item(i, v, signed))
        .collect()
}

/// One line. `signed`: negative `quantity` and `unit_price` are allowed (adjustments only).
fn item(i: usize, v: &Value, signed: bool) -> Result<Item, ApiError> {
    let f = |name: &str| format!("items[{i}].{name}");
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::invalid(&format!("items[{i}]")))?;
    let line_number = match obj.get("line_number") {
        None | Some(Value::Null) => return Err(ApiError::missing(&f("line_number"))),
        Some(v) => integer(v).ok_or_else(|| ApiError::invalid(&f("line_number")))?,
    };
    let line_type = match obj.get("line_type") {
        None | Some(Value::Null) => return Err(ApiError::missing(&f("line_type"))),
        Some(v) => match integer(v) {
            Some(t @ 1..=4) => t as u8,
            _ => return Err(ApiError::invalid(&f("line_type"))),
        },
    };
    let item_name = match obj.get("item_name") {
        None | Some(Value::Null) => return Err(ApiError::missing(&f("item_name"))),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(_) => return Err(ApiError::invalid(&f("item_name"))),
    };
    let item_code = opt_string(obj, "item_code", &f("item_code"))?;
    let unit = opt_string(obj, "unit", &f("unit"))?;
    let negative = |d: Decimal| d.is_sign_negative() && !d.is_zero();
    let quantity = opt_decimal(obj, "quantity", &f("quantity"))?;
    if let Some(q) = quantity {
        if (negative(q) && !signed) || q.normalize().scale() > 2 {
            return Err(ApiError::bad_request(if signed {
                format!(
                    "Trường {0} có tối đa 2 chữ số thập phân ({0})",
                    f("quantity")
                )
            } else {
                format!(
                    "Trường {0} phải là số không âm, tối đa 2 chữ số thập phân ({0})",
                    f("quantity")
                )
            }));
        }
    }
    let unit_price = opt_decimal(obj, "unit_price", &f("unit_price"))?;
    if unit_price.is_some_and(negative) && !signed {
        return Err(ApiError::bad_request(format!(
            "Trường {0} phải là số không âm; chỉ hóa đơn điều chỉnh có đơn giá âm ({0})",
            f("unit_price")
        )));
    }
    let tax_rate = match obj.get("tax_rate") {
        None | Some(Value::Null) => None,
        Some(v) => match integer(v) {
            Some(r) if TAX_RATES.contains(&r) => Some(r),
            _ => return Err(ApiError::invalid(&f("tax_rate"))),
        },
    };
    Ok(Item {
        line_number,
        line_type,
        item_code,
        item_name,
        unit,
        quantity,
        unit_price,
        tax_rate,
        discount_tax: opt_decimal(obj, "discount_tax", &f("discount_tax"))?,
        discount_amount: opt_decimal(obj, "discount_amount", &f("discount_amount"))?,
        before_discount_and_tax_amount: opt_decimal(
            obj,
            "before_discount_and_tax_amount",
            &f("before_discount_and_tax_amount"),
        )?,
        amount: opt_decimal(obj, "amount", &f("amount"))?,
    })
}

fn req_string(obj: &Map<String, Value>, key: &str, field: &str) -> Result<String, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(ApiError::missing(field)),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(ApiError::missing(field)),
        Some(_) => Err(ApiError::invalid(field)),
    }
}

fn opt_string(
    obj: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<String>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(field)),
    }
}

fn opt_decimal(
    obj: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<Decimal>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => decimal(v).map(Some).ok_or_else(|| ApiError::invalid(field)),
    }
}

/// A JSON number (or a numeric string, which PHP-style validators also accept) as a Decimal.
pub fn decimal(v: &Value) -> Option<Decimal> {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    if s.is_empty() {
        return None;
    }
    Decimal::from_str(&s)
        .ok()
        .or_else(|| Decimal::from_scientific(&s).ok())
}

/// A whole number, from a JSON number or numeric string without a fraction.
fn integer(v: &Value) -> Option<i64> {
    if let Some(i) = v.as_i64() {
        return Some(i);
    }
    let d = decimal(v)?.normalize();
    if d.scale() != 0 {
        return None;
    }
    i64::try_from(d).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(items: Value) -> Value {
        json!({
            "template_code": "1", "invoice_series": "C26TSE",
            "issued_date": "2026-01-02 08:00:00", "currency": "VND",
            "provider_account_id": "acc", "buyer": {"name": "A"},
            "items": items,
            "original_invoice_reference_code": "orig",
        })
    }

    fn adjust(kind: &str, items: Value) -> Result<CreateRequest, ApiError> {
        let mut b = body(items);
        b["adjustment_type"] = json!(kind);
        invoice_request(&b, Endpoint::Adjust, |_| true)
    }

    fn field(r: Result<CreateRequest, ApiError>) -> String {
        match r {
            Ok(_) => "accepted".to_string(),
            Err(e) => e
                .message
                .rsplit_once('(')
                .map(|(_, f)| f.trim_end_matches(')').to_string())
                .unwrap_or(e.message),
        }
    }

    #[test]
    fn kinds_by_endpoint() {
        let items = json!([{"line_number": 1, "line_type": 1, "item_name": "A", "unit_price": 5}]);
        let r = invoice_request(&body(items.clone()), Endpoint::Create, |_| true);
        assert!(r.is_ok_and(|r| r.invoice.kind == InvoiceKind::New));
        let r = invoice_request(&body(items.clone()), Endpoint::Replace, |_| true);
        assert!(r.is_ok_and(|r| r.invoice.kind
            == InvoiceKind::Replacement {
                original: "orig".into()
            }));
        let r = adjust("combined", items);
        assert!(r.is_ok_and(|r| r.invoice.kind
            == InvoiceKind::Adjustment {
                original: "orig".into(),
                adjustment: AdjustmentType::Combined
            }));
    }

    #[test]
    fn signs_by_adjustment_type() {
        let l = |q: i64, p: i64| json!({"line_number": 1, "line_type": 1, "item_name": "A", "quantity": q, "unit_price": p});
        let note = json!({"line_number": 2, "line_type": 4, "item_name": "ghi chú"});
        assert_eq!(
            field(adjust("increase", json!([l(1, 5), note]))),
            "accepted"
        );
        assert_eq!(
            field(adjust("increase", json!([l(1, -5)]))),
            "items[0].unit_price"
        );
        assert_eq!(
            field(adjust("increase", json!([l(-1, 5)]))),
            "items[0].quantity"
        );
        assert_eq!(
            field(adjust("decrease", json!([l(1, -5), note]))),
            "accepted"
        );
        assert_eq!(field(adjust("decrease", json!([l(-1, 5)]))), "accepted");
        assert_eq!(
            field(adjust("decrease", json!([l(1, 5)]))),
            "items[0].unit_price"
        );
        assert_eq!(
            field(adjust("decrease", json!([l(-1, -5)]))),
            "items[0].unit_price"
        );
        assert_eq!(
            field(adjust("decrease", json!([l(1, 0)]))),
            "items[0].unit_price"
        );
        assert_eq!(
            field(adjust("combined", json!([l(1, 5), l(-1, 5)]))),
            "accepted"
        );
        assert_eq!(field(adjust("info", json!([l(1, 0), note]))), "accepted");
        assert_eq!(
            field(adjust("info", json!([l(1, 5)]))),
            "items[0].unit_price"
        );
        assert_eq!(field(adjust("other", json!([l(1, 5)]))), "adjustment_type");
        // Negatives are refused outside /adjust.
        let r = invoice_request(&body(json!([l(1, -5)])), Endpoint::Replace, |_| true);
        assert_eq!(field(r), "items[0].unit_price");
        let r = invoice_request(&body(json!([l(-1, 5)])), Endpoint::Create, |_| true);
        assert_eq!(field(r), "items[0].quantity");
    }
}
