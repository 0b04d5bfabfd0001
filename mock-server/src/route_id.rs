//! Route ids: the names of the API's routes in `/_mock/stats` and fault rules, decided from a
//! request's path alone (so fault rules and stats need nothing from the router).

/// Every route id, as used in `/_mock/stats` keys and fault rules.
pub const ROUTE_IDS: &[&str] = &[
    "token",
    "list_provider_accounts",
    "get_provider_account",
    "create_invoice",
    "replace_invoice",
    "adjust_invoice",
    "check_create",
    "issue_invoice",
    "check_issue",
    "get_invoice",
    "list_invoices",
    "download_invoice",
    "delete_draft",
    "get_usage",
];

/// Stats key for paths that match no route.
pub const UNKNOWN_ROUTE: &str = "unknown";

/// The route id of an API path, decided by the path alone (a wrong method on a known path is
/// still counted under that route, answered 405 by the router).
pub fn route_id(path: &str) -> &'static str {
    let Some(rest) = path.strip_prefix("/v1/") else {
        return UNKNOWN_ROUTE;
    };
    // At most four segments matter; a fixed array keeps this allocation-free on the hot path.
    let mut segs = [""; 5];
    let mut n = 0;
    for seg in rest.split('/') {
        if n == segs.len() {
            return UNKNOWN_ROUTE;
        }
        segs[n] = seg;
        n += 1;
    }
    match &segs[..n] {
        ["token"] => "token",
        ["provider-accounts"] => "list_provider_accounts",
        ["provider-accounts", id] if !id.is_empty() => "get_provider_account",
        ["invoices"] => "list_invoices",
        ["invoices", "create"] => "create_invoice",
        ["invoices", "replace"] => "replace_invoice",
        ["invoices", "adjust"] => "adjust_invoice",
        ["invoices", "issue"] => "issue_invoice",
        ["invoices", "create", "check", tc] if !tc.is_empty() => "check_create",
        ["invoices", "issue", "check", tc] if !tc.is_empty() => "check_issue",
        ["invoices", "delete", rc] if !rc.is_empty() => "delete_draft",
        ["invoices", code, "download"] if !code.is_empty() => "download_invoice",
        ["invoices", rc] if !rc.is_empty() => "get_invoice",
        ["usage"] => "get_usage",
        _ => UNKNOWN_ROUTE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_ids() {
        assert_eq!(route_id("/v1/token"), "token");
        assert_eq!(route_id("/v1/invoices/create"), "create_invoice");
        assert_eq!(route_id("/v1/invoices/replace"), "replace_invoice");
        assert_eq!(route_id("/v1/invoices/adjust"), "adjust_invoice");
        assert_eq!(route_id("/v1/invoices/create/check/x"), "check_create");
        assert_eq!(route_id("/v1/invoices/issue/check/x"), "check_issue");
        assert_eq!(route_id("/v1/invoices/abc/download"), "download_invoice");
        assert_eq!(route_id("/v1/invoices/delete/abc"), "delete_draft");
        assert_eq!(route_id("/v1/invoices/abc"), "get_invoice");
        assert_eq!(route_id("/v1/nope"), UNKNOWN_ROUTE);
        assert_eq!(route_id("/"), UNKNOWN_ROUTE);
        assert_eq!(route_id("/v1/invoices/a/b/c/d/e"), UNKNOWN_ROUTE);
        assert_eq!(route_id("/v1/token/"), UNKNOWN_ROUTE);
        for id in ROUTE_IDS {
            assert!(!id.is_empty());
        }
    }
}
