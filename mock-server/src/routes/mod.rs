//! The axum router and small request helpers shared by the handlers.

mod accounts;
mod checks;
mod control;
mod download;
mod invoices;
mod token;
mod usage;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::envelope::ApiError;
use crate::state::Shared;

pub use crate::route_id::route_id;

/// Runs the router on one request.
pub async fn call(
    app: Router,
    req: axum::http::Request<hyper::body::Incoming>,
) -> axum::response::Response {
    use tower::ServiceExt;
    match app.oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

/// The full application router (API and control routes).
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/token", post(token::token))
        .route(
            "/v1/provider-accounts",
            get(accounts::list_provider_accounts),
        )
        .route(
            "/v1/provider-accounts/{id}",
            get(accounts::get_provider_account),
        )
        .route("/v1/invoices", get(invoices::list_invoices))
        .route("/v1/invoices/create", post(invoices::create_invoice))
        .route("/v1/invoices/replace", post(invoices::replace_invoice))
        .route("/v1/invoices/adjust", post(invoices::adjust_invoice))
        .route("/v1/invoices/issue", post(invoices::issue_invoice))
        .route(
            "/v1/invoices/create/check/{tracking_code}",
            get(checks::check_create),
        )
        .route(
            "/v1/invoices/issue/check/{tracking_code}",
            get(checks::check_issue),
        )
        .route(
            "/v1/invoices/delete/{reference_code}",
            post(invoices::delete_draft),
        )
        .route(
            "/v1/invoices/{code}/download",
            get(download::download_invoice),
        )
        .route("/v1/invoices/{reference_code}", get(invoices::get_invoice))
        .route("/v1/usage", get(usage::get_usage))
        .merge(control::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("Không tìm thấy đường dẫn {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("Phương thức {method} không được hỗ trợ cho {}", uri.path()),
    )
}

/// `http://` + the request's `Host`, so URLs point back at whatever address the client used.
pub fn base_url(headers: &HeaderMap, shared: &Shared) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| shared.fallback_base.clone())
}

/// A request body parsed as JSON (an empty body is `null`). Body errors use the envelope too:
/// 400 for bad JSON, 413 past axum's default 2 MB limit.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            ApiError::new(
                status,
                crate::envelope::default_code(status.as_u16()),
                format!("Không đọc được nội dung yêu cầu: {e}"),
            )
        })?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Null));
        }
        serde_json::from_slice(&body)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("Dữ liệu JSON không hợp lệ: {e}")))
    }
}

/// Decoded `key=value` pairs of a query string.
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// The last value of `key` in the query.
pub fn query_get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Validated `page`/`per_page`.
#[derive(Debug, Clone, Copy)]
pub struct PageParams {
    /// 1-based page.
    pub page: u64,
    /// Items per page, 1..=100.
    pub per_page: u64,
}

/// Reads `page` (≥ 1, default 1) and `per_page` (1..=100, default `default_per_page`).
pub fn page_params(
    pairs: &[(String, String)],
    default_per_page: u64,
) -> Result<PageParams, ApiError> {
    let page = match query_get(pairs, "page") {
        None | Some("") => 1,
        Some(s) => match s.trim().parse::<u64>() {
            Ok(p) if p >= 1 => p,
            _ => {
                return Err(ApiError::bad_request(
                    "Trường page phải là số nguyên lớn hơn hoặc bằng 1 (page)",
                ))
            }
        },
    };
    let per_page = match query_get(pairs, "per_page") {
        None | Some("") => default_per_page,
        Some(s) => match s.trim().parse::<u64>() {
            Ok(p) if (1..=100).contains(&p) => p,
            _ => {
                return Err(ApiError::bad_request(
                    "Trường per_page phải là số nguyên từ 1 đến 100 (per_page)",
                ))
            }
        },
    };
    Ok(PageParams { page, per_page })
}

/// `{"paging":{...},"items":[...]}` for one page of a list of `total` entries, of which
/// `page_items` is the page (see [`page_window`]).
pub fn paged(total: usize, page_items: Vec<Value>, p: PageParams) -> Value {
    let total = total as u64;
    let page_count = total.div_ceil(p.per_page);
    json!({
        "paging": {
            "per_page": p.per_page,
            "total": total,
            "has_more": p.page < page_count,
            "current_page": p.page,
            "page_count": page_count,
        },
        "items": page_items,
    })
}

/// (skip, take) of page `p`; a page past the end skips everything.
pub fn page_window(p: PageParams) -> (usize, usize) {
    let skip = (p.page - 1).saturating_mul(p.per_page);
    (
        usize::try_from(skip).unwrap_or(usize::MAX),
        usize::try_from(p.per_page).unwrap_or(100),
    )
}

/// A single path parameter; a malformed one is a 400 in the usual envelope.
pub struct Seg(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Seg {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(s)) => Ok(Seg(s)),
            Err(e) => Err(ApiError::bad_request(format!(
                "Tham số đường dẫn không hợp lệ: {e}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
