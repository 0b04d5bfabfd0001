//! Startup configuration of the mock and the subset that can change at run time.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// What `GET /v1/invoices/{code}/download` answers while an invoice's files are not ready yet
/// (see [`MockConfig::file_ready_ms`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FileNotReady {
    /// 200 with the usual envelope and `content: ""` (`"empty"`).
    #[default]
    Empty,
    /// 409 `FILE_NOT_READY` (`"error"`).
    Error,
}

impl FileNotReady {
    /// The wire and command-line spelling: `"empty"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileNotReady::Empty => "empty",
            FileNotReady::Error => "error",
        }
    }
}

impl fmt::Display for FileNotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FileNotReady {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "empty" => Ok(FileNotReady::Empty),
            "error" => Ok(FileNotReady::Error),
            other => Err(format!("expected \"empty\" or \"error\", got {other:?}")),
        }
    }
}

/// How a [`crate::MockServer`] behaves. `Default` gives the values the tests and docs assume.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// The `client_id` half of the HTTP Basic credentials accepted by `POST /v1/token`.
    pub client_id: String,
    /// The `client_secret` half of the HTTP Basic credentials accepted by `POST /v1/token`.
    pub client_secret: String,
    /// Lifetime of an issued access token (also the `expires_in` it reports).
    pub token_ttl: Duration,
    /// A job answers `Pending` to this many polls of its check endpoint before it resolves.
    pub pending_polls: u32,
    /// A job resolves once this much time has passed since it was created, polled or not.
    pub pending_time: Duration,
    /// Issuances left; every successful issuance spends one.
    pub quota: u64,
    /// Seed for the fault-probability RNG and the seeded manual invoices.
    pub seed: u64,
    /// How many issued invoices with `source: "manual"` exist at startup.
    pub manual_invoices: usize,
    /// Add `"success": true` to the three bodies that the official examples show without it.
    pub success_key_everywhere: bool,
    /// For this many milliseconds after an invoice is issued, its download answers "not ready"
    /// the way [`MockConfig::file_not_ready`] says. 0 (the default): files are ready at once.
    pub file_ready_ms: u64,
    /// The "not ready" answer of a download (default [`FileNotReady::Empty`]).
    pub file_not_ready: FileNotReady,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            client_id: "mock_client_id".to_string(),
            client_secret: "mock_client_secret".to_string(),
            token_ttl: Duration::from_secs(86_400),
            pending_polls: 1,
            pending_time: Duration::from_secs(1),
            quota: 1000,
            seed: 42,
            manual_invoices: 3,
            success_key_everywhere: false,
            file_ready_ms: 0,
            file_not_ready: FileNotReady::Empty,
        }
    }
}

/// The knobs `POST /_mock/config` may turn while the server runs.
#[derive(Debug, Clone)]
pub(crate) struct RuntimeConfig {
    pub token_ttl: Duration,
    pub pending_polls: u32,
    pub pending_time: Duration,
    pub success_key_everywhere: bool,
    pub file_ready: Duration,
    pub file_not_ready: FileNotReady,
}

impl RuntimeConfig {
    pub fn from_startup(c: &MockConfig) -> Self {
        RuntimeConfig {
            token_ttl: c.token_ttl,
            pending_polls: c.pending_polls,
            pending_time: c.pending_time,
            success_key_everywhere: c.success_key_everywhere,
            file_ready: Duration::from_millis(c.file_ready_ms),
            file_not_ready: c.file_not_ready,
        }
    }
}
