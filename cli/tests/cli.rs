//! The CLI end to end against the mock server: exit codes and JSON output.

use std::process::Command;

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
    assert_eq!(code, 3, "API errors exit 3: {err}");
    assert!(err.contains("NotFound"));
    let (code, _, err) = cli(&url, &["list", "--per-page", "500"]);
    assert_eq!(code, 2, "validation errors exit 2: {err}");
    assert!(err.contains("per_page"));
    let _ = std::fs::remove_dir_all(&dir);
    server.shutdown().await;
}
