//! The CLI end to end against the mock server: exit codes and JSON output of the single calls,
//! `mock` and `demo`.

mod support;

use std::io::BufRead;
use std::process::{Command, Stdio};

use sepay_einvoice_mock::{MockConfig, MockServer};

fn cli(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sepay-einvoice"))
        .args(args)
        .env("SEPAY_EINVOICE_BASE_URL", url)
        .env("SEPAY_EINVOICE_CLIENT_ID", "mock_client_id")
        .env("SEPAY_EINVOICE_CLIENT_SECRET", "mock_client_secret")
        .output()
        .expect("cli runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_wait_issue_download_and_errors() {
    let server = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    let url = server.url();
    let dir = std::env::temp_dir().join(format!("sepay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let invoice = dir.join("invoice.json");
    std::fs::write(
        &invoice,
        r#"{"provider_account_id":"0aea3134-da40-11f0-aef4-52c7e9b4f41b","template_code":"1","invoice_series":"C26TSE",
            "issued_date":"2026-01-26 08:00:00","is_draft":true,"buyer":{"name":"ABC"},
            "items":[{"item_name":"A","quantity":2,"unit_price":100000,"tax_rate":10}]}"#,
    )
    .expect("write");
    let path = invoice.to_string_lossy().to_string();

    let (code, out, _) = cli(&url, &["totals", &path]);
    assert_eq!(code, 0);
    assert!(out.contains("\"total_amount\": \"220000\""), "{out}");

    let (code, out, err) = cli(&url, &["create", &path, "--wait"]);
    assert_eq!(code, 0, "{err}");
    let inv: serde_json::Value = serde_json::from_str(&out).expect("json");
    let reference = inv["reference_code"]
        .as_str()
        .expect("reference")
        .to_string();
    assert_eq!(inv["status"], "draft");

    let (code, out, err) = cli(&url, &["issue", &reference, "--wait"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"status\": \"issued\""));

    let pdf = dir.join("out.pdf");
    let (code, _, err) = cli(
        &url,
        &["download", &reference, "--output", &pdf.to_string_lossy()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(&pdf).expect("pdf").starts_with(b"%PDF"));

    let (code, _, err) = cli(&url, &["get", "does-not-exist"]);
    assert_eq!(code, 1, "the API's refusals exit 1: {err}");
    assert!(err.contains("NotFound"));
    let (code, _, err) = cli(&url, &["list", "--per-page", "500"]);
    assert_eq!(code, 2, "validation errors exit 2: {err}");
    assert!(err.contains("per_page"));

    // A missing or malformed input file is invalid input (2), whatever the configuration.
    let missing = dir.join("missing.json").to_string_lossy().to_string();
    let (code, _, err) = cli(&url, &["create", &missing]);
    assert_eq!(code, 2, "missing file: {err}");
    let (code, _, err) = cli("", &["create", &missing]);
    assert_eq!(code, 2, "missing file before missing configuration: {err}");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"items\": [").expect("write");
    let (code, _, err) = cli(&url, &["create", &bad.to_string_lossy()]);
    assert_eq!(code, 2, "malformed file: {err}");
    assert!(err.contains("not JSON"), "{err}");

    // Credentials the API refuses: could not run (3); the secret is never printed.
    let out = Command::new(env!("CARGO_BIN_EXE_sepay-einvoice"))
        .args(["token"])
        .env("SEPAY_EINVOICE_BASE_URL", &url)
        .env("SEPAY_EINVOICE_CLIENT_ID", "mock_client_id")
        .env("SEPAY_EINVOICE_CLIENT_SECRET", "s3cret-never-shown")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let help = Command::new(env!("CARGO_BIN_EXE_sepay-einvoice"))
        .args(["batch", "issue", "--help"])
        .env("SEPAY_EINVOICE_CLIENT_SECRET", "s3cret-never-shown")
        .output()
        .expect("runs");
    for o in [&out, &help] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!all.contains("s3cret-never-shown"), "{all}");
    }
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Exit codes:") && help.contains("buyer_tax_code"),
        "{help}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    server.shutdown().await;
}

