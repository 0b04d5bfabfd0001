//! `POST /v1/token`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use serde_json::json;

use crate::auth::basic_credentials;
use crate::envelope::{ok, ApiError, ApiResult};
use crate::state::{lock, Shared};

/// Exchanges HTTP Basic `client_id:client_secret` for a Bearer token.
pub async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> ApiResult {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (id, secret) = basic_credentials(header).ok_or_else(|| {
        ApiError::bad_request(
            "Thiếu hoặc sai định dạng trường bắt buộc: Authorization: Basic base64(client_id:client_secret) (Authorization)",
        )
    })?;
    let cfg = &shared.startup;
    if id != cfg.client_id || secret != cfg.client_secret {
        return Err(ApiError::unauthorized(
            "Sai thông tin client_id hoặc client_secret.",
        ));
    }
    let mut store = lock(&shared.store);
    let token = store.issue_token(Instant::now());
    let ttl = store.cfg.token_ttl.as_secs();
    drop(store);
    Ok(ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl,
    })))
}
