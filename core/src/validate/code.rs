//! Codes that travel in a URL path (reference and tracking codes, account ids) and paging.

use crate::error::{Error, Result};

/// Longest code accepted in a path.
const MAX_CODE_CHARS: usize = 255;

/// Whether `value` is safe as one URL path segment: not empty, not `.` or `..` (which would
/// change the path), at most 255 characters, and free of whitespace, control characters and
/// `/ \ ? # %`. Whatever passes is still percent-encoded on the wire.
pub fn is_safe_segment(value: &str) -> bool {
    !value.is_empty()
        && value != "."
        && value != ".."
        && value.chars().count() <= MAX_CODE_CHARS
        && !value.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%')
        })
}

/// Checks a reference or tracking code used in a URL path.
pub(crate) fn code(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::validation(field, "is required"));
    }
    if value == "." || value == ".." {
        return Err(Error::validation(
            field,
            "cannot be \".\" or \"..\" (it would change the request's path)",
        ));
    }
    if value.chars().count() > MAX_CODE_CHARS {
        return Err(Error::validation(
            field,
            format!("is longer than {MAX_CODE_CHARS} characters"),
        ));
    }
    if !is_safe_segment(value) {
        return Err(Error::validation(
            field,
            "must not contain whitespace, control characters or any of / \\ ? # %",
        ));
    }
    Ok(())
}

/// Checks page selection.
pub(crate) fn paging(page: Option<u32>, per_page: Option<u32>) -> Result<()> {
    if page == Some(0) {
        return Err(Error::validation("page", "must be 1 or more"));
    }
    if let Some(p) = per_page {
        if !(1..=100).contains(&p) {
            return Err(Error::validation(
                "per_page",
                format!("must be between 1 and 100, got {p}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_changing_codes_are_refused() {
        for bad in [
            "", " ", ".", "..", "a/b", "a\\b", "a?b", "a#b", "%2e%2e", "a b", "a\nb",
        ] {
            assert!(code("reference_code", bad).is_err(), "{bad:?}");
        }
        for good in ["ORDER-2026-0001", "a.b", "...", "đơn-1", "x:y@z"] {
            assert!(code("reference_code", good).is_ok(), "{good:?}");
        }
        assert!(code("r", &"x".repeat(256)).is_err());
    }
}
