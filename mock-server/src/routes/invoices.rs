//! Invoice routes: create, replace, adjust, issue, delete a draft, detail and list.
//!
//! Create, replace and adjust share one handler body ([`accept`]): validate, answer a
//! `[mock:error=CODE]` trigger, 409 on a taken `reference_code`, check the original of a
//! correction, then (unless a draft) quota and the account rules, and queue a create job.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::NaiveDate;
use serde_json::{json, Value};

use super::{base_url, page_params, page_window, paged, query_get, query_pairs, JsonBody, Seg};
use crate::auth::Authed;
use crate::envelope::{ok, ok_bare, ok_text, ApiError, ApiResult};
use crate::error_codes;
use crate::model::{Account, Invoice, InvoiceStatus};
use crate::seed;
use crate::state::{lock, CorrectionStage, Shared};
use crate::validate::{self, Endpoint};

/// The acknowledgement message of create and issue.
const MSG_ACCEPTED: &str = "Đã tạo yêu cầu xuất bán hóa đơn điện tử";

/// The 422s an account raises against issuing `inv`.
fn check_account(account: Option<&Account>, inv: &Invoice) -> Result<(), ApiError> {
    let Some(account) = account else {
        return Err(ApiError::not_found(
            "Không tồn tại tài khoản với ID cung cấp.",
        ));
    };
    if !account.active {
        return Err(error_codes::known("REGISTRATION_NOT_TAX_APPROVED"));
    }
    let approved = account
        .tax_authority_approved_date
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    if let Some(approved) = approved {
        if inv.issued_at.date() < approved {
            return Err(error_codes::known("INVOICE_DATE_BEFORE_TAX_APPROVAL"));
        }
    }
    Ok(())
}

/// `POST /v1/invoices/create`: validates, then queues a create job.
pub async fn create_invoice(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonBody(v): JsonBody,
) -> ApiResult {
    accept(&shared, &headers, &v, Endpoint::Create)
}

/// `POST /v1/invoices/replace`: a create body plus `original_invoice_reference_code`; the
/// replacement, once issued, turns the original's `document_type` to 5.
pub async fn replace_invoice(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonBody(v): JsonBody,
) -> ApiResult {
    accept(&shared, &headers, &v, Endpoint::Replace)
}

/// `POST /v1/invoices/adjust`: a create body plus `original_invoice_reference_code` and
/// `adjustment_type`; the adjustment, once issued, turns the original's `document_type` to 10.
pub async fn adjust_invoice(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonBody(v): JsonBody,
) -> ApiResult {
    accept(&shared, &headers, &v, Endpoint::Adjust)
}

/// The body shared by create, replace and adjust. Checks, first failure answers:
/// 1. validation (400 naming the field);
/// 2. `[mock:error=CODE]` in the notes of a request that issues (`is_draft` false);
/// 3. a taken `reference_code` (409), before anything about the original, so a retried
///    correction that was already accepted gets 409;
/// 4. a correction's original ([`crate::state::Store::check_original`]: 404, then 422s);
/// 5. unless a draft: quota (403) and the account rules (422).
fn accept(shared: &Shared, headers: &HeaderMap, v: &Value, endpoint: Endpoint) -> ApiResult {
    // Accounts are fixed, so validation runs without the lock.
    let req = validate::invoice_request(v, endpoint, |id| {
        [seed::ACCOUNT_MATBAO, seed::ACCOUNT_BKAV, seed::ACCOUNT_MIFI].contains(&id)
    })?;
    // A draft keeps its trigger for the `/issue` that will issue it.
    if !req.is_draft {
        if let Some(e) = error_codes::trigger(req.invoice.notes.as_deref()) {
            return Err(e);
        }
    }
    let now = Instant::now();
    let mut store = lock(&shared.store);
    store.resolve_due(now);
    if store.reference_taken(&req.invoice.reference_code) {
        store.rejected_duplicates += 1;
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "EINVOICE_DOCUMENT_EXISTED",
            "Hệ thống đã ghi nhận hoá đơn cho mã tham chiếu này. reference_code phải là duy nhất.",
        ));
    }
    if let Some(original) = req.invoice.kind.original() {
        store.check_original(
            original,
            &req.invoice.provider_account_id,
            CorrectionStage::Request,
        )?;
    }
    if !req.is_draft {
        if store.quota == 0 {
            return Err(ApiError::quota_exceeded());
        }
        check_account(
            store.account(&req.invoice.provider_account_id),
            &req.invoice,
        )?;
    }
    let tc = store.start_create(req.invoice, !req.is_draft, now);
    drop(store);
    let base = base_url(headers, shared);
    Ok(ok(json!({
        "tracking_code": tc,
        "tracking_url": format!("{base}/v1/invoices/create/check/{tc}"),
        "message": MSG_ACCEPTED,
    })))
}

