//! The exactly-once soak, Rust runner: N `create_invoice_and_wait` calls at concurrency C against
//! one in-process mock with mixed faults, judged from the mock's own state (its invoices, stats
//! and fault counters). Spec: tests/soak/soak.json; method, figures and pass conditions:
//! tests/soak/README.md. Sizes and output from SEPAY_SOAK_CALLS, SEPAY_SOAK_CONCURRENCY and
//! SEPAY_SOAK_OUT (default: the reduced size, $CARGO_TARGET_DIR/soak/soak-rust.json).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use sepay_einvoice::{
    Buyer, Client, CreateInvoice, Currency, Decimal, LineItem, TaxRate, WaitOptions,
};
use sepay_einvoice_mock::{MockConfig, MockServer};
use serde_json::{json, Map, Value};

const LANG: &str = "rust";

/// What one call ended with.
struct Outcome {
    index: usize,
    wall: Duration,
    result: Result<String, Failure>,
}

struct Failure {
    kind: String,
    reference_code: Option<String>,
    ambiguous: bool,
    message: String,
}

fn main() -> ExitCode {
    // `cargo test -p sepay-einvoice <filter>` passes the filter to every test binary: run the
    // soak only when no filter is given or a filter matches "soak".
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| "soak".contains(f.as_str())) {
        println!("soak ({LANG}): skipped (filtered out)");
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("soak ({LANG}): cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak ({LANG}): {e}");
            ExitCode::FAILURE
        }
    }
}

fn repo() -> PathBuf {
    let core = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    core.parent().map(PathBuf::from).unwrap_or(core)
}

fn env_count(name: &str, default: u64) -> Result<usize, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{name} must be a positive integer, got {v:?}")),
        _ => Ok(default as usize),
    }
}

fn num(v: &Value, pointer: &str) -> Result<f64, String> {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("soak.json has no number at {pointer}"))
}

fn ms(v: &Value, pointer: &str) -> Result<Duration, String> {
    num(v, pointer).map(|n| Duration::from_millis(n as u64))
}

async fn control(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut req = http.request(method, &url);
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url}: HTTP {status} {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))
}

/// The create request of call `i`: a distinct sale (marker in `notes`, buyer and amount vary
/// with `i`); no reference code, so the SDK generates one.
fn request(spec: &Value, run_id: &str, i: usize, issued_date: &str) -> CreateInvoice {
    let r = &spec["request"];
    let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
    // No 8 %: its legal window ends 2026-12-31 (a warning on every call after).
    let rates = [
        TaxRate::Zero,
        TaxRate::Five,
        TaxRate::Ten,
        TaxRate::NotSubject,
    ];
    CreateInvoice {
        provider_account_id: text("provider_account_id"),
        template_code: text("template_code"),
        // `{yy}`: the two digits of the invoice's year (a series carries its year).
        invoice_series: text("invoice_series").replace("{yy}", issued_date.get(2..4).unwrap_or("")),
        issued_date: issued_date.to_string(),
        currency: Currency::Vnd,
        is_draft: r["is_draft"].as_bool().unwrap_or(false),
        buyer: Buyer {
            name: Some(format!("Khách hàng soak {i}")),
            ..Default::default()
        },
        items: vec![LineItem::new(
            format!("Hàng soak {i}"),
            Decimal::from(1 + i % 3),
            Decimal::from(10_000 + 100 * i),
        )
        .with_tax_rate(rates[i % 4])],
        notes: Some(format!("soak {run_id} #{i}")),
        ..Default::default()
    }
}

/// Nearest-rank percentile of sorted milliseconds.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Per-request rates of each rule: the walk stops at the first non-latency rule that fires.
fn effective_rates(rules: &[Value]) -> Vec<Value> {
    let mut reach = 1.0;
    let mut out = Vec::new();
    for rule in rules {
        let p = rule["probability"].as_f64().unwrap_or(1.0);
        out.push(json!({"rule": label(rule), "rate": round6(reach * p)}));
        if rule["kind"] != "latency" {
            reach *= 1.0 - p;
        }
    }
    out.push(json!({"rule": "none of status/drop/malformed", "rate": round6(reach)}));
    out
}

