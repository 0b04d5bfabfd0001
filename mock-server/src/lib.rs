//! A faithful, stateful, fast mock of the SePay eInvoice API.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use sepay_einvoice_mock::{MockConfig, MockServer};
//! let server = MockServer::start(MockConfig::default()).await?;
//! println!("mock at {}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! See the crate README for the routes, triggers and the `/_mock/` control API.

#![deny(missing_docs)]

mod auth;
mod config;
mod envelope;
mod error_codes;
mod fault_answer;
mod faults;
mod files;
mod invoice_map;
mod issued_token;
mod jobs;
mod model;
mod padded_body;
mod route_id;
mod routes;
mod seed;
mod server;
mod state;
mod stats;
mod totals;
mod validate;

pub use config::{FileNotReady, MockConfig};
pub use seed::{ACCOUNT_BKAV, ACCOUNT_MATBAO, ACCOUNT_MIFI};
pub use server::MockServer;
