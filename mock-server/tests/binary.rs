//! The `sepay-einvoice-mock` binary: first stdout line is the URL; SIGTERM exits 0.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{basic, raw};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn prints_url_first_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sepay-einvoice-mock"))
        .args(["--port", "0", "--client-id", "cli_id"])
        .env("SEPAY_MOCK_QUOTA", "7")
        .env("SEPAY_MOCK_CLIENT_SECRET", "cli_secret")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("URL in time")
        .expect("read")
        .expect("a first line");
    let addr: std::net::SocketAddr = url
        .strip_prefix("http://")
        .expect("http:// prefix")
        .parse()
        .expect("host:port");
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);

    let auth = basic("cli_id", "cli_secret");
    let r = raw(addr, "POST", "/v1/token", &[("Authorization", &auth)], None)
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let token = r.json()["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = raw(
        addr,
        "GET",
        "/v1/usage",
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["data"]["quota_remaining"], "7");

    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits in time")
        .expect("wait");
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn bad_listen_address_fails_cleanly() {
    let out = Command::new(env!("CARGO_BIN_EXE_sepay-einvoice-mock"))
        .args(["--host", "203.0.113.1", "--port", "1"])
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no URL printed on failure");
}
