//! The PostgreSQL journal: several workers share one table. Needs a database: `make test` starts
//! a throwaway cluster (scripts/postgres.sh) and sets SEPAY_TEST_POSTGRES_URL; without it these
//! tests say so and pass (`cargo test` alone on a machine without PostgreSQL).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sepay_einvoice::{Buyer, Client, CreateInvoice, LineItem, RetryPolicy, TaxRate, WaitOptions};
use sepay_einvoice_batch::{run, BatchOptions, BatchRow, Journal, Outcome};
use sepay_einvoice_mock::{MockConfig, MockServer};

const MATBAO: &str = "0aea3134-da40-11f0-aef4-52c7e9b4f41b";

fn database() -> Option<String> {
    match std::env::var("SEPAY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SEPAY_TEST_POSTGRES_URL is not set: PostgreSQL journal test skipped (make test sets it)");
            None
        }
    }
}

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

fn row(i: usize, tag: &str) -> BatchRow {
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
            notes: Some(format!("{tag} #{i}")),
            ..Default::default()
        },
    )
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
            ..RetryPolicy::default()
        })
        .build()
        .expect("client")
}

fn options(batch: &str, worker: &str) -> BatchOptions {
    let mut o = BatchOptions::new(batch);
    o.worker = worker.into();
    o.concurrency = 4;
    o.lease = Duration::from_secs(2);
    o.wait = WaitOptions::default()
        .timeout(Duration::from_secs(20))
        .poll_intervals(Duration::from_millis(20), Duration::from_millis(50));
    o
}

/// Stored invoices per note with `tag`, from the mock's own state.
async fn copies(url: &str, tag: &str) -> HashMap<String, usize> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(
        format!("GET /_mock/invoices HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf);
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("[]");
    let all: serde_json::Value = serde_json::from_str(body).expect("json");
    let mut n = HashMap::new();
    for inv in all.as_array().into_iter().flatten() {
        if let Some(note) = inv["notes"].as_str().filter(|s| s.starts_with(tag)) {
            *n.entry(note.to_string()).or_insert(0) += 1;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_the_rows_and_one_dies_midway() {
    let Some(db) = database() else { return };
    let mock = MockServer::start(MockConfig {
        pending_polls: 0,
        pending_time: Duration::from_millis(50),
        ..MockConfig::default()
    })
    .await
    .expect("mock");
    let url = mock.url();
    let batch = unique("three");
    let tag = batch.clone();
    let rows: Vec<BatchRow> = (0..60).map(|i| row(i, &tag)).collect();
    let mut workers = Vec::new();
    for w in 0..3 {
        let (db, url, rows, batch) = (db.clone(), url.clone(), rows.clone(), batch.clone());
        workers.push(tokio::spawn(async move {
            let journal = Arc::new(Journal::open(&db).await.expect("journal"));
            run(
                &client(&url),
                journal,
                rows,
                &options(&batch, &format!("w{w}")),
            )
            .await
        }));
    }
    // Worker 0 dies once invoices are being made: its leased rows are taken over after 2 s.
    for _ in 0..200 {
        if copies(&url, &tag).await.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    workers[0].abort();
    let mut reports = Vec::new();
    for w in workers.into_iter().skip(1) {
        reports.push(w.await.expect("worker").expect("run"));
    }
    for r in &reports {
        assert!(r.all_done(), "{r:?}");
        assert_eq!(r.rows.len(), 60);
    }
    let n = copies(&url, &tag).await;
    assert_eq!(n.len(), 60, "every row made");
    assert!(n.values().all(|c| *c == 1), "no row made twice: {n:?}");
    // Every row is done in the shared journal, with its invoice number.
    let j = Journal::open(&db).await.expect("journal");
    let entries = j.entries(Some(&batch)).await.expect("entries");
    assert_eq!(entries.len(), 60);
    assert!(entries.iter().all(|e| e.invoice_number.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_row_is_refused_by_every_worker() {
    let Some(db) = database() else { return };
    let mock = MockServer::start(MockConfig {
        pending_polls: 0,
        pending_time: Duration::ZERO,
        ..MockConfig::default()
    })
    .await
    .expect("mock");
    let url = mock.url();
    let batch = unique("changed");
    let rows: Vec<BatchRow> = (0..5).map(|i| row(i, &batch)).collect();
    let j = Arc::new(Journal::open(&db).await.expect("journal"));
    let first = run(
        &client(&url),
        j.clone(),
        rows.clone(),
        &options(&batch, "a"),
    )
    .await
    .expect("run");
    assert!(first.all_done());
    let mut changed = rows;
    changed[1].request.buyer.name = Some("Another buyer".into());
    let again = run(&client(&url), j, changed, &options(&batch, "b"))
        .await
        .expect("run");
    let refused: HashSet<&str> = again
        .rows
        .iter()
        .filter(|r| r.outcome == Outcome::Refused)
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(refused, HashSet::from(["ORDER-0001"]));
    assert!(copies(&url, &batch).await.values().all(|c| *c == 1));
}

#[tokio::test]
async fn the_password_is_not_shown() {
    let Some(db) = database() else { return };
    let j = Journal::open(&db).await.expect("journal");
    assert!(!j.describe().contains("secret"));
    let bad = Journal::open("postgres://sepay:hunter2@127.0.0.1:1/x").await;
    let e = bad.err().expect("refused");
    assert!(!e.message().contains("hunter2"), "{e}");
}
