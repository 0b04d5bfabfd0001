//! Behaviour of the client against the in-process mock server: retry timing on a paused clock,
//! token single flight, and that no secret or personal data reaches `Debug` output or logs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sepay_einvoice::{Buyer, Client, CreateInvoice, ErrorKind, LineItem, TaxRate, WaitOptions};
use sepay_einvoice_mock::{MockConfig, MockServer};
use serde_json::{json, Value};

const SECRET: &str = "s3cr3t-client-secret-value";

async fn mock() -> MockServer {
    let cfg = MockConfig {
        client_secret: SECRET.into(),
        ..MockConfig::default()
    };
    MockServer::start(cfg).await.expect("mock server starts")
}

fn client(url: &str) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(url)
        .client_id("mock_client_id")
        .client_secret(SECRET)
        .build()
        .expect("client builds")
}

async fn control(url: &str, path: &str, body: Value) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::Client::new()
        .post(format!("{url}/_mock/{path}"))
        .json(&body)
        .send()
        .await
        .expect("control call");
    resp.json().await.unwrap_or(Value::Null)
}

async fn stats(url: &str) -> Value {
    // The test's own reqwest client needs a process-wide provider (the SDK's clients do not).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
        .get(format!("{url}/_mock/stats"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats json")
}

#[tokio::test(start_paused = true)]
async fn backoff_timing_on_a_paused_clock() {
    let server = mock().await;
    let url = server.url();
    let c = client(&url);
    c.authenticate().await.expect("token");
    control(
        &url,
        "faults",
        json!({"route": "get_usage", "kind": "status", "status": 503, "times": 2}),
    )
    .await;
    let start = tokio::time::Instant::now();
    let usage = c.get_usage().await.expect("third attempt succeeds");
    let elapsed = start.elapsed();
    assert_eq!(usage.quota_remaining, 1000);
    // Two backoffs with equal jitter: [250, 500] ms then [500, 1000] ms.
    assert!(
        elapsed >= Duration::from_millis(750) && elapsed <= Duration::from_millis(1550),
        "elapsed {elapsed:?}"
    );
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_exactly() {
    let server = mock().await;
    let url = server.url();
    let c = client(&url);
    c.authenticate().await.expect("token");
    control(&url, "faults", json!({"route": "get_usage", "kind": "status", "status": 429, "retry_after": 3, "times": 1})).await;
    let start = tokio::time::Instant::now();
    c.get_usage().await.expect("retried after Retry-After");
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(3) && elapsed < Duration::from_millis(3100),
        "elapsed {elapsed:?}"
    );
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn no_retry_sleeps_past_the_call_deadline() {
    let server = mock().await;
    let url = server.url();
    let c = Client::builder()
        .ignore_env()
        .base_url(&url)
        .client_id("mock_client_id")
        .client_secret(SECRET)
        .max_retries(10)
        .call_timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    c.authenticate().await.expect("token");
    control(
        &url,
        "faults",
        json!({"route": "get_usage", "kind": "status", "status": 503}),
    )
    .await;
    let start = tokio::time::Instant::now();
    let err = c.get_usage().await.expect_err("always 503");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(
        start.elapsed() <= Duration::from_secs(2),
        "elapsed {:?}",
        start.elapsed()
    );
    assert!(err.attempts() >= 2 && err.history().iter().all(|a| a.status == Some(503)));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_calls_fetch_one_token() {
    let server = mock().await;
    let c = client(&server.url());
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { c.get_usage().await }));
    }
    for t in tasks {
        t.await.expect("task").expect("call");
    }
    assert_eq!(stats(&server.url()).await["tokens_issued"], 1);
    server.shutdown().await;
}

/// Collects everything `tracing` writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_or_personal_data_in_debug_or_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = mock().await;
    let c = client(&server.url());
    let req = CreateInvoice {
        provider_account_id: "0aea3134-da40-11f0-aef4-52c7e9b4f41b".into(),
        template_code: "1".into(),
        invoice_series: "C26TSE".into(),
        issued_date: "2026-01-26 08:00:00".into(),
        is_draft: true,
        buyer: Buyer {
            name: Some("Công ty ABC".into()),
            tax_code: Some("0100233488".into()),
            email: Some("ketoan@abc-corp.vn".into()),
            phone: Some("0912345678".into()),
            national_id: Some("001234567890".into()),
            ..Default::default()
        },
        items: vec![LineItem::new("A", 1.into(), 1000.into()).with_tax_rate(TaxRate::Ten)],
        ..Default::default()
    };
    let fast =
        WaitOptions::default().poll_intervals(Duration::from_millis(20), Duration::from_millis(50));
    let inv = c
        .create_invoice_and_wait(&req, fast)
        .await
        .expect("created");
    let err = c.get_invoice("missing").await.expect_err("404");

    // The access token the client used, read from the mock's view is not exposed; instead check the
    // shapes a leak would take.
    let debug = format!(
        "{c:?} {:?} {req:?} {inv:?} {err:?} {err}",
        Client::builder().client_secret(SECRET)
    );
    let logs = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf8");
    assert!(
        logs.contains("request body"),
        "trace logging of bodies is on: {logs}"
    );
    for (what, text) in [("debug output", &debug), ("logs", &logs)] {
        for needle in [
            SECRET,
            "0100233488",
            "ketoan@abc-corp.vn",
            "0912345678",
            "001234567890",
            "Bearer ",
            "Basic ",
        ] {
            assert!(!text.contains(needle), "{what} contain {needle:?}:\n{text}");
        }
    }
    assert!(debug.contains("[redacted]"));
    server.shutdown().await;
}
