//! Runs the bad-input corpus of `tests/conformance/bad-input/` against the mock server
//! in-process: every case must fail with a `Validation` error naming the expected field, and send
//! nothing. Format: tests/conformance/bad-input/README.md. Arguments filter cases by substring of
//! the file name or the case name; `--verbose` also prints every passing case with its message.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use chrono::{FixedOffset, Utc};
use sepay_einvoice::{
    Client, CreateInvoice, ErrorKind, FileType, Job, ListInvoicesParams, ListParams, Source,
    WaitOptions,
};
use sepay_einvoice_mock::{MockConfig, MockServer};
use serde_json::{json, Map, Value};

/// This runner's name in `only` lists.
const LANG: &str = "rust";
/// The run fails when fewer cases than this ran (a lost file must not pass quietly).
const MIN_CASES: usize = 150;
/// A case that has not finished after this long has sent something (validation is instant).
const CASE_TIMEOUT: Duration = Duration::from_secs(5);

const FILE_KEYS: &[&str] = &["category", "description", "base", "cases"];
const CASE_KEYS: &[&str] = &[
    "name", "note", "call", "args", "remove", "set", "field", "only",
];
const LANGS: &[&str] = &["rust", "python", "node"];
/// Calls a case may make (`totals` is not one: it sends nothing whatever its input).
const CALLS: &[&str] = &[
    "create_invoice",
    "create_invoice_and_wait",
    "get_invoice",
    "issue_invoice",
    "issue_invoice_and_wait",
    "delete_draft",
    "download_invoice",
    "list_invoices",
    "list_provider_accounts",
    "get_provider_account",
    "check_status",
    "wait_for_status",
];

fn main() -> ExitCode {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let verbose = std::env::args().any(|a| a == "--verbose");
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
    rt.block_on(run(filters, verbose))
}

#[derive(Default)]
struct Tally {
    rejected: usize,
    failed: usize,
    skipped: usize,
}

async fn run(filters: Vec<String>, verbose: bool) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/bad-input");
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
    let base_url = server.url();
    let client = match Client::builder()
        .ignore_env()
        .base_url(&base_url)
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .max_retries(0)
        .timeout(Duration::from_secs(2))
        .call_timeout(Duration::from_secs(3))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot build the client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let http = reqwest::Client::new();
    let mut tally = Tally::default();
    let started = std::time::Instant::now();
    for path in &files {
        let run = Run {
            client: &client,
            http: &http,
            base_url: &base_url,
            filters: &filters,
            verbose,
        };
        run_file(&run, path, &mut tally).await;
    }
    server.shutdown().await;
    let ran = tally.rejected + tally.failed;
    if tally.skipped > 0 {
        println!("skipped {} case(s) not meant for {LANG}", tally.skipped);
    }
    println!("ran in {:.2}s", started.elapsed().as_secs_f64());
    println!(
        "bad-input ({LANG}): {} rejected, {} failed",
        tally.rejected, tally.failed
    );
    if filters.is_empty() && ran < MIN_CASES {
        println!("FAILED  only {ran} cases ran; the corpus has at least {MIN_CASES}");
        return ExitCode::FAILURE;
    }
    if tally.failed == 0 && ran > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What every case of a run shares.
struct Run<'a> {
    client: &'a Client,
    http: &'a reqwest::Client,
    base_url: &'a str,
    filters: &'a [String],
    verbose: bool,
}

