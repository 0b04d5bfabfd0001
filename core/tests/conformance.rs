//! Runs the language-neutral scenarios of `tests/conformance/` against the mock server in-process.
//! Format: tests/conformance/README.md. Arguments filter scenarios by substring of the file name.

#[path = "conformance/format.rs"]
mod format;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::{FixedOffset, Utc};
use sepay_einvoice::{
    AdjustInvoice, AdjustmentType, Client, CreateInvoice, Decimal, FileType, Job,
    ListInvoicesParams, ListParams, ReplaceInvoice, Source, WaitOptions,
};
use sepay_einvoice_mock::{MockConfig, MockServer};
use serde_json::{json, Map, Value};

type Saved = Map<String, Value>;

/// What the secret scan collects: every log line (through a TRACE subscriber), every result's
/// and error's Debug/Display text, the client's Debug text; and what must never appear in them:
/// the client secrets used, every token the mock issued, and the buyers' tax codes, e-mails,
/// phones and national ids of the scenarios.
#[derive(Default)]
struct Scan {
    outputs: Vec<String>,
    secrets: BTreeSet<String>,
}

fn scan() -> &'static Mutex<Scan> {
    static SCAN: OnceLock<Mutex<Scan>> = OnceLock::new();
    SCAN.get_or_init(Default::default)
}

fn observe(text: String) {
    if let Ok(mut s) = scan().lock() {
        s.outputs.push(text);
    }
}

fn secret(value: &str) {
    // Short values would match ordinary text; every real secret and PII value here is longer.
    if value.chars().count() >= 8 {
        if let Ok(mut s) = scan().lock() {
            s.secrets.insert(value.to_string());
        }
    }
}

/// The log lines the TRACE subscriber wrote.
fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(Default::default)
}

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = log_buffer().lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Buyer personal data of a scenario (the values the scan looks for).
fn collect_pii(v: &Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("tax_code" | "email" | "phone" | "national_id", Value::String(s)) => secret(s),
                    ("client_secret", Value::String(s)) => secret(s),
                    _ => collect_pii(x),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(collect_pii),
        _ => {}
    }
}

/// Looks for every secret in every output and log line; prints the summary, returns the leaks.
fn finish_scan() -> usize {
    let logs = log_buffer()
        .lock()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let Ok(s) = scan().lock() else { return 1 };
    let mut leaks = 0;
    for secret in &s.secrets {
        for text in s.outputs.iter().map(String::as_str).chain(logs.lines()) {
            if text.contains(secret.as_str()) {
                leaks += 1;
                // Show where, without the secret itself.
                let shown: String = text
                    .replace(secret.as_str(), "<SECRET>")
                    .chars()
                    .take(300)
                    .collect();
                println!("LEAK    a secret appears in: {shown}");
            }
        }
    }
    println!(
        "secret scan (rust): {} outputs, {} log lines, {} secrets, {leaks} leaks",
        s.outputs.len(),
        logs.lines().count(),
        s.secrets.len()
    );
    leaks
}

fn main() -> ExitCode {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(run(filters))
}

async fn run(filters: Vec<String>) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The most verbose logging the SDK has, captured for the secret scan.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("sepay_einvoice=trace"))
        .with_writer(|| LogWriter)
        .with_ansi(false)
        .try_init();
    secret("mock_client_secret");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let format = match format::Format::load(&root) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("conformance format: {e}");
            return ExitCode::FAILURE;
        }
    };
    match format.self_check(special) {
        Ok(n) => println!("format checks (rust): {n} of {n} bad inputs refused"),
        Err(e) => {
            eprintln!("conformance format: {e}");
            return ExitCode::FAILURE;
        }
    }
    let dir = root.join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let server = match MockServer::start(MockConfig::default()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start the mock server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let control = reqwest::Client::new();
    let (mut passed, mut failed) = (0, 0);
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let started = std::time::Instant::now();
        let outcome = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str::<Value>(&s).map_err(|e| e.to_string()))
            .and_then(|raw| format.prepare(raw))
        {
            Ok(scenario) => {
                collect_pii(&scenario);
                let r = run_scenario(&server.url(), &control, &scenario).await;
                // Every token the mock issued during the scenario (reset clears the list).
                if let Ok(resp) = control
                    .get(format!("{}/_mock/tokens", server.url()))
                    .send()
                    .await
                {
                    if let Ok(v) = resp.json::<Value>().await {
                        for t in v["tokens"].as_array().into_iter().flatten() {
                            if let Some(tok) = t["token"].as_str() {
                                secret(tok);
                            }
                        }
                    }
                }
                r
            }
            Err(e) => Err(format!("bad scenario: {e}")),
        };
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("ok      {name} ({:.2}s)", started.elapsed().as_secs_f64());
            }
            Err(e) => {
                failed += 1;
                println!("FAILED  {name}: {e}");
            }
        }
    }
    server.shutdown().await;
    println!("conformance (rust): {passed} passed, {failed} failed");
    let leaks = finish_scan();
    if failed == 0 && passed > 0 && leaks == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn control_post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut req = http.post(format!("{base}/_mock/{path}"));
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("mock control {path}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("mock control {path}: HTTP {}", resp.status()));
    }
    Ok(resp.json().await.unwrap_or(Value::Null))
}

