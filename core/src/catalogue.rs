//! Every API `error.code` the SDK knows: its kind, whether a retry can help, and what to do.
//! The docs say to branch on `error.code`, never on the Vietnamese message; this table is that
//! branch, in one place. Codes marked third-party were seen only in other clients' code, and the
//! correction codes are the SDK's inference (SePay has not published them).

use crate::error::ErrorKind;

/// Where a code is known from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSource {
    /// SePay's documentation.
    Documented,
    /// Third-party integrations' code; not confirmed by SePay.
    ThirdParty,
    /// Inferred by this SDK (and answered by its mock) where SePay publishes nothing.
    Inferred,
}

/// One known API error code.
#[derive(Debug, Clone, Copy)]
pub struct ApiErrorInfo {
    /// `error.code` as the API writes it.
    pub code: &'static str,
    /// The error kind it becomes, whatever the HTTP status.
    pub kind: ErrorKind,
    /// Whether the same call may succeed later without a change.
    pub retryable: bool,
    /// What to do about it, appended to the error's message.
    pub advice: &'static str,
    /// Where the code is known from.
    pub source: CodeSource,
}

const fn code(
    code: &'static str,
    kind: ErrorKind,
    retryable: bool,
    advice: &'static str,
    source: CodeSource,
) -> ApiErrorInfo {
    ApiErrorInfo {
        code,
        kind,
        retryable,
        advice,
        source,
    }
}

use CodeSource::{Documented, Inferred, ThirdParty};
use ErrorKind as K;

/// The catalogue.
pub const API_ERRORS: &[ApiErrorInfo] = &[
    code("BAD_REQUEST", K::BadRequest, false, "a parameter is missing or malformed: fix the request", Documented),
    code("UNAUTHORIZED", K::Authentication, false, "check the client id and secret; the SDK already fetched a new token once", Documented),
    code("QUOTA_EXCEEDED", K::QuotaExceeded, false, "the issuance quota is used up: buy more in SePay (drafts need no quota)", Documented),
    code("QUOTA_HAS_BEEN_USERD_UP", K::QuotaExceeded, false, "the issuance quota is used up: buy more in SePay (drafts need no quota)", ThirdParty),
    code("EINVOICE_DOCUMENT_EXISTED", K::Conflict, false, "an invoice already holds this reference code: look it up with get_invoice before sending again", Documented),
    code("REGISTRATION_NOT_TAX_APPROVED", K::Unprocessable, false, "the e-invoice registration is not approved by the tax authority yet: wait for the approval (see tax_authority_approved_date)", Documented),
    code("INVOICE_DATE_BEFORE_TAX_APPROVAL", K::Unprocessable, false, "date the invoice on or after the provider account's tax_authority_approved_date", Documented),
    code("BILLING_IS_UNPAID", K::PermissionDenied, false, "the SePay subscription has an unpaid bill: pay it in SePay; retrying will not help until then", ThirdParty),
    code("REGISTRATION_NOT_COMPLETE", K::Unprocessable, false, "the e-invoice registration with the provider is not finished: complete it in SePay", ThirdParty),
    code("VALIDATION_ERROR", K::Unprocessable, false, "the API's business rules refused the invoice data: fix the field the message names", ThirdParty),
    code("PERMISSION_DENIED", K::PermissionDenied, false, "these credentials may not do this: check the API key's permissions in SePay", ThirdParty),
    code("UNDETERMINED", K::Server, true, "the outcome is unknown: the invoice may exist; retry with the same reference code (the SDK finds it instead of creating a second one)", ThirdParty),
    code("INVALID_CONFIG", K::Unprocessable, false, "the provider account's configuration at SePay is invalid: fix it in SePay or contact SePay support", ThirdParty),
    code("NOT_FOUND", K::NotFound, false, "check the reference code, tracking code or id", Inferred),
    code("TOO_MANY_REQUESTS", K::RateLimited, true, "slow down; the SDK already waited and retried", Inferred),
    code("INVOICE_ALREADY_REPLACED", K::CorrectionRefused, false, "the original invoice was already replaced (an invoice is replaced once): correct the replacement instead", Inferred),
    code("INVOICE_NOT_ISSUED", K::CorrectionRefused, false, "only an issued invoice can be replaced or adjusted: edit or delete the draft instead", Inferred),
    code("INVOICE_ACCOUNT_MISMATCH", K::CorrectionRefused, false, "a correction must use the original invoice's provider_account_id", Inferred),
    code("INVOICE_CANCELLED", K::CorrectionRefused, false, "a cancelled invoice cannot be corrected", Inferred),
    code("INVOICE_NOT_CORRECTABLE", K::CorrectionRefused, false, "only a new, replacement or adjusted invoice can be corrected: correct the original instead of an adjustment", Inferred),
    code("FILE_NOT_READY", K::Conflict, true, "the provider has not produced the file yet: try again shortly (download_invoice already waits within its deadline)", Inferred),
];

/// The catalogue entry of `code`.
pub fn lookup(code: &str) -> Option<&'static ApiErrorInfo> {
    API_ERRORS.iter().find(|e| e.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_map_their_kind() {
        for (i, e) in API_ERRORS.iter().enumerate() {
            assert!(
                API_ERRORS[..i].iter().all(|o| o.code != e.code),
                "{}",
                e.code
            );
            assert_eq!(ErrorKind::from_api_code(e.code), Some(e.kind));
        }
        assert_eq!(
            lookup("BILLING_IS_UNPAID").map(|e| e.kind),
            Some(K::PermissionDenied)
        );
        assert!(lookup("UNDETERMINED").is_some_and(|e| e.retryable));
    }
}
