//! Quota usage and downloaded files.

use serde::{Deserialize, Serialize};

use super::enums::FileType;
use super::money::de_u64_lenient;

/// Remaining issuance quota (`GET /v1/usage`). The API sends the count as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Usage {
    /// Issuances left in the current package.
    #[serde(deserialize_with = "de_u64_lenient")]
    pub quota_remaining: u64,
}

/// A downloaded invoice file, decoded from the API's base64.
#[derive(Clone, PartialEq, Eq)]
pub struct InvoiceFile {
    /// PDF or XML.
    pub file_type: FileType,
    /// File name the API suggests (`HD_0000589_20251215.pdf`).
    pub file_name: String,
    /// The file's bytes.
    pub content: Vec<u8>,
}

impl std::fmt::Debug for InvoiceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvoiceFile")
            .field("file_type", &self.file_type)
            .field("file_name", &self.file_name)
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .finish()
    }
}
