//! The Rust worker of the benchmark harness (bench/harness.py): one client, one workload, one
//! run; prints one JSON line.
//!
//! ```text
//! client_rust CLIENT WORKLOAD --base-url URL [--warmup-seconds W] [--seconds S] [--ref REF]
//!             [--concurrency C] [--n N] [--pending-ms P]
//! ```
//!
//! Clients: `rust.Client` (the SDK) and `rust.reqwest` (bench/peers/reqwest_peer.rs).
//! Workloads: W1 (`get_invoice`, one call after another), W2 (`get_invoice` from C tasks), each
//! for a warm-up of W seconds and a measured phase of S seconds; W3/W5 (N
//! `create_invoice_and_wait` started at once; `rust.Client` only). CPU is the process's (every
//! thread, from /proc/self/stat) over the measured phase.
//!
//! Built two ways from this one file: in release by bench/rust/Cargo.toml (what `make bench`
//! runs) and as the `client_rust` example of the core crate (debug, what `make test` compiles and
//! `make bench-smoke` runs).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sepay_einvoice::{Buyer, Client, CreateInvoice, LineItem, TaxRate, WaitOptions};
use serde_json::{json, Value};

#[path = "peers/reqwest_peer.rs"]
mod reqwest_peer;

use reqwest_peer::{PeerResult, ReqwestPeer};

const ACCOUNT_MATBAO: &str = "0aea3134-da40-11f0-aef4-52c7e9b4f41b";

struct Args {
    client: String,
    workload: String,
    base_url: String,
    n: usize,
    warmup_seconds: f64,
    reference: String,
    concurrency: usize,
    seconds: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let client = it.next().ok_or("missing CLIENT")?;
    let workload = it.next().ok_or("missing WORKLOAD")?;
    let mut a = Args {
        client,
        workload,
        base_url: String::new(),
        n: 1000,
        warmup_seconds: 1.0,
        reference: String::new(),
        concurrency: 64,
        seconds: 3.0,
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--base-url" => a.base_url = value.clone(),
            "--n" => a.n = number()?,
            "--warmup-seconds" => {
                a.warmup_seconds = value.parse::<f64>().map_err(|e| format!("{flag}: {e}"))?
            }
            "--ref" => a.reference = value.clone(),
            "--concurrency" => a.concurrency = number()?,
            "--seconds" => a.seconds = value.parse::<f64>().map_err(|e| format!("{flag}: {e}"))?,
            // The job's pending time is the mock's business; accepted for a uniform command line.
            "--pending-ms" => {
                number()?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if a.base_url.is_empty() {
        return Err("--base-url is required".into());
    }
    Ok(a)
}

/// User + system CPU of the whole process, in seconds (/proc/self/stat, clock ticks of 10 ms).
fn process_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn status_kib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0.0)
}

/// A line that tells the harness the measured phase starts or ends (it reads the mock's CPU then).
fn marker(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[derive(Default)]
struct Errors {
    count: usize,
    first: Option<String>,
}

impl Errors {
    fn add(&mut self, e: impl std::fmt::Display) {
        self.count += 1;
        if self.first.is_none() {
            eprintln!("call failed: {e}");
            self.first = Some(e.to_string());
        }
    }
}

/// `n` calls of `op` from `concurrency` tasks, none started after `seconds`; each call's latency
/// in seconds.
async fn drive<F, Fut, T, E>(
    n: usize,
    concurrency: usize,
    seconds: f64,
    op: F,
    errors: Arc<Mutex<Errors>>,
) -> Vec<f64>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    E: std::fmt::Display,
{
    let op = Arc::new(op);
    let started = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (op, started, errors) = (op.clone(), started.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while started.fetch_add(1, Ordering::Relaxed) < n && Instant::now() < deadline {
                let t = Instant::now();
                if let Err(e) = op().await {
                    errors.lock().expect("errors lock").add(e);
                }
                lat.push(t.elapsed().as_secs_f64());
            }
            lat
        }));
    }
    let mut all = Vec::with_capacity(n.min(1 << 20));
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all
}