async fn run_file(run: &Run<'_>, path: &Path, tally: &mut Tally) {
    let filters = run.filters;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let doc = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str::<Value>(&s).map_err(|e| e.to_string()))
        .and_then(|v| check_file(&v).map(|()| v))
    {
        Ok(v) => v,
        Err(e) => {
            tally.failed += 1;
            println!("FAILED  {file}: unreadable corpus file: {e}");
            return;
        }
    };
    let base = doc.get("base").cloned().unwrap_or(Value::Null);
    let cases = doc.get("cases").and_then(Value::as_array).cloned();
    let selected: Vec<Value> = cases
        .unwrap_or_default()
        .into_iter()
        .filter(|c| {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("");
            filters.is_empty()
                || filters
                    .iter()
                    .any(|f| file.contains(f.as_str()) || name.contains(f.as_str()))
        })
        .collect();
    if selected.is_empty() {
        return;
    }
    // The base must be a request the core accepts, or every case would pass for the wrong reason.
    if let Err(e) = check_base(run.client, &base).await {
        tally.failed += 1;
        println!("FAILED  {file}: the base request is not accepted: {e}");
    }
    for case in &selected {
        let name = case.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some(only) = case.get("only").and_then(Value::as_array) {
            if !only.iter().any(|l| l.as_str() == Some(LANG)) {
                tally.skipped += 1;
                continue;
            }
        }
        match run_case(run.client, run.http, run.base_url, &base, case).await {
            Ok(message) => {
                tally.rejected += 1;
                if run.verbose {
                    println!("ok      {file}: {name}: {message}");
                }
            }
            Err(e) => {
                tally.failed += 1;
                println!("FAILED  {file}: {name}: {e}");
            }
        }
    }
}

/// Checks the shape of a corpus file, so a typo in the corpus is reported, not run.
fn check_file(doc: &Value) -> Result<(), String> {
    let o = doc.as_object().ok_or("not a JSON object")?;
    if let Some(k) = o.keys().find(|k| !FILE_KEYS.contains(&k.as_str())) {
        return Err(format!("unknown key {k:?}"));
    }
    o.get("category")
        .and_then(Value::as_str)
        .ok_or("no \"category\" string")?;
    o.get("base")
        .and_then(Value::as_object)
        .ok_or("no \"base\" object")?;
    let cases = o
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("no \"cases\" array")?;
    let mut names = std::collections::HashSet::new();
    for (i, c) in cases.iter().enumerate() {
        let c = c
            .as_object()
            .ok_or_else(|| format!("case {i} is not an object"))?;
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("case {i} has no name"))?;
        if !names.insert(name) {
            return Err(format!("two cases are named {name:?}"));
        }
        let bad = |what: &str| Err(format!("case {name:?}: {what}"));
        if let Some(k) = c.keys().find(|k| !CASE_KEYS.contains(&k.as_str())) {
            return bad(&format!("unknown key {k:?}"));
        }
        if c.get("field").and_then(Value::as_str).is_none() {
            return bad("no \"field\" string");
        }
        let call = match c.get("call") {
            None => "create_invoice",
            Some(v) => v
                .as_str()
                .ok_or("\"call\" is not a string")
                .map_err(|e| format!("case {name:?}: {e}"))?,
        };
        if !CALLS.contains(&call) {
            return bad(&format!("unknown call {call:?}"));
        }
        let takes_request = matches!(call, "create_invoice" | "create_invoice_and_wait")
            && c.get("args").and_then(|a| a.get("request")).is_none();
        if !takes_request && (c.contains_key("set") || c.contains_key("remove")) {
            return bad("\"set\"/\"remove\" edit the base, which only a create call without args.request uses");
        }
        if c.get("args").is_some_and(|v| !v.is_object()) {
            return bad("\"args\" is not an object");
        }
        if c.get("set").is_some_and(|v| !v.is_object()) {
            return bad("\"set\" is not an object");
        }
        let list_of_strings = |v: &Value, allowed: Option<&[&str]>| {
            v.as_array().is_some_and(|a| {
                a.iter().all(|x| {
                    x.as_str()
                        .is_some_and(|s| allowed.is_none_or(|l| l.contains(&s)))
                })
            })
        };
        if c.get("remove").is_some_and(|v| !list_of_strings(v, None)) {
            return bad("\"remove\" is not a list of paths");
        }
        if c.get("only")
            .is_some_and(|v| !list_of_strings(v, Some(LANGS)))
        {
            return bad("\"only\" is not a list of rust/python/node");
        }
    }
    Ok(())
}

