//! Jobs: the handle a create or issue call returns, and the status a check reports.

use serde::{Deserialize, Serialize};

use super::enums::{JobKind, JobState};
use super::invoice::Invoice;

/// A create or issue request the API is working on. Plain data: store it and resume waiting
/// after a restart with [`crate::Client::wait_for_status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Job {
    /// Create or issue.
    pub kind: JobKind,
    /// The invoice's reference code.
    pub reference_code: String,
    /// The code to poll. `None` when the SDK reconciled a retried call whose first attempt got
    /// through (the API answered 409); the job is then followed by `reference_code`.
    #[serde(default)]
    pub tracking_code: Option<String>,
    /// The API's check URL for this job, when it gave one.
    #[serde(default)]
    pub tracking_url: Option<String>,
    /// The API's message when the job was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What a check says about a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct JobStatus {
    /// Pending, Success or Failed.
    #[serde(rename = "status")]
    #[cfg_attr(feature = "schema", schemars(extend("x-sdk-name" = "state")))]
    pub state: JobState,
    /// The API's message (the failure reason when Failed).
    #[serde(default)]
    pub message: Option<String>,
    /// The invoice's reference code.
    #[serde(default)]
    pub reference_code: Option<String>,
    /// The invoice, when Success.
    #[serde(default)]
    pub invoice: Option<Invoice>,
}

impl JobStatus {
    /// Whether the job has finished (Success or Failed).
    pub fn is_terminal(&self) -> bool {
        matches!(self.state, JobState::Success | JobState::Failed)
    }
}
