//! Helpers for the CLI's end-to-end tests: the binary run against an in-process mock, the mock's
//! control API (plain HTTP/1.1 over a socket, no extra HTTP client), input files and their
//! results.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use sepay_einvoice_mock::{MockConfig, MockServer};
use serde_json::{json, Value};

pub const MATBAO: &str = "0aea3134-da40-11f0-aef4-52c7e9b4f41b";
pub const BIN: &str = env!("CARGO_BIN_EXE_sepay-einvoice");

/// A mock whose jobs finish at once: tests spend their time on the CLI, not on waits.
pub async fn fast_mock() -> MockServer {
    MockServer::start(MockConfig {
        pending_polls: 0,
        pending_time: Duration::from_millis(20),
        ..MockConfig::default()
    })
    .await
    .expect("mock")
}

/// The series of the current year in Vietnam on the mock's MatBao account (`C26TSE` in 2026).
pub fn series() -> String {
    let now = chrono::Utc::now() + chrono::Duration::hours(7);
    format!("C{}TSE", now.format("%y"))
}

/// A fresh folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sepay-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The CLI as a command pointed at the mock, with the mock's credentials, run in `dir`.
pub fn command(url: &str, dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    configure(&mut c, url, dir);
    c
}

/// Points a command (the CLI, or a wrapper that runs it) at the mock, in `dir`.
pub fn configure(c: &mut Command, url: &str, dir: &Path) {
    c.current_dir(dir)
        .env("SEPAY_EINVOICE_BASE_URL", url)
        .env("SEPAY_EINVOICE_CLIENT_ID", "mock_client_id")
        .env("SEPAY_EINVOICE_CLIENT_SECRET", "mock_client_secret")
        .env_remove("SEPAY_EINVOICE_JOURNAL")
        .env_remove("SEPAY_EINVOICE_ACCOUNT")
        .env_remove("SEPAY_EINVOICE_BATCH_CRASH_AT")
        .stdin(Stdio::null());
}

/// What a run of the CLI gave.
pub struct Run {
    pub code: Option<i32>,
    pub out: String,
    pub err: String,
    pub output: Output,
}

impl Run {
    pub fn both(&self) -> String {
        format!("{}\n{}", self.out, self.err)
    }
}

pub fn finish(output: Output) -> Run {
    Run {
        code: output.status.code(),
        out: String::from_utf8_lossy(&output.stdout).into(),
        err: String::from_utf8_lossy(&output.stderr).into(),
        output,
    }
}

/// Runs the CLI to its end. Blocking, on purpose: the mock serves on the runtime's workers.
pub fn run(url: &str, dir: &Path, args: &[&str]) -> Run {
    finish(command(url, dir, args).output().expect("the CLI runs"))
}

/// Runs `batch issue` with fast polls.
pub fn batch(url: &str, dir: &Path, file: &str, extra: &[&str]) -> Run {
    let mut args = vec!["batch", "issue", file, "--poll-interval", "0.02"];
    args.extend_from_slice(extra);
    run(url, dir, &args)
}

/// One invoice per line, each with its key and a `notes` marker the mock's state is counted by.
pub fn jsonl_rows(marker: &str, n: usize) -> String {
    let series = series();
    (0..n)
        .map(|i| {
            json!({
                "key": format!("K-{i:04}"),
                "provider_account_id": MATBAO,
                "template_code": "1",
                "invoice_series": series,
                "buyer": {"name": format!("Khách hàng {i}")},
                "items": [{"item_name": "Hàng", "quantity": 2, "unit_price": 10_000 + i, "tax_rate": 10}],
                "notes": format!("{marker} #{i}"),
            })
            .to_string()
                + "\n"
        })
        .collect()
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write input");
    p.to_string_lossy().to_string()
}

/// The results file's lines.
pub fn results_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

async fn http(url: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// GET `/_mock/<path>`.
pub async fn control(url: &str, path: &str) -> Value {
    http(url, "GET", &format!("/_mock/{path}"), None).await.1
}

/// POST `/_mock/<path>`; must succeed.
pub async fn post(url: &str, path: &str, body: Value) {
    let (status, answer) = http(url, "POST", &format!("/_mock/{path}"), Some(body)).await;
    assert!((200..300).contains(&status), "{status} {answer}");
}

/// Creates the mock answered 200 to.
pub async fn creates(url: &str) -> u64 {
    control(url, "stats").await["requests"]["create_invoice"]["200"]
        .as_u64()
        .unwrap_or(0)
}

/// Invoices the mock holds per `notes` marker starting with `prefix`.
pub async fn copies(url: &str, prefix: &str) -> HashMap<String, usize> {
    let all = control(url, "invoices").await;
    let mut n = HashMap::new();
    for inv in all.as_array().expect("the mock's invoices") {
        if let Some(note) = inv["notes"].as_str().filter(|s| s.starts_with(prefix)) {
            *n.entry(note.to_string()).or_insert(0) += 1;
        }
    }
    n
}

/// Asserts the mock holds exactly one invoice for each of `n` rows marked `marker`.
pub async fn assert_exactly_once(url: &str, marker: &str, n: usize) {
    let c = copies(url, &format!("{marker} #")).await;
    let dupes: Vec<_> = c.iter().filter(|(_, k)| **k != 1).collect();
    assert!(dupes.is_empty(), "{marker}: duplicates {dupes:?}");
    assert_eq!(c.len(), n, "{marker}: invoices made");
}
