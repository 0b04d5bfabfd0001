//! Invoice routes: create, issue, delete a draft, detail and list.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::NaiveDate;
use serde_json::{json, Value};

use super::{base_url, page_params, page_window, paged, query_get, query_pairs, JsonBody, Seg};
use crate::auth::Authed;
use crate::envelope::{ok, ok_bare, ApiError, ApiResult};
use crate::model::{Account, Invoice, InvoiceStatus};
use crate::seed;
use crate::state::{lock, Shared};
use crate::validate;

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
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "REGISTRATION_NOT_TAX_APPROVED",
            "Chưa đăng ký HĐĐT hoặc CQT chưa duyệt tờ khai.",
        ));
    }
    let approved = account
        .tax_authority_approved_date
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    if let Some(approved) = approved {
        if inv.issued_at.date() < approved {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVOICE_DATE_BEFORE_TAX_APPROVAL",
                "Ngày hóa đơn trước ngày CQT duyệt. Xem tax_authority_approved_date trong GET /v1/provider-accounts.",
            ));
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
    // Accounts are fixed, so validation runs without the lock.
    let req = validate::create_request(&v, |id| {
        [seed::ACCOUNT_MATBAO, seed::ACCOUNT_BKAV, seed::ACCOUNT_MIFI].contains(&id)
    })?;
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
    let base = base_url(&headers, &shared);
    Ok(ok(json!({
        "tracking_code": tc,
        "tracking_url": format!("{base}/v1/invoices/create/check/{tc}"),
        "message": MSG_ACCEPTED,
    })))
}

/// `POST /v1/invoices/issue`: queues the issuance of a draft.
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

/// `POST /v1/invoices/delete/{reference_code}`: removes a draft for good.
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
        Some(inv) => Ok(ok(inv.detail_json(&base))),
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
