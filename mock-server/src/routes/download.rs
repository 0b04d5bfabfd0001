//! `GET /v1/invoices/{code}/download?type=pdf|xml` and the raw files behind `pdf_url`/`xml_url`.
//!
//! For `file_ready_ms` after an invoice is issued its download is "not ready": with
//! `file_not_ready = "empty"` a 200 whose `content` is `""`, with `"error"` a 409
//! `FILE_NOT_READY`. The raw `/_mock/files/` URLs are always ready.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use super::{query_get, query_pairs, Seg};
use crate::auth::Authed;
use crate::config::FileNotReady;
use crate::envelope::{ok, ApiError, ApiResult};
use crate::files;
use crate::model::{Invoice, InvoiceStatus};
use crate::state::{lock, Shared, Store};

/// The invoice a download code names: its reference code, or any of its tracking codes.
fn find(store: &Store, code: &str) -> Option<Invoice> {
    if let Some(inv) = store.invoices.get(code) {
        return Some(inv.clone());
    }
    let job = store.jobs.get(code)?;
    store.invoices.get(&job.reference_code).cloned()
}

/// The document as base64 in the success envelope; issued invoices only.
pub async fn download_invoice(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    Seg(code): Seg,
) -> ApiResult {
    let pairs = query_pairs(&uri);
    let kind = match query_get(&pairs, "type") {
        Some(k @ ("pdf" | "xml")) => k.to_string(),
        None | Some("") => return Err(ApiError::missing("type")),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Trường type chỉ nhận pdf hoặc xml (type)",
            ))
        }
    };
    let now = Instant::now();
    let (inv, file_ready, not_ready) = {
        let mut store = lock(&shared.store);
        store.resolve_due(now);
        (
            find(&store, &code),
            store.cfg.file_ready,
            store.cfg.file_not_ready,
        )
    };
    let inv = inv.ok_or_else(|| ApiError::not_found("Không tìm thấy hóa đơn tương ứng."))?;
    if inv.status == InvoiceStatus::Draft {
        return Err(ApiError::bad_request("Hóa đơn chưa được phát hành"));
    }
    let ready = inv
        .issued_instant
        .is_none_or(|at| now.saturating_duration_since(at) >= file_ready);
    if !ready {
        return match not_ready {
            FileNotReady::Empty => Ok(ok(json!({
                "file_type": kind,
                "file_name": inv.file_name(&kind),
                "content": "",
            }))),
            FileNotReady::Error => Err(ApiError::new(
                StatusCode::CONFLICT,
                "FILE_NOT_READY",
                "Tệp hóa đơn đang được tạo, vui lòng thử lại sau",
            )),
        };
    }
    // Documents are built outside the lock: they are the most expensive thing the mock makes.
    let bytes = if kind == "pdf" {
        files::pdf(&inv)
    } else {
        files::xml(&inv)
    };
    Ok(ok(json!({
        "file_type": kind,
        "file_name": inv.file_name(&kind),
        "content": STANDARD.encode(bytes),
    })))
}

/// `GET /_mock/files/{ref}.pdf|.xml`: the raw document, no auth, drafts included for PDF.
pub async fn raw_file(State(shared): State<Arc<Shared>>, Seg(name): Seg) -> Response {
    let (reference_code, kind) = match name.rsplit_once('.') {
        Some((r, k @ ("pdf" | "xml"))) => (r.to_string(), k),
        _ => return ApiError::not_found("Không tìm thấy tệp.").into_response(),
    };
    let inv = {
        let mut store = lock(&shared.store);
        store.resolve_due(Instant::now());
        store.invoices.get(&reference_code).cloned()
    };
    match inv {
        Some(inv) if kind == "pdf" => (
            [(header::CONTENT_TYPE, "application/pdf")],
            files::pdf(&inv),
        )
            .into_response(),
        Some(inv) if inv.status != InvoiceStatus::Draft => (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            files::xml(&inv),
        )
            .into_response(),
        _ => ApiError::not_found("Không tìm thấy tệp.").into_response(),
    }
}