/// `POST /v1/invoices/issue`: queues the issuance of a draft. A draft correction is checked
/// again against its original (which may have been replaced or cancelled since).
pub async fn issue_invoice(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    JsonBody(v): JsonBody,
) -> ApiResult {
    let reference_code = match v.get("reference_code") {
        None | Some(Value::Null) => return Err(ApiError::missing("reference_code")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(_) => return Err(ApiError::invalid("reference_code")),
    };
    let now = Instant::now();
    let mut store = lock(&shared.store);
    store.resolve_due(now);
    let Some(inv) = store.invoices.get(&reference_code) else {
        return Err(ApiError::not_found("Không tìm thấy hóa đơn nháp"));
    };
    if inv.status != InvoiceStatus::Draft || inv.issue_pending {
        return Err(ApiError::bad_request("Chỉ phát hành được hóa đơn nháp"));
    }
    if let Some(e) = error_codes::trigger(inv.notes.as_deref()) {
        return Err(e);
    }
    store.check_correction_issue(inv)?;
    if store.quota == 0 {
        return Err(ApiError::quota_exceeded());
    }
    check_account(store.account(&inv.provider_account_id), inv)?;
    let tc = store.start_issue(&reference_code, now);
    drop(store);
    let base = base_url(&headers, &shared);
    Ok(ok(json!({
        "tracking_code": tc,
        "tracking_url": format!("{base}/v1/invoices/issue/check/{tc}"),
        "message": MSG_ACCEPTED,
    })))
}

/// `POST /v1/invoices/delete/{reference_code}`: removes a draft for good. A draft correction
/// lets go of its original, which can be corrected again.
pub async fn delete_draft(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    Seg(reference_code): Seg,
) -> ApiResult {
    let mut store = lock(&shared.store);
    store.resolve_due(Instant::now());
    let Some(inv) = store.invoices.get(&reference_code) else {
        return Err(ApiError::not_found("Không tìm thấy hóa đơn"));
    };
    if inv.status != InvoiceStatus::Draft || inv.issue_pending {
        return Err(ApiError::bad_request("Chỉ xóa được hóa đơn nháp"));
    }
    store.remove_invoice(&reference_code);
    drop(store);
    Ok(ok(json!({
        "reference_code": reference_code,
        "message": "Hóa đơn nháp đã được xóa thành công",
    })))
}

/// `GET /v1/invoices/{reference_code}`: the invoice with its lines.
pub async fn get_invoice(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Seg(reference_code): Seg,
) -> ApiResult {
    let base = base_url(&headers, &shared);
    let mut store = lock(&shared.store);
    store.resolve_due(Instant::now());
    match store.invoices.get(&reference_code) {
        Some(inv) => Ok(ok_text(inv.detail_body(&base))),
        None => Err(ApiError::not_found(
            "Không tìm thấy hóa đơn với reference_code đã cung cấp.",
        )),
    }
}

/// `GET /v1/invoices`: newest first, optionally filtered by `source`.
pub async fn list_invoices(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let pairs = query_pairs(&uri);
    let p = page_params(&pairs, 10)?;
    let source = match query_get(&pairs, "source") {
        None | Some("") => None,
        Some(s @ ("manual" | "api")) => Some(s.to_string()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Trường source chỉ nhận manual hoặc api (source)",
            ))
        }
    };
    let base = base_url(&headers, &shared);
    let mut store = lock(&shared.store);
    store.resolve_due(Instant::now());
    let matching: Vec<&Invoice> = store
        .order
        .values()
        .rev()
        .filter_map(|rc| store.invoices.get(rc))
        .filter(|inv| source.as_deref().is_none_or(|s| inv.source == s))
        .collect();
    let (skip, take) = page_window(p);
    let items: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|inv| inv.summary_json(&base))
        .collect();
    let total = matching.len();
    let success_key = store.cfg.success_key_everywhere;
    drop(store);
    Ok(ok_bare(paged(total, items, p), success_key))
}