async fn measured<F, Fut, T, E>(a: &Args, op: F) -> Value
where
    F: Fn() -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    E: std::fmt::Display,
{
    let concurrency = if a.workload == "W2" { a.concurrency } else { 1 };
    let warm = Arc::new(Mutex::new(Errors::default()));
    // Timed, not counted, as in the other languages' workers.
    drive(
        usize::MAX,
        concurrency,
        a.warmup_seconds,
        op.clone(),
        warm.clone(),
    )
    .await;
    if let Some(e) = &warm.lock().expect("errors lock").first {
        return json!({"fatal": format!("warm-up failed: {e}")});
    }
    let errors = Arc::new(Mutex::new(Errors::default()));
    marker("@start");
    let (cpu0, t0) = (process_cpu_s(), Instant::now());
    let mut lat = drive(usize::MAX, concurrency, a.seconds, op, errors.clone()).await;
    let (elapsed, cpu) = (t0.elapsed().as_secs_f64(), process_cpu_s() - cpu0);
    marker("@stop");
    lat.sort_by(f64::total_cmp);
    let calls = lat.len() as f64;
    let errors = errors.lock().expect("errors lock");
    json!({
        "calls": lat.len(),
        "errors": errors.count,
        "first_error": errors.first,
        "elapsed_s": elapsed,
        "calls_per_s": calls / elapsed,
        "p50_ms": percentile(&lat, 0.5) * 1e3,
        "p99_ms": percentile(&lat, 0.99) * 1e3,
        "cpu_ms_per_1000": cpu / calls * 1e6,
        "callers": if concurrency > 1 { format!("{concurrency} tokio tasks") } else { "sequential".into() },
    })
}

fn sdk_client(base_url: &str) -> sepay_einvoice::Result<Client> {
    Client::builder()
        .ignore_env()
        .base_url(base_url)
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .build()
}

fn sdk_request(n: usize, issued: &str) -> CreateInvoice {
    CreateInvoice {
        provider_account_id: ACCOUNT_MATBAO.into(),
        template_code: "1".into(),
        invoice_series: "C26TSE".into(),
        issued_date: issued.into(),
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

/// N create-and-wait calls started at once; each call's time from its start to its result.
async fn waits(a: &Args, client: Client) -> Value {
    // Yesterday, Vietnam time: never "in the future" for the mock.
    let issued = (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::days(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let rss_before = status_kib("VmRSS") / 1024.0;
    marker("@start");
    let (cpu0, t0) = (process_cpu_s(), Instant::now());
    let mut tasks = Vec::with_capacity(a.n);
    for i in 0..a.n {
        let (client, req) = (client.clone(), sdk_request(i, &issued));
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            client
                .create_invoice_and_wait(&req, WaitOptions::default())
                .await
                .map(|_| t.elapsed().as_secs_f64())
        }));
    }
    let mut errors = Errors::default();
    let mut waits = Vec::with_capacity(a.n);
    for t in tasks {
        match t.await {
            Ok(Ok(w)) => waits.push(w),
            Ok(Err(e)) => errors.add(e),
            Err(e) => errors.add(e),
        }
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu_s() - cpu0);
    marker("@stop");
    waits.sort_by(f64::total_cmp);
    json!({
        "jobs": a.n,
        "errors": errors.count,
        "first_error": errors.first,
        "wall_s": wall,
        "wait_p50_s": percentile(&waits, 0.5),
        "wait_p99_s": percentile(&waits, 0.99),
        "wait_min_s": waits.first().copied().unwrap_or(f64::NAN),
        "wait_max_s": waits.last().copied().unwrap_or(f64::NAN),
        "cpu_s": cpu,
        "rss_before_mib": rss_before,
    })
}

async fn run(a: &Args) -> PeerResult<Value> {
    match (a.client.as_str(), a.workload.as_str()) {
        ("rust.Client", "W1" | "W2") => {
            let client = sdk_client(&a.base_url)?;
            client.authenticate().await?; // the token, as the peer fetches it once
            let reference = Arc::new(a.reference.clone());
            Ok(measured(a, move || {
                let (c, r) = (client.clone(), reference.clone());
                async move { c.get_invoice(&r).await }
            })
            .await)
        }
        ("rust.reqwest", "W1" | "W2") => {
            let peer = Arc::new(ReqwestPeer::open(&a.base_url).await?);
            let reference = Arc::new(a.reference.clone());
            Ok(measured(a, move || {
                let (p, r) = (peer.clone(), reference.clone());
                async move { p.get_invoice(&r).await }
            })
            .await)
        }
        ("rust.Client", "W3" | "W5") => {
            let client = sdk_client(&a.base_url)?;
            client.authenticate().await?;
            Ok(waits(a, client).await)
        }
        (c, w) => Err(format!("{c} does not run {w}").into()),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("client_rust: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(mut v) => {
            if let Some(fatal) = v.get("fatal") {
                eprintln!("client_rust: {fatal}");
                return std::process::ExitCode::FAILURE;
            }
            v["rss_peak_mib"] = json!(status_kib("VmHWM") / 1024.0);
            println!("{v}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("client_rust: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