async fn check_base(client: &Client, base: &Value) -> Result<(), String> {
    let request = substitute(base.clone(), base)?;
    let req = CreateInvoice::from_json(request).map_err(|e| e.to_string())?;
    client
        .create_invoice(&req)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn requests_total(http: &reqwest::Client, base_url: &str) -> Result<u64, String> {
    let stats: Value = http
        .get(format!("{base_url}/_mock/stats"))
        .send()
        .await
        .map_err(|e| format!("mock stats: {e}"))?
        .json()
        .await
        .map_err(|e| format!("mock stats: {e}"))?;
    stats
        .get("requests_total")
        .and_then(Value::as_u64)
        .ok_or_else(|| "mock stats without requests_total".to_string())
}

async fn run_case(
    client: &Client,
    http: &reqwest::Client,
    base_url: &str,
    base: &Value,
    case: &Value,
) -> Result<String, String> {
    let field = case.get("field").and_then(Value::as_str).unwrap_or("");
    let call = case
        .get("call")
        .and_then(Value::as_str)
        .unwrap_or("create_invoice");
    let mut request = base.clone();
    for p in case
        .get("remove")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let p = p.as_str().unwrap_or("");
        remove_path(&mut request, &parse_path(p)?).map_err(|e| format!("remove {p:?}: {e}"))?;
    }
    for (p, v) in case
        .get("set")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        set_path(&mut request, &parse_path(p)?, v.clone())
            .map_err(|e| format!("set {p:?}: {e}"))?;
    }
    let request = substitute(request, base)?;
    let args = substitute(case.get("args").cloned().unwrap_or(json!({})), base)?;

    let before = requests_total(http, base_url).await?;
    let outcome = tokio::time::timeout(CASE_TIMEOUT, dispatch(client, call, &args, request)).await;
    let after = requests_total(http, base_url).await?;
    let sent = after.saturating_sub(before);
    let result = match outcome {
        Ok(r) => r?,
        Err(_) => {
            return Err(format!(
                "still running after {CASE_TIMEOUT:?} ({sent} request(s) sent): expected Validation at {field:?}"
            ))
        }
    };
    let verdict = match result {
        Ok(()) => Err(format!(
            "accepted ({sent} request(s) sent): expected Validation at {field:?}"
        )),
        Err(e) if e.kind() != ErrorKind::Validation => Err(format!(
            "expected Validation at {field:?}, got {} ({e})",
            e.kind().name()
        )),
        Err(e) if e.field() != Some(field) => Err(format!(
            "expected field {field:?}, got {:?} ({})",
            e.field().unwrap_or("(none)"),
            e.message()
        )),
        Err(e) => Ok(e.to_string()),
    };
    let message = verdict?;
    if sent > 0 {
        return Err(format!(
            "the Validation error came after {sent} request(s) reached the mock"
        ));
    }
    Ok(message)
}

// ---- calls -------------------------------------------------------------------------------------

