//! # sepay-einvoice
//!
//! A client for the [SePay eInvoice API](https://developer.sepay.vn/en/einvoice-api/v1/tong-quan):
//! issue legal Vietnamese e-invoices from Rust. The same core powers the Python and Node packages.
//!
//! What the client does for you:
//! - **Tokens**: fetched with your client id and secret, cached, refreshed by one caller at a
//!   time, and replaced once when the API answers 401.
//! - **Retries** on connection errors, timeouts, 408, 429, 500, 502, 503 and 504, with
//!   exponential backoff, jitter and `Retry-After`, inside one deadline per call.
//! - **Exactly one invoice per [`Client::create_invoice`]**: a `reference_code` is generated when
//!   you give none and kept across retries; a retry that finds the invoice already there is
//!   reconciled instead of failing or creating a second one.
//! - **Waiting** for the asynchronous create and issue jobs ([`Client::wait_for_status`]).
//! - **Validation** before any request, with the field's path in the error
//!   (`items[0].tax_rate`), and a local [`CreateInvoice::totals`] preview.
//! - **Money** as [`rust_decimal::Decimal`], never a float.
//! - **No secrets in logs**: `Debug` output and `tracing` events never contain the client secret
//!   or tokens, and mask buyers' tax codes, e-mails, phones and national ids.
//!
//! ```
//! use std::time::Duration;
//! use sepay_einvoice::{Buyer, Client, CreateInvoice, FileType, LineItem, TaxRate, WaitOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // This example runs against the bundled mock server; real code points at SePay instead.
//! # let mock = sepay_einvoice_mock::MockServer::start(Default::default()).await?;
//! // Real code: Client::from_env()? with SEPAY_EINVOICE_CLIENT_ID / _CLIENT_SECRET set.
//! let client = Client::builder()
//!     .client_id("mock_client_id")
//!     .client_secret("mock_client_secret")
//! #   .base_url(mock.url())
//!     .build()?;
//! let account = &client.list_provider_accounts(&Default::default()).await?.items[0];
//! let request = CreateInvoice {
//!     provider_account_id: account.id.clone(),
//!     template_code: "1".into(),
//!     invoice_series: "C26TSE".into(),
//!     issued_date: "2026-01-26 08:00:00".into(),
//!     is_draft: true,
//!     buyer: Buyer { name: Some("Công ty ABC".into()), tax_code: Some("0101234567".into()), ..Default::default() },
//!     items: vec![LineItem::new("Sản phẩm A", 2.into(), 100_000.into()).with_tax_rate(TaxRate::Ten)],
//!     ..Default::default()
//! };
//! let wait = WaitOptions::default();
//! # let wait = wait.poll_intervals(Duration::from_millis(20), Duration::from_millis(50));
//! let draft = client.create_invoice_and_wait(&request, wait.clone()).await?;
//! let issued = client.issue_invoice_and_wait(&draft.reference_code, wait).await?;
//! assert_eq!(issued.total_amount, Some(220_000.into()));
//! let pdf = client.download_invoice(&issued.reference_code, FileType::Pdf).await?;
//! assert!(pdf.content.starts_with(b"%PDF"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod account;
mod auth;
mod body;
pub mod catalogue;
mod client;
mod clock;
mod config;
mod corrections;
mod error;
mod job_timing;
pub mod model;
mod paginate;
mod preflight;
mod reconcile;
pub mod redact;
mod retry;
pub mod rules;
#[cfg(feature = "schema")]
pub mod schema;
mod totals;
mod transport;
pub mod validate;
mod wait;

pub use auth::TokenInfo;
pub use client::{Client, FILE_NOT_READY};
pub use config::{
    ClientBuilder, Environment, DEFAULT_ACCOUNT_CACHE_TTL, DEFAULT_CALL_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET,
    ENV_ENVIRONMENT,
};
pub use corrections::{ADJUST_PATH, REPLACE_PATH};
pub use error::{Attempt, Error, ErrorKind, Result};
pub use model::*;
pub use paginate::InvoiceStream;
pub use retry::{RetryPolicy, DEFAULT_MAX_RETRIES};
pub use rust_decimal::Decimal;
pub use totals::{line_amounts, LineTotal, Totals};
pub use wait::{
    StatusCallback, WaitOptions, DEFAULT_MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
};

/// The SDK's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

// The README's Rust examples are compiled as doc tests, so they cannot drift from the API, and
// warnings fail them: a quick start that warns is not a quick start.
#[cfg(doctest)]
#[doc(test(attr(deny(warnings))))]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