/// A rule's short name: `status_503`, `dropped`, `late`, `malformed`, ...
fn label(rule: &Value) -> String {
    match rule["kind"].as_str().unwrap_or("") {
        "status" => format!("status_{}", rule["status"].as_u64().unwrap_or(503)),
        "drop" => "dropped".into(),
        "latency" if rule["when"] == "after" => "late".into(),
        other => other.to_string(),
    }
}

async fn run() -> Result<bool, String> {
    let spec_path = repo().join("tests/soak/soak.json");
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(&spec_path)
            .map_err(|e| format!("{}: {e}", spec_path.display()))?,
    )
    .map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let calls = env_count(
        "SEPAY_SOAK_CALLS",
        num(&spec, "/sizes/reduced/calls")? as u64,
    )?;
    let concurrency = env_count(
        "SEPAY_SOAK_CONCURRENCY",
        num(&spec, "/sizes/reduced/concurrency")? as u64,
    )?;
    let out = match std::env::var("SEPAY_SOAK_OUT") {
        // Relative to the repository root: cargo runs tests from core/.
        Ok(p) if !p.is_empty() => repo().join(p),
        _ => std::env::var("CARGO_TARGET_DIR")
            .ok()
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("target"))
            .join("soak")
            .join(format!("soak-{LANG}.json")),
    };
    let started_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);

    // One mock, configured and faulted through its control API like the other runners' mocks.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mock = MockServer::start(MockConfig::default())
        .await
        .map_err(|e| format!("cannot start the mock: {e}"))?;
    let base = mock.url();
    let http = reqwest::Client::new();
    let post = reqwest::Method::POST;
    control(
        &http,
        post.clone(),
        format!("{base}/_mock/config"),
        Some(&spec["mock_config"]),
    )
    .await?;
    let rules = spec["faults"].as_array().cloned().unwrap_or_default();
    for rule in &rules {
        control(
            &http,
            post.clone(),
            format!("{base}/_mock/faults"),
            Some(rule),
        )
        .await?;
    }

    let client = Client::builder()
        .ignore_env()
        .base_url(&base)
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .timeout(ms(&spec, "/client/timeout_ms")?)
        .call_timeout(ms(&spec, "/client/call_timeout_ms")?)
        .max_retries(num(&spec, "/client/max_retries")? as u32)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let wait = WaitOptions::default()
        .timeout(ms(&spec, "/wait/timeout_ms")?)
        .poll_intervals(
            ms(&spec, "/wait/poll_interval_ms")?,
            ms(&spec, "/wait/max_poll_interval_ms")?,
        );

    let run_id = format!(
        "{LANG}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let issued_date = (Utc::now() + chrono::Duration::hours(7) - chrono::Duration::minutes(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let spec = Arc::new(spec);
    let next = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(Vec::<Outcome>::with_capacity(calls)));
    let t0 = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.min(calls) {
        let (client, wait, spec, next, outcomes, run_id, issued_date) = (
            client.clone(),
            wait.clone(),
            spec.clone(),
            next.clone(),
            outcomes.clone(),
            run_id.clone(),
            issued_date.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls {
                    break;
                }
                let req = request(&spec, &run_id, i, &issued_date);
                let started = Instant::now();
                let result = client
                    .create_invoice_and_wait(&req, wait.clone())
                    .await
                    .map(|inv| inv.reference_code)
                    .map_err(|e| Failure {
                        kind: e.kind().name().to_string(),
                        reference_code: e.reference_code().map(str::to_string),
                        ambiguous: e.is_ambiguous(),
                        message: e.to_string(),
                    });
                let wall = started.elapsed();
                if let Ok(mut o) = outcomes.lock() {
                    o.push(Outcome {
                        index: i,
                        wall,
                        result,
                    });
                }
            }
        }));
    }
    for w in workers {
        w.await.map_err(|e| format!("a worker stopped: {e}"))?;
    }
    let run_secs = t0.elapsed().as_secs_f64();
    let outcomes = std::mem::take(&mut *outcomes.lock().map_err(|e| e.to_string())?);

    // Let late answers be written and every job that acted resolve before reading the mock.
    let get = reqwest::Method::GET;
    tokio::time::sleep(ms(&spec, "/judge/settle_ms")?).await;
    let settle_until = Instant::now() + ms(&spec, "/judge/settle_max_ms")?;
    let mut stats = control(&http, get.clone(), format!("{base}/_mock/stats"), None).await?;
    while stats["pending_jobs"].as_u64().unwrap_or(0) > 0 && Instant::now() < settle_until {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stats = control(&http, get.clone(), format!("{base}/_mock/stats"), None).await?;
    }
    let invoices = control(&http, get.clone(), format!("{base}/_mock/invoices"), None).await?;
    let fired = control(&http, get.clone(), format!("{base}/_mock/faults"), None).await?;
    stats = control(&http, get, format!("{base}/_mock/stats"), None).await?;
    mock.shutdown().await;

    let report = judge(
        &spec,
        &JudgeInput {
            run_id: &run_id,
            calls,
            concurrency,
            run_secs,
            outcomes: &outcomes,
            invoices: invoices.as_array().map(Vec::as_slice).unwrap_or_default(),
            stats: &stats,
            fired: fired.as_array().map(Vec::as_slice).unwrap_or_default(),
            started_at: &started_at,
        },
    );
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    let r = &report["results"];
    println!(
        "soak ({LANG}): {} calls, {} ok, {} failed ({} with reference), {} invoices, {} lost, {} duplicates, {} false successes, {} past deadline, tokens {} <= {}, {:.1} s",
        r["calls"], r["successes"], r["failures"], r["failures_with_reference"], r["invoices"],
        r["lost"], r["duplicates"], r["false_successes"], r["past_deadline"],
        r["token_requests"], r["token_bound"], run_secs
    );
    for p in r["problems"].as_array().into_iter().flatten() {
        println!("  FAIL {}", p.as_str().unwrap_or_default());
    }
    println!("  results: {}", out.display());
    Ok(report["pass"] == true)
}

