//! The control API under `/_mock/`: reset, stats, config, tokens, invoices (and cancelling one,
//! which the public API cannot do), faults, raw files.
//! Bodies here are plain JSON (no envelope), except errors, which use the usual error envelope.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{base_url, download, JsonBody, Seg};
use crate::config::FileNotReady;
use crate::envelope::{ApiError, ApiResult};
use crate::faults::FaultRule;
use crate::model::InvoiceStatus;
use crate::state::{lock, Shared, Store};

/// Routes under `/_mock/`.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_mock/reset", post(reset))
        .route("/_mock/stats", get(stats))
        .route("/_mock/config", get(get_config).post(set_config))
        .route("/_mock/tokens", get(list_tokens))
        .route("/_mock/tokens/expire", post(expire_tokens))
        .route("/_mock/invoices", get(list_invoices))
        .route(
            "/_mock/invoices/{reference_code}/cancel",
            post(cancel_invoice),
        )
        .route(
            "/_mock/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_mock/faults/{id}", delete(remove_fault))
        .route("/_mock/files/{name}", get(download::raw_file))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    Json(json!({"reset": true})).into_response()
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let (invoices, jobs, pending, dups, tokens, quota) = {
        let mut store = lock(&shared.store);
        store.resolve_due(Instant::now());
        (
            store.invoices.len(),
            store.jobs.len(),
            store.pending.len(),
            store.rejected_duplicates,
            store.tokens_issued,
            store.quota,
        )
    };
    let st = lock(&shared.stats);
    Json(json!({
        "requests": st.requests_json(),
        "requests_total": st.total(),
        "invoices": invoices,
        "jobs": jobs,
        "pending_jobs": pending,
        "rejected_duplicates": dups,
        "tokens_issued": tokens,
        "quota_remaining": quota,
    }))
    .into_response()
}

fn config_json(shared: &Shared, store: &Store) -> Value {
    json!({
        "client_id": shared.startup.client_id,
        "pending_polls": store.cfg.pending_polls,
        "pending_ms": u64::try_from(store.cfg.pending_time.as_millis()).unwrap_or(u64::MAX),
        "token_ttl_secs": store.cfg.token_ttl.as_secs(),
        "quota": store.quota,
        "success_key_everywhere": store.cfg.success_key_everywhere,
        "seed": shared.startup.seed,
        "manual_invoices": shared.startup.manual_invoices,
        "file_ready_ms": u64::try_from(store.cfg.file_ready.as_millis()).unwrap_or(u64::MAX),
        "file_not_ready": store.cfg.file_not_ready.as_str(),
    })
}

async fn get_config(State(shared): State<Arc<Shared>>) -> Response {
    let store = lock(&shared.store);
    Json(config_json(&shared, &store)).into_response()
}

fn u64_field(v: &Value, field: &str) -> Result<u64, ApiError> {
    v.as_u64().ok_or_else(|| ApiError::invalid(field))
}

async fn set_config(State(shared): State<Arc<Shared>>, JsonBody(v): JsonBody) -> ApiResult {
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::bad_request("Cấu hình phải là một đối tượng JSON"))?;
    // Validate everything first so a bad field changes nothing.
    let mut polls = None;
    let mut pending = None;
    let mut ttl = None;
    let mut quota = None;
    let mut success_key = None;
    let mut file_ready = None;
    let mut file_not_ready = None;
    for (k, val) in obj {
        match k.as_str() {
            "pending_polls" => {
                polls = Some(u32::try_from(u64_field(val, k)?).map_err(|_| ApiError::invalid(k))?)
            }
            "pending_ms" => pending = Some(Duration::from_millis(u64_field(val, k)?)),
            "token_ttl_secs" => ttl = Some(Duration::from_secs(u64_field(val, k)?)),
            "quota" => quota = Some(u64_field(val, k)?),
            "success_key_everywhere" => {
                success_key = Some(val.as_bool().ok_or_else(|| ApiError::invalid(k))?)
            }
            "file_ready_ms" => file_ready = Some(Duration::from_millis(u64_field(val, k)?)),
            "file_not_ready" => {
                file_not_ready = Some(
                    val.as_str()
                        .and_then(|s| s.parse::<FileNotReady>().ok())
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "Trường file_not_ready chỉ nhận empty hoặc error (file_not_ready)",
                            )
                        })?,
                )
            }
            other => return Err(ApiError::unknown(other)),
        }
    }
    let mut store = lock(&shared.store);
    if let Some(p) = polls {
        store.cfg.pending_polls = p;
    }
    if let Some(p) = pending {
        store.cfg.pending_time = p;
    }
    if let Some(t) = ttl {
        store.cfg.token_ttl = t;
    }
    if let Some(q) = quota {
        store.quota = q;
    }
    if let Some(s) = success_key {
        store.cfg.success_key_everywhere = s;
    }
    if let Some(f) = file_ready {
        store.cfg.file_ready = f;
    }
    if let Some(f) = file_not_ready {
        store.cfg.file_not_ready = f;
    }
    Ok(Json(config_json(&shared, &store)).into_response())
}