async fn mock_stats(http: &reqwest::Client, base: &str) -> Result<Value, String> {
    let resp = http
        .get(format!("{base}/_mock/stats"))
        .send()
        .await
        .map_err(|e| format!("mock stats: {e}"))?;
    resp.json().await.map_err(|e| format!("mock stats: {e}"))
}

async fn run_scenario(base: &str, http: &reqwest::Client, scenario: &Value) -> Result<(), String> {
    control_post(http, base, "reset", None).await?;
    if let Some(cfg) = scenario.pointer("/mock/config") {
        control_post(http, base, "config", Some(cfg)).await?;
    }
    for rule in scenario
        .pointer("/mock/faults")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        control_post(http, base, "faults", Some(rule)).await?;
    }
    let opts = scenario.get("client").cloned().unwrap_or(json!({}));
    let ms = |k: &str| {
        opts.get(k)
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
    };
    let mut builder = Client::builder()
        .ignore_env()
        .base_url(base)
        .client_id(
            opts.get("client_id")
                .and_then(Value::as_str)
                .unwrap_or("mock_client_id"),
        )
        .client_secret(
            opts.get("client_secret")
                .and_then(Value::as_str)
                .unwrap_or("mock_client_secret"),
        );
    if let Some(n) = opts.get("max_retries").and_then(Value::as_u64) {
        builder = builder.max_retries(n as u32);
    }
    if let Some(d) = ms("timeout_ms") {
        builder = builder.timeout(d);
    }
    if let Some(d) = ms("call_timeout_ms") {
        builder = builder.call_timeout(d);
    }
    if let Some(n) = opts.get("max_response_bytes").and_then(Value::as_u64) {
        builder = builder.max_response_bytes(n as usize);
    }
    if let Some(n) = opts.get("max_download_bytes").and_then(Value::as_u64) {
        builder = builder.max_download_bytes(n as usize);
    }
    if let Some(on) = opts.get("account_checks").and_then(Value::as_bool) {
        builder = builder.account_checks(on);
    }
    if let Some(on) = opts.get("strict_rules").and_then(Value::as_bool) {
        builder = builder.strict_rules(on);
    }
    let client = builder.build().map_err(|e| format!("client: {e}"))?;
    observe(format!("{client:?}"));
    let mut saved = Saved::new();
    let steps = scenario
        .get("steps")
        .and_then(Value::as_array)
        .ok_or("scenario has no steps")?;
    for (i, step) in steps.iter().enumerate() {
        run_step(&client, base, http, step, &mut saved)
            .await
            .map_err(|e| format!("step {} ({}): {e}", i + 1, step_label(step)))?;
    }
    Ok(())
}

fn step_label(step: &Value) -> String {
    step.get("call")
        .or_else(|| step.get("mock"))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string()
}

