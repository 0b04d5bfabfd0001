//! `GET /v1/provider-accounts` and `GET /v1/provider-accounts/{id}`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use serde_json::Value;

use super::{page_params, page_window, paged, query_pairs, Seg};
use crate::auth::Authed;
use crate::envelope::{ok, ok_bare, ApiError, ApiResult};
use crate::state::{lock, Shared};

/// Lists provider accounts (no `success` key, like the official example).
pub async fn list_provider_accounts(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> ApiResult {
    let p = page_params(&query_pairs(&uri), 20)?;
    let mut store = lock(&shared.store);
    store.refresh_accounts_year();
    let (skip, take) = page_window(p);
    let items: Vec<Value> = store
        .accounts
        .iter()
        .skip(skip)
        .take(take)
        .map(|a| a.summary_json())
        .collect();
    let total = store.accounts.len();
    let success_key = store.cfg.success_key_everywhere;
    drop(store);
    Ok(ok_bare(paged(total, items, p), success_key))
}

/// One provider account with its templates.
pub async fn get_provider_account(
    _auth: Authed,
    State(shared): State<Arc<Shared>>,
    Seg(id): Seg,
) -> ApiResult {
    let mut store = lock(&shared.store);
    store.refresh_accounts_year();
    match store.account(&id) {
        Some(a) => Ok(ok(a.detail_json())),
        None => Err(ApiError::not_found(
            "Không tồn tại tài khoản với ID cung cấp.",
        )),
    }
}
