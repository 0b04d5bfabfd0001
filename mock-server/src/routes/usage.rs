//! `GET /v1/usage`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use serde_json::json;

use crate::auth::Authed;
use crate::envelope::{ok_bare, ApiResult};
use crate::state::{lock, Shared};

/// Remaining issuance quota, as a string (as the API sends it).
pub async fn get_usage(_auth: Authed, State(shared): State<Arc<Shared>>) -> ApiResult {
    let mut store = lock(&shared.store);
    // Pending issuances that are now due must be reflected in the quota.
    store.resolve_due(Instant::now());
    let quota = store.quota;
    let success_key = store.cfg.success_key_everywhere;
    drop(store);
    Ok(ok_bare(
        json!({"quota_remaining": quota.to_string()}),
        success_key,
    ))
}
