//! The answer of [`crate::Client::preflight`]: every problem a request has, at once.

use serde::{Deserialize, Serialize};

use super::enums::Severity;

/// One problem found in a request before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Problem {
    /// The field's path (`items[0].tax_rate`, `invoice_series`).
    pub field: String,
    /// Error (the request would be refused) or warning.
    pub severity: Severity,
    /// The rule's id in the rules table (`series-year`, `vat-8-window`, `account-template`).
    pub rule: String,
    /// What is wrong and what to do.
    pub message: String,
    /// The rule's legal or documentary source (`Circular 78/2021 Art. 4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Every problem [`crate::Client::preflight`] found, errors first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Preflight {
    /// The problems, errors before warnings, each group in the order found: the field rules,
    /// then the dated rules, then the provider account's.
    pub problems: Vec<Problem>,
}

impl Preflight {
    /// Whether the request would be sent: no problem of severity error.
    pub fn is_ok(&self) -> bool {
        !self.problems.iter().any(|p| p.severity == Severity::Error)
    }
    /// The problems that stop the request.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }
    /// The problems that do not stop it.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }
}
