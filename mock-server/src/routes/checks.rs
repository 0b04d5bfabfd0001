//! `GET /v1/invoices/create/check/{tc}` and `GET /v1/invoices/issue/check/{tc}`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{json, Value};

use super::{base_url, Seg};
use crate::auth::Authed;
use crate::envelope::{ok, ApiError, ApiResult};
use crate::model::{JobKind, JobState};
use crate::state::{lock, Shared};

/// Create-job status.
pub async fn check_create(
    auth: Authed,
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Seg(tc): Seg,
) -> ApiResult {
    check(auth, &shared, &headers, &tc, JobKind::Create)
}

/// Issue-job status.
pub async fn check_issue(
    auth: Authed,
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Seg(tc): Seg,
) -> ApiResult {
    check(auth, &shared, &headers, &tc, JobKind::Issue)
}

fn check(
    _auth: Authed,
    shared: &Shared,
    headers: &HeaderMap,
    tc: &str,
    kind: JobKind,
) -> ApiResult {
    let base = base_url(headers, shared);
    let mut store = lock(&shared.store);
    // A tracking code of the other kind is as unknown here as a made-up one.
    if store.jobs.get(tc).is_none_or(|j| j.kind != kind) {
        return Err(ApiError::not_found(match kind {
            JobKind::Create => "Không tìm thấy yêu cầu tương ứng với tracking_code.",
            JobKind::Issue => "Không tìm thấy yêu cầu phát hành theo tracking_code.",
        }));
    }
    store.poll(tc, Instant::now());
    let Some(job) = store.jobs.get(tc) else {
        return Err(ApiError::not_found(
            "Không tìm thấy yêu cầu tương ứng với tracking_code.",
        ));
    };
    let invoice = match job.state {
        JobState::Success => store
            .invoices
            .get(&job.reference_code)
            .map(|inv| inv.summary_json(&base))
            .unwrap_or(Value::Null),
        _ => Value::Null,
    };
    Ok(ok(json!({
        "reference_code": job.reference_code,
        "status": job.state.as_str(),
        "message": job.message,
        "invoice": invoice,
    })))
}