#[test]
fn mock_prints_its_url_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sepay-einvoice"))
        .args(["mock", "--port", "0", "--pending-ms", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stats = rt.block_on(support::control(&url, "stats"));
    assert!(stats["requests"].is_object(), "{stats}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{status}");
}

#[test]
fn demo_runs_the_whole_flow() {
    let out = Command::new(env!("CARGO_BIN_EXE_sepay-einvoice"))
        .arg("demo")
        .env_remove("SEPAY_EINVOICE_BASE_URL")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "[2/9] token",
        "[3/9] accounts",
        "[4/9] create draft",
        "[5/9] wait",
        "status draft",
        "[6/9] issue + wait",
        "status issued",
        "[7/9] download",
        "[8/9] batch issue",
        "done       5",
        "[9/9] batch status",
    ] {
        assert!(stdout.contains(step), "{step:?} missing:\n{stdout}");
    }
}

/// Runs the CLI under a pseudo-terminal (util-linux `script`): its stdout is a terminal.
fn on_a_terminal(url: &str, dir: &std::path::Path, args: &[&str]) -> support::Run {
    let inner = std::iter::once(support::BIN)
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut c = Command::new("script");
    support::configure(&mut c, url, dir);
    let out = c
        .args(["-qec", &inner, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("SEPAY_EINVOICE_JSON")
        .output()
        .expect("script runs");
    let mut r = support::finish(out);
    r.out = r.out.replace("\r\n", "\n");
    assert_eq!(r.code, Some(0), "{args:?}: {}", r.both());
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_calls_print_tables_on_a_terminal_and_json_elsewhere() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("note: util-linux `script` is missing; the terminal view test is skipped");
        return;
    }
    let m = support::fast_mock().await;
    let url = m.url();
    let dir = support::temp_dir("human");

    // Not a terminal: the JSON, as before.
    let r = support::run(&url, &dir, &["list", "--per-page", "2"]);
    assert_eq!(r.code, Some(0), "{}", r.both());
    let page: serde_json::Value = serde_json::from_str(&r.out).expect("JSON without a terminal");
    let reference = page["items"][0]["reference_code"]
        .as_str()
        .expect("a seeded invoice")
        .to_string();

    let r = on_a_terminal(&url, &dir, &["accounts"]);
    assert!(
        r.out.contains("ID  ") && r.out.contains("PROVIDER") && r.out.contains("  matbao  "),
        "{}",
        r.out
    );
    assert!(r.out.contains("\n3 accounts\n"), "{}", r.out);
    assert!(!r.out.contains('{'), "{}", r.out);

    let r = on_a_terminal(&url, &dir, &["account", support::MATBAO]);
    assert!(r.out.starts_with("id        "), "{}", r.out);
    assert!(
        r.out.contains("\ntemplates (") && r.out.contains("TEMPLATE CODE  INVOICE SERIES"),
        "{}",
        r.out
    );

    let r = on_a_terminal(&url, &dir, &["list", "--per-page", "2"]);
    assert!(r.out.starts_with("REFERENCE CODE  "), "{}", r.out);
    assert!(r.out.contains(&reference), "{}", r.out);
    assert!(r.out.contains(" invoices, page 1 of "), "{}", r.out);

    let r = on_a_terminal(&url, &dir, &["get", &reference]);
    assert!(r.out.contains("\nbuyer.name "), "{}", r.out);
    assert!(!r.out.contains("null"), "nulls are left out: {}", r.out);
    assert!(
        r.out.contains("\nlines (") && r.out.contains("LINE  ITEM NAME"),
        "{}",
        r.out
    );

    let r = on_a_terminal(&url, &dir, &["usage"]);
    assert!(r.out.starts_with("quota remaining: "), "{}", r.out);
    assert_eq!(r.out.trim_end().lines().count(), 1, "{}", r.out);

    let r = on_a_terminal(&url, &dir, &["download", &reference, "-o", "f.pdf"]);
    assert!(
        r.out.starts_with("wrote f.pdf (") && r.out.trim_end().ends_with(" bytes, pdf)"),
        "{}",
        r.out
    );
    assert!(std::fs::read(dir.join("f.pdf"))
        .expect("pdf")
        .starts_with(b"%PDF"));

    // --json on a terminal: the JSON again.
    let r = on_a_terminal(&url, &dir, &["usage", "--json"]);
    let usage: serde_json::Value = serde_json::from_str(&r.out).expect("JSON with --json");
    assert!(usage["quota_remaining"].is_u64(), "{usage}");
    let _ = std::fs::remove_dir_all(&dir);
    m.shutdown().await;
}