async fn run_step(
    client: &Client,
    base: &str,
    http: &reqwest::Client,
    step: &Value,
    saved: &mut Saved,
) -> Result<(), String> {
    if let Some(m) = step.get("mock").and_then(Value::as_str) {
        return match m {
            "config" => control_post(http, base, "config", step.get("body"))
                .await
                .map(drop),
            "faults" => {
                for rule in step
                    .get("body")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    control_post(http, base, "faults", Some(rule)).await?;
                }
                Ok(())
            }
            "clear_faults" => http
                .delete(format!("{base}/_mock/faults"))
                .send()
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            "expire_tokens" => control_post(http, base, "tokens/expire", None)
                .await
                .map(drop),
            "reset" => control_post(http, base, "reset", None).await.map(drop),
            "stats" => {
                let stats = mock_stats(http, base).await?;
                matches(
                    step.get("expect").unwrap_or(&Value::Null),
                    Some(&stats),
                    saved,
                    "stats",
                )
            }
            other => Err(format!("unknown mock step {other:?}")),
        };
    }
    let name = step
        .get("call")
        .and_then(Value::as_str)
        .ok_or("step has neither call nor mock")?;
    let args = substitute(step.get("args").cloned().unwrap_or(json!({})), saved)?;
    let before = mock_stats(http, base).await?;
    let statuses = Arc::new(Mutex::new(Vec::<String>::new()));
    let result = call(client, name, &args, statuses.clone()).await;
    match (result, step.get("expect_error")) {
        (Ok(v), None) => {
            if let Some(exp) = step.get("expect") {
                matches(exp, Some(&v), saved, "result")?;
            }
            if let Some(exp) = step.get("expect_statuses") {
                let seen = Value::from(statuses.lock().map(|s| s.clone()).unwrap_or_default());
                matches(exp, Some(&seen), saved, "statuses")?;
            }
            if let Some(key) = step.get("save").and_then(Value::as_str) {
                saved.insert(key.to_string(), v);
            }
            Ok(())
        }
        (Ok(v), Some(_)) => Err(format!("expected an error, got {v}")),
        (Err(e), None) => {
            observe_error(&e);
            Err(format!("unexpected error: {e}"))
        }
        (Err(e), Some(exp)) => {
            observe_error(&e);
            let actual = json!({
                "kind": e.kind().name(),
                "status": e.status(),
                "api_code": e.api_code(),
                "field": e.field(),
                "attempts": e.attempts(),
                "message": e.message(),
                "reference_code": e.reference_code(),
                "tracking_code": e.tracking_code(),
                "job": e.job().map(|j| serde_json::to_value(j).unwrap_or(Value::Null)),
                "retryable": e.is_retryable(),
                "ambiguous": e.is_ambiguous(),
                "problems": e.problems(),
            });
            if let Some(key) = step.get("save").and_then(Value::as_str) {
                saved.insert(key.to_string(), actual.clone());
            }
            let mut exp = exp.clone();
            let contains = exp
                .as_object_mut()
                .and_then(|o| o.remove("message_contains"));
            matches(&exp, Some(&actual), saved, "error")
                .map_err(|m| format!("{m} (error was: {e})"))?;
            if let Some(needle) = contains.as_ref().and_then(Value::as_str) {
                if !e.message().contains(needle) {
                    return Err(format!(
                        "error message {:?} does not contain {needle:?}",
                        e.message()
                    ));
                }
            }
            if e.kind() == sepay_einvoice::ErrorKind::Validation {
                // Only the provider account may be read first (the account checks).
                let after = mock_stats(http, base).await?;
                if sent_besides_account(&before) != sent_besides_account(&after) {
                    return Err(format!(
                        "a validation error must be raised before any request is sent (requests before: {}, after: {})",
                        before["requests"], after["requests"]
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Requests the mock has received, other than provider-account reads (and the token they need).
fn sent_besides_account(stats: &Value) -> u64 {
    stats
        .get("requests")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(route, _)| !matches!(route.as_str(), "get_provider_account" | "token"))
        .filter_map(|(_, by_status)| by_status.as_object())
        .flat_map(|by_status| by_status.values().filter_map(Value::as_u64))
        .sum()
}

fn arg_u32(args: &Value, key: &str) -> Option<u32> {
    args.get(key).and_then(Value::as_u64).map(|v| v as u32)
}

fn wait_options(
    args: &Value,
    statuses: Arc<Mutex<Vec<String>>>,
) -> sepay_einvoice::Result<WaitOptions> {
    let ms = |k: &str| {
        args.get(k)
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
    };
    // The same constructor every binding uses: defaults and the longest-interval rule.
    let w = WaitOptions::from_parts(
        ms("timeout_ms"),
        ms("poll_interval_ms"),
        ms("max_poll_interval_ms"),
    )?;
    Ok(w.on_status(move |s| {
        if let Ok(mut v) = statuses.lock() {
            v.push(s.state.to_string());
        }
    }))
}

/// The canonical JSON of a result; its Debug text goes to the secret scan.
fn to_json<T: serde::Serialize + std::fmt::Debug>(v: T) -> sepay_einvoice::Result<Value> {
    observe(format!("{v:?}"));
    Ok(serde_json::to_value(v).unwrap_or(Value::Null))
}

fn observe_error(e: &sepay_einvoice::Error) {
    observe(format!("{e}"));
    observe(format!("{e:?}"));
    observe(e.body_excerpt().unwrap_or_default().to_string());
    for a in e.history() {
        observe(a.outcome.clone());
    }
    if let Some(s) = e.last_status() {
        observe(format!("{s:?}"));
    }
}

async fn call(
    client: &Client,
    name: &str,
    args: &Value,
    statuses: Arc<Mutex<Vec<String>>>,
) -> sepay_einvoice::Result<Value> {
    let s = |k: &str| {
        args.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let request = || CreateInvoice::from_json(args.get("request").cloned().unwrap_or(Value::Null));
    let job = || Job::from_json(args.get("job").cloned().unwrap_or(Value::Null));
    let replacement = || -> sepay_einvoice::Result<ReplaceInvoice> {
        Ok(ReplaceInvoice::new(
            s("original_invoice_reference_code"),
            request()?,
        ))
    };
    let adjustment = || -> sepay_einvoice::Result<AdjustInvoice> {
        Ok(AdjustInvoice::new(
            s("original_invoice_reference_code"),
            AdjustmentType::parse(&s("adjustment_type")),
            request()?,
        ))
    };
    let list_params = || -> sepay_einvoice::Result<ListInvoicesParams> {
        Ok(ListInvoicesParams {
            page: arg_u32(args, "page"),
            per_page: arg_u32(args, "per_page"),
            source: args
                .get("source")
                .and_then(Value::as_str)
                .map(Source::parse),
        })
    };
    match name {
        "authenticate" => to_json(client.authenticate().await?),
        "list_provider_accounts" => to_json(
            client
                .list_provider_accounts(&ListParams {
                    page: arg_u32(args, "page"),
                    per_page: arg_u32(args, "per_page"),
                })
                .await?,
        ),
        "get_provider_account" => to_json(client.get_provider_account(&s("id")).await?),
        "create_invoice" => to_json(client.create_invoice(&request()?).await?),
        "issue_invoice" => to_json(client.issue_invoice(&s("reference_code")).await?),
        "check_status" => to_json(client.check_status(&job()?).await?),
        "wait_for_status" => to_json(
            client
                .wait_for_status(&job()?, wait_options(args, statuses)?)
                .await?,
        ),
        "create_invoice_and_wait" => to_json(
            client
                .create_invoice_and_wait(&request()?, wait_options(args, statuses)?)
                .await?,
        ),
        "issue_invoice_and_wait" => to_json(
            client
                .issue_invoice_and_wait(&s("reference_code"), wait_options(args, statuses)?)
                .await?,
        ),
        "get_invoice" => to_json(client.get_invoice(&s("reference_code")).await?),
        "list_invoices" => to_json(client.list_invoices(&list_params()?).await?),
        "iter_invoices" => {
            let mut stream = client.iter_invoices(&list_params()?);
            let mut all = Vec::new();
            while let Some(inv) = stream.next_invoice().await {
                all.push(inv?);
            }
            to_json(all)
        }
        "download_invoice" => {
            let ft: FileType = s("type").parse()?;
            let f = client.download_invoice(&s("reference_code"), ft).await?;
            let head: String = f.content.iter().take(8).map(|&b| b as char).collect();
            Ok(
                json!({"file_type": f.file_type, "file_name": f.file_name, "size": f.content.len(), "head": head}),
            )
        }
        "delete_draft" => client
            .delete_draft(&s("reference_code"))
            .await
            .map(|_| Value::Null),
        "get_usage" => to_json(client.get_usage().await?),
        "totals" => to_json(request()?.totals()),
        "preflight" => to_json(client.preflight(&request()?).await?),
        "replace_invoice" => to_json(client.replace_invoice(&replacement()?).await?),
        "adjust_invoice" => to_json(client.adjust_invoice(&adjustment()?).await?),
        "replace_invoice_and_wait" => to_json(
            client
                .replace_invoice_and_wait(&replacement()?, wait_options(args, statuses)?)
                .await?,
        ),
        "adjust_invoice_and_wait" => to_json(
            client
                .adjust_invoice_and_wait(&adjustment()?, wait_options(args, statuses)?)
                .await?,
        ),
        other => Err(sepay_einvoice::Error::validation(
            "call",
            format!("unknown call {other:?}"),
        )),
    }
}

/// Replaces `$now`, `$tomorrow`, `$uuid` and `$saved.path` strings.
fn substitute(v: Value, saved: &Saved) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) if s.starts_with('$') => special(&s, saved)?,
        Value::Array(a) => Value::Array(
            a.into_iter()
                .map(|x| substitute(x, saved))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| substitute(x, saved).map(|x| (k, x)))
                .collect::<Result<_, _>>()?,
        ),
        other => other,
    })
}

fn vn_now() -> chrono::NaiveDateTime {
    let vn = FixedOffset::east_opt(7 * 3600)
        .unwrap_or(FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()));
    Utc::now().with_timezone(&vn).naive_local()
}

