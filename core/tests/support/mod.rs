//! Helpers shared by the tests that drive the client against the in-process mock with injected
//! faults (`faults.rs`, `exactly_once.rs`): a mock, a client with short backoffs, fast waits,
//! and the mock's control API. Each test binary uses a subset, hence `dead_code` allowed.
#![allow(dead_code)]

use std::time::Duration;

use sepay_einvoice::{
    Buyer, Client, ClientBuilder, CreateInvoice, LineItem, RetryPolicy, TaxRate, WaitOptions,
};
use sepay_einvoice_mock::{MockConfig, MockServer};
use serde_json::Value;

/// A mock whose jobs resolve at their first check and become visible to detail and list calls
/// after `pending` (`Duration::ZERO`: at once).
pub async fn mock_with(pending: Duration) -> MockServer {
    MockServer::start(MockConfig {
        pending_polls: 0,
        pending_time: pending,
        ..MockConfig::default()
    })
    .await
    .expect("mock server starts")
}

/// A mock whose jobs complete at once.
pub async fn mock() -> MockServer {
    mock_with(Duration::ZERO).await
}

/// A client for `url` with short retry backoffs (set `max_retries` after this).
pub fn builder(url: &str) -> ClientBuilder {
    Client::builder()
        .ignore_env()
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .base_url(url)
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        })
}

pub fn client(url: &str) -> Client {
    builder(url).build().expect("client builds")
}

/// Waits that poll every 20–50 ms for up to 10 s.
pub fn fast_wait() -> WaitOptions {
    WaitOptions::default()
        .timeout(Duration::from_secs(10))
        .poll_intervals(Duration::from_millis(20), Duration::from_millis(50))
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Adds a fault rule; panics when the mock refuses it (a typo must not pass silently).
pub async fn fault(url: &str, rule: Value) {
    let resp = http()
        .post(format!("{url}/_mock/faults"))
        .json(&rule)
        .send()
        .await
        .expect("fault call");
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(
        status.is_success() && body.get("id").is_some(),
        "the mock refused {rule}: {status} {body}"
    );
}

pub async fn clear_faults(url: &str) {
    let resp = http()
        .delete(format!("{url}/_mock/faults"))
        .send()
        .await
        .expect("clear faults");
    assert!(resp.status().is_success());
}

/// `GET /_mock/<path>` as JSON.
pub async fn control(url: &str, path: &str) -> Value {
    http()
        .get(format!("{url}/_mock/{path}"))
        .send()
        .await
        .expect("control call")
        .json()
        .await
        .expect("control json")
}

/// Every stored invoice with this reference code.
pub async fn invoices_with(url: &str, reference: &str) -> Vec<Value> {
    control(url, "invoices")
        .await
        .as_array()
        .expect("invoice list")
        .iter()
        .filter(|i| i["reference_code"] == reference)
        .cloned()
        .collect()
}

/// The mock's Mat Bao provider account.
pub const MATBAO: &str = "0aea3134-da40-11f0-aef4-52c7e9b4f41b";

/// A one-line draft on a past date with its own year's series: valid whatever today's date is.
pub fn draft() -> CreateInvoice {
    CreateInvoice {
        provider_account_id: MATBAO.into(),
        template_code: "1".into(),
        invoice_series: "C26TSE".into(),
        issued_date: "2026-01-26 08:00:00".into(),
        is_draft: true,
        buyer: Buyer {
            name: Some("ABC".into()),
            tax_code: Some("0100233488".into()),
            ..Default::default()
        },
        items: vec![LineItem::new("A", 1.into(), 100_000.into()).with_tax_rate(TaxRate::Ten)],
        ..Default::default()
    }
}