/// Runs one call. The outer error is a case the Rust API cannot express (it should carry `only`).
async fn dispatch(
    client: &Client,
    call: &str,
    args: &Value,
    base_request: Value,
) -> Result<sepay_einvoice::Result<()>, String> {
    let request = || {
        CreateInvoice::from_json(
            args.get("request")
                .cloned()
                .unwrap_or_else(|| base_request.clone()),
        )
    };
    let job = || Job::from_json(args.get("job").cloned().unwrap_or(Value::Null));
    Ok(match call {
        "create_invoice" => {
            async {
                client.create_invoice(&request()?).await?;
                Ok::<(), sepay_einvoice::Error>(())
            }
            .await
        }
        "create_invoice_and_wait" => {
            let options = wait_options(args)?;
            async {
                client.create_invoice_and_wait(&request()?, options).await?;
                Ok::<(), sepay_einvoice::Error>(())
            }
            .await
        }
        "get_invoice" => client
            .get_invoice(&str_arg(args, "reference_code")?)
            .await
            .map(drop),
        "issue_invoice" => client
            .issue_invoice(&str_arg(args, "reference_code")?)
            .await
            .map(drop),
        "issue_invoice_and_wait" => {
            let options = wait_options(args)?;
            client
                .issue_invoice_and_wait(&str_arg(args, "reference_code")?, options)
                .await
                .map(drop)
        }
        "delete_draft" => client
            .delete_draft(&str_arg(args, "reference_code")?)
            .await
            .map(drop),
        "download_invoice" => {
            let reference_code = str_arg(args, "reference_code")?;
            let file_type = match args.get("type") {
                None | Some(Value::Null) => "pdf".to_string(),
                Some(_) => str_arg(args, "type")?,
            };
            async {
                let t = FileType::from_str(&file_type)?;
                client.download_invoice(&reference_code, t).await?;
                Ok::<(), sepay_einvoice::Error>(())
            }
            .await
        }
        "list_invoices" => {
            let params = ListInvoicesParams {
                page: u32_arg(args, "page")?,
                per_page: u32_arg(args, "per_page")?,
                source: match args.get("source") {
                    None | Some(Value::Null) => None,
                    Some(_) => Some(Source::parse(&str_arg(args, "source")?)),
                },
            };
            client.list_invoices(&params).await.map(drop)
        }
        "list_provider_accounts" => {
            let params = ListParams {
                page: u32_arg(args, "page")?,
                per_page: u32_arg(args, "per_page")?,
            };
            client.list_provider_accounts(&params).await.map(drop)
        }
        "get_provider_account" => client
            .get_provider_account(&str_arg(args, "id")?)
            .await
            .map(drop),
        "check_status" => {
            async {
                client.check_status(&job()?).await?;
                Ok::<(), sepay_einvoice::Error>(())
            }
            .await
        }
        "wait_for_status" => {
            let options = wait_options(args)?;
            async {
                client.wait_for_status(&job()?, options).await?;
                Ok::<(), sepay_einvoice::Error>(())
            }
            .await
        }
        other => return Err(format!("unknown call {other:?}")),
    })
}

/// A string argument; absent or null is the empty string (the bindings pass it on the same way).
fn str_arg(args: &Value, key: &str) -> Result<String, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(format!(
            "argument {key} = {v} is not a string: the Rust API cannot take it (mark the case \"only\")"
        )),
    }
}

fn u32_arg(args: &Value, key: &str) -> Result<Option<u32>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                format!("argument {key} = {v} is not a u32: the Rust API cannot take it (mark the case \"only\")")
            }),
    }
}

fn ms_arg(args: &Value, key: &str) -> Result<Option<Duration>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(|n| Some(Duration::from_millis(n))).ok_or_else(|| {
            format!("argument {key} = {v} is not a whole number of milliseconds: the Rust API cannot take it (mark the case \"only\")")
        }),
    }
}

fn wait_options(args: &Value) -> Result<WaitOptions, String> {
    let mut w = WaitOptions::default();
    if let Some(d) = ms_arg(args, "timeout_ms")? {
        w.timeout = d;
    }
    if let Some(d) = ms_arg(args, "poll_interval_ms")? {
        w.poll_interval = d;
    }
    if let Some(d) = ms_arg(args, "max_poll_interval_ms")? {
        w.max_poll_interval = d;
    }
    Ok(w)
}

// ---- paths -------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `items[0].quantity` → `items`, `[0]`, `quantity`.
fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let bad = || format!("bad path {path:?}");
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(bad());
        }
        out.push(Seg::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(bad)?;
            let index = rest[1..close].parse::<usize>().map_err(|_| bad())?;
            out.push(Seg::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad());
            }
        }
    }
    Ok(out)
}

