//! The batch runner on a SQLite journal against the in-process mock: every row exactly once,
//! across re-runs, changed rows, certain failures retried, and faults.

use std::sync::Arc;
use std::time::Duration;

use sepay_einvoice::{Buyer, Client, CreateInvoice, LineItem, RetryPolicy, TaxRate, WaitOptions};
use sepay_einvoice_batch::{resume, run, BatchOptions, BatchRow, Journal, Outcome};
use sepay_einvoice_mock::{MockConfig, MockServer};
use serde_json::{json, Value};

const MATBAO: &str = "0aea3134-da40-11f0-aef4-52c7e9b4f41b";

async fn mock() -> MockServer {
    MockServer::start(MockConfig {
        pending_polls: 0,
        pending_time: Duration::from_millis(20),
        ..MockConfig::default()
    })
    .await
    .expect("mock")
}

fn client(url: &str) -> Client {
    Client::builder()
        .ignore_env()
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .base_url(url)
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(50),
            max_retries: 3,
            ..RetryPolicy::default()
        })
        .build()
        .expect("client")
}

fn row(i: usize) -> BatchRow {
    BatchRow::new(
        format!("ORDER-{i:04}"),
        CreateInvoice {
            provider_account_id: MATBAO.into(),
            template_code: "1".into(),
            invoice_series: "C26TSE".into(),
            issued_date: "2026-01-26 08:00:00".into(),
            is_draft: false,
            buyer: Buyer {
                name: Some(format!("Khách hàng {i}")),
                ..Default::default()
            },
            items: vec![LineItem::new("Hàng", 1.into(), (10_000 + i as i64).into())
                .with_tax_rate(TaxRate::Ten)],
            notes: Some(format!("batch test #{i}")),
            ..Default::default()
        },
    )
}

fn options(name: &str) -> BatchOptions {
    let mut o = BatchOptions::new(name);
    o.concurrency = 8;
    o.wait = WaitOptions::default()
        .timeout(Duration::from_secs(20))
        .poll_intervals(Duration::from_millis(20), Duration::from_millis(50));
    o
}

async fn control(url: &str, path: &str) -> Value {
    reqwest_json(&format!("{url}/_mock/{path}")).await
}

async fn reqwest_json(url: &str) -> Value {
    // A plain HTTP/1.1 GET without another HTTP client dependency.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').expect("path");
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(
        format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf);
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    serde_json::from_str(body).expect("json body")
}

