//! Pages of list results and the parameters that select them.

use serde::{Deserialize, Serialize};

use super::enums::Source;

/// Paging information of a list response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Paging {
    /// Items per page.
    #[serde(default)]
    pub per_page: u64,
    /// Total items across pages.
    #[serde(default)]
    pub total: u64,
    /// Whether a next page exists.
    #[serde(default)]
    pub has_more: bool,
    /// This page's number (from 1).
    #[serde(default)]
    pub current_page: u64,
    /// Number of pages.
    #[serde(default)]
    pub page_count: u64,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items on this page.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    /// Where this page sits.
    #[serde(default)]
    pub paging: Paging,
}

/// Page selection for `list_provider_accounts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListParams {
    /// Page number from 1 (API default 1).
    #[serde(default)]
    pub page: Option<u32>,
    /// Items per page, 1–100 (API default 20).
    #[serde(default)]
    pub per_page: Option<u32>,
}

/// Page selection and filter for `list_invoices` and `iter_invoices`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListInvoicesParams {
    /// Page number from 1 (API default 1; `iter_invoices` starts here).
    #[serde(default)]
    pub page: Option<u32>,
    /// Items per page, 1–100 (API default 10).
    #[serde(default)]
    pub per_page: Option<u32>,
    /// Only invoices made in the web interface (`manual`) or through the API (`api`).
    #[serde(default)]
    pub source: Option<Source>,
}