async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Response {
    let mut store = lock(&shared.store);
    store.expire_tokens(Instant::now());
    let n = store.tokens.len();
    Json(json!({"expired": n})).into_response()
}

async fn list_tokens(State(shared): State<Arc<Shared>>) -> Response {
    let now = Instant::now();
    let store = lock(&shared.store);
    let tokens: Vec<Value> = store
        .token_log
        .iter()
        .map(|t| {
            let text = t.text();
            // A token missing from the map was pruned, which only happens once it expired.
            let expired = !store.token_valid(&text, now);
            json!({"token": text, "issued_at_ms": t.issued_at_ms, "expired": expired})
        })
        .collect();
    let omitted = store
        .tokens_issued
        .saturating_sub(store.token_log.len() as u64);
    drop(store);
    Json(json!({"tokens": tokens, "omitted": omitted})).into_response()
}

async fn list_invoices(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let base = base_url(&headers, &shared);
    let mut store = lock(&shared.store);
    store.resolve_due(Instant::now());
    let invoices: Vec<Value> = store
        .order
        .values()
        .filter_map(|rc| store.invoices.get(rc))
        .map(|inv| inv.detail_json(&base))
        .collect();
    drop(store);
    Json(Value::Array(invoices)).into_response()
}

/// `POST /_mock/invoices/{reference_code}/cancel`: marks an issued invoice cancelled
/// (`document_type` 3), so corrections of it get 422 `INVOICE_CANCELLED`. Answers its detail.
async fn cancel_invoice(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Seg(reference_code): Seg,
) -> ApiResult {
    let base = base_url(&headers, &shared);
    let mut store = lock(&shared.store);
    store.resolve_due(Instant::now());
    let Some(inv) = store.invoices.get_mut(&reference_code) else {
        return Err(ApiError::not_found("Không tìm thấy hóa đơn"));
    };
    if inv.status != InvoiceStatus::Issued {
        return Err(ApiError::bad_request("Chỉ hủy được hóa đơn đã phát hành"));
    }
    inv.cancelled = true;
    Ok(Json(inv.detail_json(&base)).into_response())
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(lock(&shared.faults).to_json()).into_response()
}

async fn add_fault(State(shared): State<Arc<Shared>>, JsonBody(v): JsonBody) -> ApiResult {
    let rule = FaultRule::from_json(&v)?;
    let id = lock(&shared.faults).add(rule);
    Ok(Json(json!({"id": id})).into_response())
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    lock(&shared.faults).clear();
    Json(json!({"cleared": true})).into_response()
}

async fn remove_fault(State(shared): State<Arc<Shared>>, Seg(id): Seg) -> ApiResult {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::not_found("Không tìm thấy quy tắc lỗi."))?;
    if lock(&shared.faults).remove(id) {
        Ok(Json(json!({"removed": id})).into_response())
    } else {
        Err(ApiError::not_found("Không tìm thấy quy tắc lỗi."))
    }
}
