//! Batch issuance against the in-process mock: the journaled batch runner (SQLite journal,
//! `synchronous=FULL`) against the same rows driven by a plain loop of `create_invoice_and_wait`
//! at the same concurrency. Jobs stay pending about 1 s, as SePay's do. Run with
//! `bash bench/batch.sh` (release build); writes `bench/results/batch.json`.
//!
//! Arguments: `[rows] [concurrency] [pending ms] [output file]` (defaults 2000, 64, 1000, stdout).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sepay_einvoice::{Buyer, Client, CreateInvoice, LineItem, TaxRate, WaitOptions};
use sepay_einvoice_batch::{run, BatchOptions, BatchRow, Journal};
use sepay_einvoice_mock::{MockConfig, MockServer, ACCOUNT_MATBAO};
use serde_json::{json, Value};

fn request(tag: &str, i: usize) -> CreateInvoice {
    CreateInvoice {
        provider_account_id: ACCOUNT_MATBAO.into(),
        template_code: "1".into(),
        invoice_series: "C26TSE".into(),
        issued_date: "2026-01-26 08:00:00".into(),
        is_draft: false,
        buyer: Buyer {
            name: Some(format!("Khách hàng {i}")),
            ..Default::default()
        },
        items: vec![
            LineItem::new("Hàng", 1.into(), (10_000 + i as i64).into()).with_tax_rate(TaxRate::Ten)
        ],
        notes: Some(format!("{tag} #{i}")),
        ..Default::default()
    }
}

async fn stats(url: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(
        format!("GET /_mock/stats HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf);
    serde_json::from_str(text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("{}")).expect("stats")
}

fn count(stats: &Value, route: &str) -> u64 {
    stats["requests"][route]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

fn client(url: &str) -> Client {
    Client::builder()
        .ignore_env()
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .base_url(url)
        .build()
        .expect("client")
}

async fn mock(pending: Duration, rows: usize) -> MockServer {
    MockServer::start(MockConfig {
        // Time alone resolves a job (not the number of polls).
        pending_polls: u32::MAX,
        pending_time: pending,
        quota: rows as u64 * 4,
        ..MockConfig::default()
    })
    .await
    .expect("mock")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let concurrency: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(64);
    let pending = Duration::from_millis(args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000));
    let out = args.get(4).cloned();

    // The journaled batch.
    let m = mock(pending, rows).await;
    let url = m.url();
    let dir = std::env::temp_dir().join(format!("sepay-batch-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let journal = Arc::new(
        Journal::open(&format!("sqlite:{}", dir.join("bench.journal").display()))
            .await
            .expect("journal"),
    );
    let batch_rows: Vec<BatchRow> = (0..rows)
        .map(|i| BatchRow::new(format!("row-{i}"), request("batch", i)))
        .collect();
    let mut options = BatchOptions::new("bench");
    options.concurrency = concurrency;
    let started = Instant::now();
    let report = run(&client(&url), journal, batch_rows, &options)
        .await
        .expect("batch");
    let batch_wall = started.elapsed();
    assert!(
        report.all_done(),
        "{} failed, {} uncertain",
        report.failed,
        report.uncertain
    );
    let s = stats(&url).await;
    let batch = json!({
        "wall_s": batch_wall.as_secs_f64(),
        "rows_per_s": rows as f64 / batch_wall.as_secs_f64(),
        "polls_per_row": count(&s, "check_create") as f64 / rows as f64,
        "token_requests": count(&s, "token"),
        "account_reads": count(&s, "get_provider_account"),
    });
    drop(m);
    let _ = std::fs::remove_dir_all(&dir);

    // A plain loop at the same concurrency: no journal.
    let m = mock(pending, rows).await;
    let url = m.url();
    let c = client(&url);
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..rows)
        .map(|i| {
            let c = c.clone();
            async move {
                let req = request("loop", i);
                c.create_invoice_and_wait(&req, WaitOptions::default())
                    .await
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let loop_wall = started.elapsed();
    assert!(results.iter().all(Result::is_ok));
    let s = stats(&url).await;
    let plain = json!({
        "wall_s": loop_wall.as_secs_f64(),
        "rows_per_s": rows as f64 / loop_wall.as_secs_f64(),
        "polls_per_row": count(&s, "check_create") as f64 / rows as f64,
        "token_requests": count(&s, "token"),
        "account_reads": count(&s, "get_provider_account"),
    });
    let doc = json!({
        "benchmark": "batch issuance: journaled runner (SQLite, synchronous=FULL) vs a plain create_invoice_and_wait loop",
        "rows": rows,
        "concurrency": concurrency,
        "job_pending_ms": pending.as_millis() as u64,
        "machine": format!("{} CPUs", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
        "batch": batch,
        "plain_loop": plain,
        "batch_wall_over_loop": batch_wall.as_secs_f64() / loop_wall.as_secs_f64(),
    });
    let text = serde_json::to_string_pretty(&doc).expect("json");
    println!("{text}");
    if let Some(path) = out {
        std::fs::write(&path, text + "\n").expect("write results");
    }
}