fn special(s: &str, saved: &Saved) -> Result<Value, String> {
    let fmt = "%Y-%m-%d %H:%M:%S";
    match s {
        "$now" => Ok(Value::String(
            (vn_now() - chrono::Duration::minutes(1))
                .format(fmt)
                .to_string(),
        )),
        "$tomorrow" => Ok(Value::String(
            (vn_now() + chrono::Duration::days(1))
                .format(fmt)
                .to_string(),
        )),
        "$uuid" => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        // A series of the year `$now` falls in: `$series:TSE` is C26TSE in 2026.
        _ if s.starts_with("$series:") => Ok(Value::String(format!(
            "C{}{}",
            (vn_now() - chrono::Duration::minutes(1)).format("%y"),
            &s["$series:".len()..]
        ))),
        _ => lookup(&s[1..], saved)
            .cloned()
            .ok_or_else(|| format!("nothing saved at {s}")),
    }
}

fn lookup<'a>(path: &str, saved: &'a Saved) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = saved.get(parts.next()?)?;
    for p in parts {
        cur = match cur {
            Value::Object(o) => o.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn as_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n
            .to_string()
            .parse()
            .ok()
            .or_else(|| Decimal::from_scientific(&n.to_string()).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Partial match of `actual` against `expected` (see the README's Matching section).
fn matches(
    expected: &Value,
    actual: Option<&Value>,
    saved: &Saved,
    path: &str,
) -> Result<(), String> {
    let fail = || {
        Err(format!(
            "at {path}: expected {expected}, got {}",
            actual
                .map(Value::to_string)
                .unwrap_or_else(|| "nothing".into())
        ))
    };
    let present = actual.filter(|v| !v.is_null());
    match expected {
        Value::Null => {
            if present.is_some() {
                return fail();
            }
            Ok(())
        }
        Value::String(s) if s == "$any" => present.map(drop).ok_or(()).or_else(|_| fail()),
        Value::String(s) if s == "$absent" => {
            if present.is_some() {
                return fail();
            }
            Ok(())
        }
        Value::String(s) if s.starts_with('$') => {
            let want =
                lookup(&s[1..], saved).ok_or_else(|| format!("at {path}: nothing saved at {s}"))?;
            matches(&want.clone(), actual, saved, path)
        }
        Value::Number(_) => match (as_decimal(expected), present.and_then(as_decimal)) {
            (Some(a), Some(b)) if a == b => Ok(()),
            _ => fail(),
        },
        Value::Bool(_) | Value::String(_) => {
            if present == Some(expected) {
                Ok(())
            } else {
                fail()
            }
        }
        Value::Array(items) => match present {
            Some(Value::Array(got)) if got.len() == items.len() => items
                .iter()
                .zip(got)
                .enumerate()
                .try_for_each(|(i, (e, g))| matches(e, Some(g), saved, &format!("{path}[{i}]"))),
            _ => fail(),
        },
        Value::Object(o) if o.keys().any(|k| k.starts_with('$')) => {
            for (k, want) in o {
                let ok = match k.as_str() {
                    "$len" => {
                        let n = match present {
                            Some(Value::Array(a)) => Some(a.len()),
                            Some(Value::String(s)) => Some(s.chars().count()),
                            _ => None,
                        };
                        n.is_some() && n.map(|n| n as u64) == want.as_u64()
                    }
                    "$gte" => {
                        matches!((present.and_then(as_decimal), as_decimal(want)), (Some(a), Some(b)) if a >= b)
                    }
                    "$lte" => {
                        matches!((present.and_then(as_decimal), as_decimal(want)), (Some(a), Some(b)) if a <= b)
                    }
                    "$startsWith" => {
                        matches!((present, want), (Some(Value::String(a)), Value::String(b)) if a.starts_with(b.as_str()))
                    }
                    "$contains" => {
                        matches!((present, want), (Some(Value::String(a)), Value::String(b)) if a.contains(b.as_str()))
                    }
                    "$each" => match present {
                        Some(Value::Array(a)) => {
                            a.iter().enumerate().try_for_each(|(i, g)| {
                                matches(want, Some(g), saved, &format!("{path}[{i}]"))
                            })?;
                            true
                        }
                        _ => false,
                    },
                    other => return Err(format!("at {path}: unknown matcher {other}")),
                };
                if !ok {
                    return fail();
                }
            }
            Ok(())
        }
        Value::Object(o) => match present {
            Some(Value::Object(got)) => o
                .iter()
                .try_for_each(|(k, e)| matches(e, got.get(k), saved, &format!("{path}.{k}"))),
            _ => fail(),
        },
    }
}
