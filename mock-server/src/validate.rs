//! Server-side validation of `POST /v1/invoices/create`. Every error names the offending field
//! (`items[0].line_type`), the way the SDK reports its own client-side checks.

use std::str::FromStr;

use chrono::{Duration as ChronoDuration, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::envelope::ApiError;
use crate::model::{Invoice, InvoiceStatus, Item};
use crate::totals;

/// A validated create request.
#[derive(Debug)]
pub struct CreateRequest {
    /// The invoice as it will be stored (a draft; issued later if `is_draft` is false).
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

/// Validates a create body. `known_account` says whether a provider account id exists.
pub fn create_request(
    body: &Value,
    known_account: impl Fn(&str) -> bool,
) -> Result<CreateRequest, ApiError> {
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
    let items = items(obj)?;
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
    Ok(CreateRequest {
        invoice: Invoice {
            reference_code,
            provider_account_id,
            template_code,
            invoice_series,
            issued_at,
            currency,
            payment_method,
            buyer,
            items,
            notes,
            seller_store_code,
            seller_store_name,
            totals: t,
            status: InvoiceStatus::Draft,
            invoice_number: 0,
            tax_authority_code: None,
            source: "api",
            seq: 0,
            issue_pending: false,
        },
        is_draft,
    })
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

fn items(obj: &Map<String, Value>) -> Result<Vec<Item>, ApiError> {
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
    arr.iter().enumerate().map(|(i, v)| item(i, v)).collect()
}

fn item(i: usize, v: &Value) -> Result<Item, ApiError> {
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
    let quantity = opt_decimal(obj, "quantity", &f("quantity"))?;
    if let Some(q) = quantity {
        if (q.is_sign_negative() && !q.is_zero()) || q.normalize().scale() > 2 {
            return Err(ApiError::bad_request(format!(
                "Trường {0} phải là số không âm, tối đa 2 chữ số thập phân ({0})",
                f("quantity")
            )));
        }
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
        unit_price: opt_decimal(obj, "unit_price", &f("unit_price"))?,
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
