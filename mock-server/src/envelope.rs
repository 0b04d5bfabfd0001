//! The JSON envelopes every answer is wrapped in, and the error type handlers return.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An error answer: `{"success":false,"error":{"code","message"}}` with an HTTP status.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// The `error.code` string.
    pub code: String,
    /// The Vietnamese `error.message`.
    pub message: String,
    /// Seconds for a `Retry-After` header, when set.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with an explicit status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `BAD_REQUEST`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    /// 400 `BAD_REQUEST` for a missing required field; the message names the field.
    pub fn missing(field: &str) -> Self {
        Self::bad_request(format!("Thiếu trường bắt buộc {field} ({field})"))
    }

    /// 400 `BAD_REQUEST` for a field with a wrong type or value; the message names the field.
    pub fn invalid(field: &str) -> Self {
        Self::bad_request(format!("Trường {field} không hợp lệ ({field})"))
    }

    /// 400 `BAD_REQUEST` for a key the control API does not know (a misspelt knob would
    /// otherwise be ignored silently); the message names the key.
    pub fn unknown(field: &str) -> Self {
        Self::bad_request(format!("Trường {field} không được hỗ trợ ({field})"))
    }

    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// 403 `QUOTA_EXCEEDED` (from the table in `error_codes`).
    pub fn quota_exceeded() -> Self {
        crate::error_codes::known("QUOTA_EXCEEDED")
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Value {
        json!({"success": false, "error": {"code": self.code, "message": self.message}})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// The error code the mock uses for a bare HTTP status (fault rules without a `code`).
pub fn default_code(status: u16) -> &'static str {
    match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 => "REQUEST_TIMEOUT",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        422 => "UNPROCESSABLE_ENTITY",
        429 => "TOO_MANY_REQUESTS",
        500 => "INTERNAL_SERVER_ERROR",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "GATEWAY_TIMEOUT",
        _ => "ERROR",
    }
}

/// A Vietnamese message for a bare HTTP status (fault rules).
pub fn default_message(status: u16) -> &'static str {
    match status {
        429 => "Quá nhiều yêu cầu. Vui lòng thử lại sau.",
        500 => "Lỗi hệ thống. Vui lòng thử lại sau.",
        502 => "Lỗi cổng kết nối tới nhà cung cấp.",
        503 => "Dịch vụ tạm thời không khả dụng. Vui lòng thử lại sau.",
        504 => "Hết thời gian chờ phản hồi từ nhà cung cấp.",
        _ => "Yêu cầu không thành công (mock fault).",
    }
}

/// `{"success":true,"data":data}` with status 200.
pub fn ok(data: Value) -> Response {
    axum::Json(json!({"success": true, "data": data})).into_response()
}

/// An answer already written as JSON text (see `invoice_map.rs`), sent as [`ok`] sends one.
pub fn ok_text(body: axum::body::Bytes) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// `{"data":data}`, the shape the official examples show for the two lists and usage;
/// `{"success":true,"data":data}` when `success_key_everywhere` is on.
pub fn ok_bare(data: Value, success_key: bool) -> Response {
    if success_key {
        ok(data)
    } else {
        axum::Json(json!({"data": data})).into_response()
    }
}

/// Handler result: a ready response or an [`ApiError`].
pub type ApiResult = Result<Response, ApiError>;