/// Sets `path` to `value`, creating missing objects (or arrays, before an index); an index equal
/// to an array's length appends.
fn set_path(root: &mut Value, path: &[Seg], value: Value) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *root = value;
        return Ok(());
    };
    let empty = || match rest.first() {
        Some(Seg::Index(_)) => Value::Array(Vec::new()),
        _ => Value::Object(Map::new()),
    };
    match (first, root) {
        (Seg::Key(k), Value::Object(m)) => {
            let slot = m.entry(k.clone()).or_insert_with(empty);
            set_path(slot, rest, value)
        }
        (Seg::Index(i), Value::Array(a)) if *i < a.len() => set_path(&mut a[*i], rest, value),
        (Seg::Index(i), Value::Array(a)) if *i == a.len() => {
            a.push(empty());
            set_path(&mut a[*i], rest, value)
        }
        (Seg::Index(i), Value::Array(a)) => Err(format!(
            "index {i} is past the end of an array of {}",
            a.len()
        )),
        (seg, v) => Err(format!("cannot step into {} with {seg:?}", type_name(v))),
    }
}

fn remove_path(root: &mut Value, path: &[Seg]) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return Err("empty path".into());
    };
    let last = rest.is_empty();
    match (first, root) {
        (Seg::Key(k), Value::Object(m)) if last => {
            m.remove(k).map(drop).ok_or_else(|| format!("no key {k:?}"))
        }
        (Seg::Key(k), Value::Object(m)) => match m.get_mut(k) {
            Some(v) => remove_path(v, rest),
            None => Err(format!("no key {k:?}")),
        },
        (Seg::Index(i), Value::Array(a)) if *i < a.len() => {
            if last {
                a.remove(*i);
                Ok(())
            } else {
                remove_path(&mut a[*i], rest)
            }
        }
        (seg, v) => Err(format!("nothing at {seg:?} in {}", type_name(v))),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---- special values ----------------------------------------------------------------------------

/// Replaces special strings (whole values only) everywhere in `v`; keys are never substituted.
fn substitute(v: Value, base: &Value) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) if s.starts_with('$') => special(&s, base)?,
        Value::Array(a) => Value::Array(
            a.into_iter()
                .map(|x| substitute(x, base))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| substitute(x, base).map(|x| (k, x)))
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

fn count(text: &str, s: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .map_err(|_| format!("bad count in {s:?}"))
}

fn special(s: &str, base: &Value) -> Result<Value, String> {
    let fmt = "%Y-%m-%d %H:%M:%S";
    let text = |t: String| Ok(Value::String(t));
    match s {
        "$now" => {
            return text(
                (vn_now() - chrono::Duration::minutes(1))
                    .format(fmt)
                    .to_string(),
            )
        }
        "$tomorrow" => {
            return text(
                (vn_now() + chrono::Duration::days(1))
                    .format(fmt)
                    .to_string(),
            )
        }
        // Rust has no float input for money: the text forms a caller could write instead.
        "$NaN" => return text("NaN".into()),
        "$Infinity" => return text("inf".into()),
        "$-Infinity" => return text("-inf".into()),
        _ => {}
    }
    if let Some(rest) = s.strip_prefix("$repeat:") {
        let (unit, n) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("bad special value {s:?}"))?;
        return text(unit.repeat(count(n, s)?));
    }
    if let Some(n) = s.strip_prefix("$deep:") {
        let mut v = Value::Array(Vec::new());
        for _ in 1..count(n, s)? {
            v = Value::Array(vec![v]);
        }
        return Ok(v);
    }
    if let Some(n) = s.strip_prefix("$lines:") {
        let line = base
            .pointer("/items/0")
            .cloned()
            .ok_or("$lines needs a base with items[0]")?;
        let line = substitute(line, base)?;
        return Ok(Value::Array(vec![line; count(n, s)?]));
    }
    Err(format!(
        "unknown special value {s:?} (\"$surrogate\" needs \"only\": [\"python\", \"node\"])"
    ))
}