struct JudgeInput<'a> {
    run_id: &'a str,
    calls: usize,
    concurrency: usize,
    run_secs: f64,
    outcomes: &'a [Outcome],
    invoices: &'a [Value],
    stats: &'a Value,
    fired: &'a [Value],
    started_at: &'a str,
}

/// Every figure and pass condition of README.md, from the call outcomes and the mock's state.
fn judge(spec: &Value, x: &JudgeInput<'_>) -> Value {
    let prefix = format!("soak {} #", x.run_id);
    // This run's invoices: reference code -> the call index in its marker.
    let mut by_ref: HashMap<&str, Option<usize>> = HashMap::new();
    let mut per_marker: BTreeMap<usize, usize> = BTreeMap::new();
    for inv in x.invoices {
        let notes = inv["notes"].as_str().unwrap_or_default();
        let Some(rest) = notes.strip_prefix(&prefix) else {
            continue;
        };
        let marker = rest.parse::<usize>().ok();
        by_ref.insert(inv["reference_code"].as_str().unwrap_or_default(), marker);
        if let Some(m) = marker {
            *per_marker.entry(m).or_default() += 1;
        }
    }
    let mut named: HashSet<&str> = HashSet::new();
    let (mut successes, mut failures, mut with_ref, mut ambiguous) = (0, 0, 0, 0);
    let (mut false_successes, mut misattributed, mut failed_with_invoice) = (0, 0, 0);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems: Vec<String> = Vec::new();
    let mut samples: Vec<Value> = Vec::new();
    for o in x.outcomes {
        match &o.result {
            Ok(reference) => {
                successes += 1;
                named.insert(reference);
                if by_ref.get(reference.as_str()) != Some(&Some(o.index)) {
                    false_successes += 1;
                    problems.push(format!(
                        "false success: call #{} returned {reference}, whose invoice is {:?}",
                        o.index,
                        by_ref.get(reference.as_str())
                    ));
                }
            }
            Err(f) => {
                failures += 1;
                *kinds.entry(f.kind.as_str()).or_default() += 1;
                ambiguous += usize::from(f.ambiguous);
                if let Some(r) = &f.reference_code {
                    with_ref += 1;
                    named.insert(r);
                    match by_ref.get(r.as_str()) {
                        Some(Some(m)) if *m == o.index => failed_with_invoice += 1,
                        Some(other) => {
                            misattributed += 1;
                            problems.push(format!(
                                "call #{} failed naming {r}, the invoice of marker {other:?}",
                                o.index
                            ));
                        }
                        None => {}
                    }
                }
                if samples.len() < 10 {
                    samples.push(json!({"call": o.index, "kind": f.kind,
                        "reference_code": f.reference_code, "ambiguous": f.ambiguous,
                        "message": f.message}));
                }
            }
        }
    }
    let lost_refs: Vec<&str> = by_ref
        .keys()
        .filter(|r| !named.contains(*r))
        .copied()
        .collect();
    for r in &lost_refs {
        problems.push(format!(
            "lost: invoice {r} (marker {:?}) is named by no call",
            by_ref[r]
        ));
    }
    let duplicates = per_marker.values().filter(|n| **n > 1).count();
    for (m, n) in per_marker.iter().filter(|(_, n)| **n > 1) {
        problems.push(format!("duplicate: marker #{m} has {n} invoices"));
    }
    let slack = spec["judge"]["deadline_slack_ms"]
        .as_f64()
        .unwrap_or(1000.0);
    let deadline_ms = spec["client"]["call_timeout_ms"].as_f64().unwrap_or(0.0)
        + spec["wait"]["timeout_ms"].as_f64().unwrap_or(0.0)
        + slack;
    let mut walls: Vec<f64> = x
        .outcomes
        .iter()
        .map(|o| o.wall.as_secs_f64() * 1000.0)
        .collect();
    walls.sort_by(f64::total_cmp);
    let past_deadline = walls.iter().filter(|w| **w > deadline_ms).count();
    if past_deadline > 0 {
        problems.push(format!(
            "{past_deadline} calls took longer than {deadline_ms} ms"
        ));
    }

    // Tokens: the token route is never faulted, so every request to it is a refresh.
    let requests = x.stats["requests"].as_object().cloned().unwrap_or_default();
    let sum = |m: Option<&Value>| -> u64 {
        m.and_then(Value::as_object)
            .map(|o| o.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    };
    let token_requests = sum(requests.get("token"));
    let ttl = spec["mock_config"]["token_ttl_secs"]
        .as_f64()
        .unwrap_or(1.0);
    let fraction = spec["judge"]["token_refresh_fraction"]
        .as_f64()
        .unwrap_or(0.9);
    let token_bound = (x.run_secs / (ttl * fraction)).ceil() as u64
        + spec["judge"]["token_slack"].as_u64().unwrap_or(1);
    if token_requests > token_bound {
        problems.push(format!(
            "{token_requests} token requests, more than {token_bound}"
        ));
    }

    // The faults injected: statuses and drops from the stats, late and garbled answers from the
    // rules' own counters (the stats count those under the status that was finally sent).
    let faulted_routes: Vec<(&String, &Value)> =
        requests.iter().filter(|(r, _)| *r != "token").collect();
    let walked: u64 = faulted_routes.iter().map(|(_, v)| sum(Some(v))).sum();
    let count = |key: &str| -> u64 {
        faulted_routes
            .iter()
            .filter_map(|(_, v)| v[key].as_u64())
            .sum()
    };
    let mut fired_by: Map<String, Value> = Map::new();
    for rule in x.fired {
        let n = rule["fired"].as_u64().unwrap_or(0)
            + fired_by
                .get(&label(rule))
                .and_then(Value::as_u64)
                .unwrap_or(0);
        fired_by.insert(label(rule), json!(n));
    }
    let fired_n = |k: &str| fired_by.get(k).and_then(Value::as_u64).unwrap_or(0);
    let injected = json!({
        "status_503": count("503"),
        "dropped": count("dropped"),
        "late": fired_n("late"),
        "malformed": fired_n("malformed"),
        "status_429": count("429"),
    });
    let mut observed = Map::new();
    for (k, v) in injected.as_object().into_iter().flatten() {
        let n = v.as_u64().unwrap_or(0) as f64;
        observed.insert(k.clone(), json!(round6(n / (walked.max(1) as f64))));
        let min = spec["judge"]["min_injected"][k].as_u64().unwrap_or(0);
        if (n as u64) < min {
            problems.push(format!(
                "the {k} fault fired {n} times, fewer than {min}: the faults did not bite"
            ));
        }
    }
    let min_calls = spec["judge"]["min_calls"].as_u64().unwrap_or(200) as usize;
    if x.calls < min_calls {
        problems.push(format!("only {} calls, fewer than {min_calls}", x.calls));
    }
    let min_ratio = spec["judge"]["min_success_ratio"].as_f64().unwrap_or(0.0);
    if (successes as f64) < min_ratio * x.calls as f64 {
        problems.push(format!(
            "only {successes} of {} calls succeeded (need {min_ratio} of them)",
            x.calls
        ));
    }
    if x.outcomes.len() != x.calls {
        problems.push(format!(
            "{} outcomes recorded for {} calls",
            x.outcomes.len(),
            x.calls
        ));
    }
    let invoices = by_ref.len();
    let pass = problems.is_empty();
    let per_route: Map<String, Value> = requests.into_iter().collect();
    json!({
        "lang": LANG,
        "calls": x.calls,
        "concurrency": x.concurrency,
        "faults": {
            "rules": spec["faults"],
            "effective_rates": effective_rates(spec["faults"].as_array().map(Vec::as_slice).unwrap_or_default()),
        },
        "settings": {
            "mock_config": spec["mock_config"],
            "client": spec["client"],
            "wait": spec["wait"],
            "run_id": x.run_id,
        },
        "results": {
            "calls": x.calls,
            "successes": successes,
            "failures": failures,
            "failures_with_reference": with_ref,
            "failures_without_reference": failures - with_ref,
            "failures_ambiguous": ambiguous,
            "failures_by_kind": kinds,
            "failures_with_invoice": failed_with_invoice,
            "invoices": invoices,
            "accounted": invoices - lost_refs.len(),
            "lost": lost_refs.len(),
            "duplicates": duplicates,
            "false_successes": false_successes,
            "misattributed_errors": misattributed,
            "past_deadline": past_deadline,
            "deadline_ms": deadline_ms,
            "token_requests": token_requests,
            "token_bound": token_bound,
            "tokens_issued": x.stats["tokens_issued"],
            "latency_ms": {
                "p50": round3(percentile(&walls, 0.50)),
                "p95": round3(percentile(&walls, 0.95)),
                "max": round3(walls.last().copied().unwrap_or(0.0)),
            },
            "run_seconds": round3(x.run_secs),
            "calls_per_second": round3(x.calls as f64 / x.run_secs.max(1e-9)),
            "faulted_requests": walked,
            "injected": injected,
            "observed_rates": observed,
            "fired_by_rule": x.fired.iter().map(|r| json!({"rule": label(r), "fired": r["fired"]})).collect::<Vec<_>>(),
            "rejected_duplicates": x.stats["rejected_duplicates"],
            "mock_requests": per_route,
            "error_samples": samples,
            "problems": problems,
        },
        "pass": pass,
        "started_at": x.started_at,
        "machine": {
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "os": std::env::consts::OS,
        },
    })
}