async fn post(url: &str, path: &str, body: Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let host = rest.split('/').next().expect("host");
    let body = body.to_string();
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(
        format!("POST /_mock/{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            .as_bytes(),
    )
    .await
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    assert!(
        String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 2"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
}

/// Invoices the mock holds per batch-test note: each must be exactly one.
async fn copies(url: &str) -> std::collections::HashMap<String, usize> {
    let all = control(url, "invoices").await;
    let mut n = std::collections::HashMap::new();
    for inv in all.as_array().expect("list") {
        if let Some(note) = inv["notes"]
            .as_str()
            .filter(|s| s.starts_with("batch test #"))
        {
            *n.entry(note.to_string()).or_insert(0) += 1;
        }
    }
    n
}

fn journal_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sepay-batch-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("journal.sqlite")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_once_and_a_rerun_sends_nothing() {
    let m = mock().await;
    let url = m.url();
    let c = client(&url);
    let path = journal_path("rerun");
    let rows: Vec<BatchRow> = (0..40).map(row).collect();
    {
        let j = Arc::new(
            Journal::open(&format!("sqlite:{}", path.display()))
                .await
                .expect("journal"),
        );
        let report = run(&c, j, rows.clone(), &options("t")).await.expect("run");
        assert!(report.all_done(), "{report:?}");
        assert_eq!(report.done, 40);
        assert!(report
            .rows
            .iter()
            .all(|r| r.invoice_number.is_some() && r.pdf_url.is_some()));
    }
    let creates = control(&url, "stats").await["requests"]["create_invoice"]["200"].as_u64();
    assert_eq!(creates, Some(40));
    let j = Arc::new(
        Journal::open(&format!("sqlite:{}", path.display()))
            .await
            .expect("journal"),
    );
    let again = run(&c, j.clone(), rows.clone(), &options("t"))
        .await
        .expect("rerun");
    assert_eq!(again.done, 40);
    assert_eq!(
        control(&url, "stats").await["requests"]["create_invoice"]["200"].as_u64(),
        Some(40)
    );
    let n = copies(&url).await;
    assert_eq!(n.len(), 40);
    assert!(n.values().all(|c| *c == 1), "{n:?}");

    // A row changed since it was journaled is refused, not re-issued; the others stay done.
    let mut changed = rows;
    changed[3].request.items[0].unit_price = Some(99_999.into());
    let r = run(&c, j, changed, &options("t")).await.expect("run");
    assert_eq!((r.done, r.refused), (39, 1));
    let refused = r
        .rows
        .iter()
        .find(|x| x.outcome == Outcome::Refused)
        .expect("refused row");
    assert_eq!(refused.key, "ORDER-0003");
    assert!(refused
        .error
        .as_ref()
        .is_some_and(|e| e.message.contains("changed since it was journaled")));
    assert_eq!(
        control(&url, "stats").await["requests"]["create_invoice"]["200"].as_u64(),
        Some(40)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certain_failures_are_retried_with_the_same_reference_code() {
    let m = mock().await;
    let url = m.url();
    let c = client(&url);
    post(&url, "config", json!({"quota": 5})).await;
    let path = journal_path("retry");
    let j = Arc::new(
        Journal::open(&format!("sqlite:{}", path.display()))
            .await
            .expect("journal"),
    );
    let mut o = options("q");
    o.concurrency = 1;
    let report = run(&c, j.clone(), (0..8).map(row).collect(), &o)
        .await
        .expect("run");
    assert_eq!((report.done, report.failed), (5, 3), "{report:?}");
    let failed = report
        .rows
        .iter()
        .find(|r| r.outcome == Outcome::Failed)
        .expect("a failed row");
    assert_eq!(
        failed.error.as_ref().map(|e| e.kind.as_str()),
        Some("QuotaExceeded")
    );
    let codes: Vec<_> = report
        .rows
        .iter()
        .map(|r| r.reference_code.clone())
        .collect();

    post(&url, "config", json!({"quota": 100})).await;
    assert_eq!(j.retry_failed(Some("q")).await.expect("retry"), 3);
    let again = resume(&c, j, &o).await.expect("resume");
    assert!(again.all_done(), "{again:?}");
    let codes_after: Vec<_> = again
        .rows
        .iter()
        .map(|r| r.reference_code.clone())
        .collect();
    assert_eq!(codes, codes_after, "a retried row keeps its reference code");
    assert!(copies(&url).await.values().all(|c| *c == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_do_not_lose_or_duplicate_rows() {
    let m = mock().await;
    let url = m.url();
    let c = client(&url);
    for rule in [
        json!({"route": "create_invoice", "kind": "status", "status": 503, "probability": 0.2}),
        json!({"route": "create_invoice", "kind": "drop", "probability": 0.15}),
        json!({"route": "check_create", "kind": "status", "status": 503, "probability": 0.1}),
        json!({"route": "create_invoice", "kind": "status", "status": 429, "retry_after": 1, "times": 2}),
    ] {
        post(&url, "faults", rule).await;
    }
    let path = journal_path("faults");
    let rows: Vec<BatchRow> = (0..60).map(row).collect();
    let mut o = options("f");
    o.concurrency = 16;
    // Runs until every row is done: an uncertain row is found out by the next run.
    let mut done = 0;
    for _ in 0..5 {
        let j = Arc::new(
            Journal::open(&format!("sqlite:{}", path.display()))
                .await
                .expect("journal"),
        );
        let r = run(&c, j, rows.clone(), &o).await.expect("run");
        done = r.done;
        assert_eq!(r.failed, 0, "{r:?}");
        if r.all_done() {
            break;
        }
    }
    assert_eq!(done, 60);
    let n = copies(&url).await;
    assert_eq!(n.len(), 60);
    assert!(n.values().all(|c| *c == 1), "{n:?}");
}

#[tokio::test]
async fn a_sqlite_journal_serves_one_process_at_a_time() {
    let path = journal_path("lock");
    let spec = format!("sqlite:{}", path.display());
    let _first = Journal::open(&spec).await.expect("journal");
    let second = Journal::open(&spec).await.err().expect("refused");
    assert!(
        second.message().contains("in use by another process"),
        "{second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_as_reference_codes_hold_even_across_journals() {
    let m = mock().await;
    let url = m.url();
    let c = client(&url);
    let rows: Vec<BatchRow> = (100..110).map(row).collect();
    let mut o = options("k");
    o.reference_from_key = true;
    let first = Arc::new(
        Journal::open(&format!("sqlite:{}", journal_path("keys-a").display()))
            .await
            .expect("journal"),
    );
    let r = run(&c, first, rows.clone(), &o).await.expect("run");
    assert!(r.all_done(), "{r:?}");
    assert!(r
        .rows
        .iter()
        .all(|x| x.reference_code.as_deref() == Some(x.key.as_str())));
    // The journal is lost (or the input renamed): a new journal, the same orders.
    let second = Arc::new(
        Journal::open(&format!("sqlite:{}", journal_path("keys-b").display()))
            .await
            .expect("journal"),
    );
    let again = run(&c, second, rows, &o).await.expect("run");
    assert!(again.all_done(), "{again:?}");
    let n = copies(&url).await;
    assert_eq!(n.len(), 10);
    assert!(n.values().all(|c| *c == 1), "{n:?}");
}

#[tokio::test]
async fn a_running_sqlite_journal_can_be_read() {
    let path = journal_path("read-only");
    let spec = format!("sqlite:{}", path.display());
    let _writer = Journal::open(&spec).await.expect("journal");
    let reader = Journal::open_read_only(&spec)
        .await
        .expect("read-only journal");
    assert!(reader.entries(None).await.expect("entries").is_empty());
}
