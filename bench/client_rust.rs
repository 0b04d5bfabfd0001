//! Client throughput and latency against the in-process mock: `get_invoice` and `create_invoice`
//! with N concurrent callers on one `Client`, plus peak memory. Run with `bash bench/client_rust.sh`.
//!
//! Arguments: `[requests] [concurrency] [output file]` (defaults 20000, 32, stdout only).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sepay_einvoice::{Buyer, Client, CreateInvoice, LineItem, TaxRate, WaitOptions};
use sepay_einvoice_mock::{MockConfig, MockServer, ACCOUNT_MATBAO};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn request(n: usize) -> CreateInvoice {
    CreateInvoice {
        provider_account_id: ACCOUNT_MATBAO.into(),
        template_code: "1".into(),
        invoice_series: "C26TSE".into(),
        issued_date: "2026-01-26 08:00:00".into(),
        is_draft: true,
        buyer: Buyer {
            name: Some(format!("Khách hàng {n}")),
            tax_code: Some("0100233488".into()),
            ..Default::default()
        },
        items: vec![
            LineItem::new("Sản phẩm A", 2.into(), 100_000.into()).with_tax_rate(TaxRate::Ten)
        ],
        ..Default::default()
    }
}

/// Runs `total` calls of `op` from `concurrency` tasks; returns (elapsed, sorted latencies).
async fn drive<F, Fut>(total: usize, concurrency: usize, op: F) -> (Duration, Vec<Duration>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = sepay_einvoice::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break lat;
                }
                let t = Instant::now();
                if let Err(e) = op(i).await {
                    eprintln!("call failed: {e}");
                }
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    all.sort();
    (elapsed, all)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let concurrency: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(32);
    let out = args.get(2).cloned();

    let mock = MockServer::start(MockConfig {
        quota: 1_000_000,
        ..MockConfig::default()
    })
    .await?;
    let client = Client::builder()
        .ignore_env()
        .base_url(mock.url())
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .build()?;
    let fast =
        WaitOptions::default().poll_intervals(Duration::from_millis(10), Duration::from_millis(20));
    let draft = client.create_invoice_and_wait(&request(0), fast).await?;

    let mut report = format!(
        "# sepay-einvoice Rust client throughput\ndate: {}\nmachine: {} cores, {} {}\nsetup: mock server in the same process (release build), one Client shared by {concurrency} tasks on a 2-worker tokio runtime\n\n",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let reference = draft.reference_code.clone();
    let c = client.clone();
    let (elapsed, lat) = drive(total, concurrency, move |_| {
        let (c, r) = (c.clone(), reference.clone());
        async move { c.get_invoice(&r).await.map(drop) }
    })
    .await;
    report.push_str(&format!(
        "get_invoice      {total} calls in {:.2}s: {:.0} calls/s, p50 {:.2} ms, p99 {:.2} ms\n",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    ));
    let creates = total / 4;
    let c = client.clone();
    let (elapsed, lat) = drive(creates, concurrency, move |i| {
        let c = c.clone();
        async move { c.create_invoice(&request(i)).await.map(drop) }
    })
    .await;
    report.push_str(&format!(
        "create_invoice   {creates} calls in {:.2}s: {:.0} calls/s, p50 {:.2} ms, p99 {:.2} ms (validation + JSON + HTTP)\n",
        elapsed.as_secs_f64(),
        creates as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    ));
    report.push_str(&format!(
        "peak RSS (client + mock + {creates} stored invoices): {} MiB\n",
        peak_rss_kib() / 1024
    ));
    print!("{report}");
    if let Some(path) = out {
        std::fs::write(&path, &report)?;
    }
    mock.shutdown().await;
    Ok(())
}
