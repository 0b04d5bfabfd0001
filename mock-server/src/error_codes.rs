//! Business error codes: the `[mock:error=CODE]` trigger table, and the errors of the
//! replacement and adjustment preconditions.
//!
//! [`TRIGGERABLE`] is the one table of code → (status, message). The real checks that raise one
//! of these codes (quota, the account rules) take their answer from it too, so a trigger and the
//! real thing cannot drift apart.

use axum::http::StatusCode;

use crate::envelope::ApiError;

/// The codes `[mock:error=CODE]` can raise, with their HTTP status and Vietnamese message.
pub const TRIGGERABLE: &[(&str, u16, &str)] = &[
    (
        "QUOTA_EXCEEDED",
        403,
        "Đã hết hạn ngạch phát hành hóa đơn. Vui lòng nâng cấp gói dịch vụ.",
    ),
    (
        // Spelt as the API spells it.
        "QUOTA_HAS_BEEN_USERD_UP",
        403,
        "Số lượng hóa đơn của gói dịch vụ đã được sử dụng hết.",
    ),
    (
        "BILLING_IS_UNPAID",
        403,
        "Hóa đơn dịch vụ chưa được thanh toán. Vui lòng thanh toán để tiếp tục sử dụng.",
    ),
    (
        "PERMISSION_DENIED",
        403,
        "Bạn không có quyền thực hiện thao tác này.",
    ),
    (
        "REGISTRATION_NOT_COMPLETE",
        422,
        "Chưa hoàn tất đăng ký sử dụng hóa đơn điện tử.",
    ),
    (
        "REGISTRATION_NOT_TAX_APPROVED",
        422,
        "Chưa đăng ký HĐĐT hoặc CQT chưa duyệt tờ khai.",
    ),
    (
        "INVOICE_DATE_BEFORE_TAX_APPROVAL",
        422,
        "Ngày hóa đơn trước ngày CQT duyệt. Xem tax_authority_approved_date trong GET /v1/provider-accounts.",
    ),
    (
        "VALIDATION_ERROR",
        422,
        "Dữ liệu hóa đơn không hợp lệ theo quy định của nhà cung cấp.",
    ),
    (
        "INVALID_CONFIG",
        422,
        "Cấu hình tài khoản nhà cung cấp hóa đơn không hợp lệ.",
    ),
    (
        "UNDETERMINED",
        500,
        "Không xác định được kết quả từ nhà cung cấp. Vui lòng kiểm tra lại hóa đơn.",
    ),
];

/// The error a [`TRIGGERABLE`] code answers; `None` for any other code.
pub fn coded(code: &str) -> Option<ApiError> {
    TRIGGERABLE
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(c, status, message)| {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            ApiError::new(status, c, *message)
        })
}

/// A code of [`TRIGGERABLE`] the checks themselves raise.
pub fn known(code: &str) -> ApiError {
    coded(code).unwrap_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code,
            "Lỗi hệ thống. Vui lòng thử lại sau.",
        )
    })
}

/// The opening of an error trigger in the notes; the code runs to the next `]`.
const TRIGGER_OPEN: &str = "[mock:error=";

/// The answer `[mock:error=CODE]` in `notes` asks for: the code's error, or 400 for a code the
/// table does not know. `None` when the notes carry no (closed) trigger.
pub fn trigger(notes: Option<&str>) -> Option<ApiError> {
    let notes = notes?;
    let start = notes.find(TRIGGER_OPEN)? + TRIGGER_OPEN.len();
    let rest = notes.get(start..)?;
    let code = &rest[..rest.find(']')?];
    Some(coded(code).unwrap_or_else(|| {
        ApiError::bad_request(format!(
            "Mã lỗi giả lập không được hỗ trợ trong [mock:error={code}] (notes)"
        ))
    }))
}

fn unprocessable(code: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// 404: the `original_invoice_reference_code` names no visible invoice.
pub fn original_not_found() -> ApiError {
    ApiError::not_found("Không tìm thấy hóa đơn gốc")
}

/// 422: the correction names another provider account than the original's.
pub fn account_mismatch() -> ApiError {
    unprocessable(
        "INVOICE_ACCOUNT_MISMATCH",
        "Hóa đơn gốc thuộc tài khoản nhà cung cấp khác (provider_account_id).",
    )
}

/// 422: the original is a draft, or its issuance is still pending.
pub fn not_issued() -> ApiError {
    unprocessable(
        "INVOICE_NOT_ISSUED",
        "Hóa đơn gốc chưa được phát hành, không thể thay thế hoặc điều chỉnh.",
    )
}

/// 422: the original was cancelled.
pub fn cancelled() -> ApiError {
    unprocessable(
        "INVOICE_CANCELLED",
        "Hóa đơn gốc đã bị hủy, không thể thay thế hoặc điều chỉnh.",
    )
}

/// 422: the original has been replaced (or a replacement of it is a draft or pending).
pub fn already_replaced() -> ApiError {
    unprocessable(
        "INVOICE_ALREADY_REPLACED",
        "Hóa đơn gốc đã bị thay thế hoặc đang có hóa đơn thay thế, không còn hiệu lực.",
    )
}

/// 422: the original is itself an adjustment invoice.
pub fn not_correctable() -> ApiError {
    unprocessable(
        "INVOICE_NOT_CORRECTABLE",
        "Hóa đơn điều chỉnh không thể bị thay thế hoặc điều chỉnh tiếp.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_parsing() {
        assert!(trigger(None).is_none());
        assert!(trigger(Some("no trigger")).is_none());
        assert!(trigger(Some("[mock:error=QUOTA_EXCEEDED")).is_none());
        let e = trigger(Some("x [mock:error=BILLING_IS_UNPAID] y"));
        let e = e.unwrap_or_else(|| panic!("trigger"));
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (403, "BILLING_IS_UNPAID")
        );
        let e = trigger(Some("[mock:error=NOPE]")).unwrap_or_else(|| panic!("trigger"));
        assert_eq!((e.status.as_u16(), e.code.as_str()), (400, "BAD_REQUEST"));
        assert!(e.message.contains("NOPE"));
        let e = trigger(Some("[mock:error=]")).unwrap_or_else(|| panic!("trigger"));
        assert_eq!(e.status.as_u16(), 400);
    }

    #[test]
    fn table_is_complete_and_unique() {
        assert_eq!(TRIGGERABLE.len(), 10);
        for (i, (code, status, message)) in TRIGGERABLE.iter().enumerate() {
            assert!([403, 422, 500].contains(status), "{code}");
            assert!(!message.is_empty());
            assert!(TRIGGERABLE[i + 1..].iter().all(|(c, _, _)| c != code));
            assert_eq!(known(code).code, *code);
        }
    }
}
