//! Provider accounts: the e-invoice provider registrations invoices are issued through.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::invoice::de_opt_date;

/// A provider account as listed by `GET /v1/provider-accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProviderAccount {
    /// Account id: pass it as `provider_account_id` when creating invoices.
    pub id: String,
    /// Provider code (`matbao`, `bkav`, …).
    #[serde(default)]
    pub provider: String,
    /// Only active accounts can issue.
    #[serde(default)]
    pub active: bool,
    /// Date the tax authority approved the registration; invoices dated earlier are rejected.
    /// Always `None` in sandbox.
    #[serde(default, deserialize_with = "de_opt_date")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<NaiveDate>"))]
    pub tax_authority_approved_date: Option<NaiveDate>,
}

/// An invoice template of a provider account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InvoiceTemplate {
    /// Template code (`"1"` VAT invoice, `"2"` sales invoice, …).
    pub template_code: String,
    /// Series to use with it (`"C26TSE"`).
    pub invoice_series: String,
    /// Display label.
    #[serde(default)]
    pub invoice_label: Option<String>,
}

/// A provider account with its templates (`GET /v1/provider-accounts/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProviderAccountDetail {
    /// Account id.
    pub id: String,
    /// Provider code.
    #[serde(default)]
    pub provider: String,
    /// Only active accounts can issue.
    #[serde(default)]
    pub active: bool,
    /// Date the tax authority approved the registration.
    #[serde(default, deserialize_with = "de_opt_date")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<NaiveDate>"))]
    pub tax_authority_approved_date: Option<NaiveDate>,
    /// Templates and series usable with this account.
    #[serde(default)]
    pub templates: Vec<InvoiceTemplate>,
}
