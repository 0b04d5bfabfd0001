//! The batch survives its process dying: aborted at each crash point (between "sent" and
//! "recorded" included) or killed with SIGKILL midway, then run again until it finishes, the
//! mock's own state shows every row issued exactly once. And a 500-row batch under faults
//! (503s, connections dropped after the server acted, a 429) completes with a complete results
//! file after a few runs.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

/// Runs the batch again (no crash) until it exits 0; returns how many runs that took.
fn rerun_until_done(url: &str, dir: &Path, file: &str, extra: &[&str], max: usize) -> usize {
    for n in 1..=max {
        let r = batch(url, dir, file, extra);
        match r.code {
            Some(0) => return n,
            Some(1) => continue,
            other => panic!("re-run {n} exited {other:?}: {}", r.both()),
        }
    }
    panic!("the batch was not done after {max} re-runs");
}

async fn crash_at(point: &str) {
    let m = fast_mock().await;
    let url = m.url();
    let dir = temp_dir(&format!("crash-{point}"));
    let marker = format!("crash-{point}");
    let file = write(&dir, "rows.jsonl", &jsonl_rows(&marker, 30));
    let out = command(
        &url,
        &dir,
        &[
            "batch",
            "issue",
            &file,
            "--poll-interval",
            "0.02",
            "--concurrency",
            "8",
        ],
    )
    .env("SEPAY_EINVOICE_BATCH_CRASH_AT", format!("{point}:12"))
    .output()
    .expect("runs");
    let crashed = finish(out);
    assert_eq!(
        (crashed.code, crashed.output.status.signal()),
        (None, Some(6)),
        "{point}: the process aborts: {}",
        crashed.both()
    );
    assert!(
        crashed.err.contains(&format!("aborting at {point} #12")),
        "{}",
        crashed.err
    );
    rerun_until_done(&url, &dir, &file, &[], 3);
    assert_exactly_once(&url, &marker, 30).await;
    let results = results_jsonl(&dir.join("rows.jsonl.results.jsonl"));
    assert_eq!(results.len(), 30, "{point}: every row in the results");
    assert!(results.iter().all(|l| l["outcome"] == "done"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_while_sending() {
    crash_at("sending").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_sent_and_recorded() {
    crash_at("sent").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_accepted() {
    crash_at("accepted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_done() {
    crash_at("done").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_midway_then_rerun() {
    // Slow jobs (pending for 300 ms however often polled), so the process is killed with rows
    // at every stage.
    let m = sepay_einvoice_mock::MockServer::start(sepay_einvoice_mock::MockConfig {
        pending_polls: 1_000,
        pending_time: Duration::from_millis(300),
        ..sepay_einvoice_mock::MockConfig::default()
    })
    .await
    .expect("mock");
    let url = m.url();
    let dir = temp_dir("sigkill");
    let file = write(&dir, "rows.jsonl", &jsonl_rows("sigkill", 40));
    let mut child = command(
        &url,
        &dir,
        &[
            "batch",
            "issue",
            &file,
            "--poll-interval",
            "0.1",
            "--concurrency",
            "4",
        ],
    )
    .spawn()
    .expect("spawn");
    let started = Instant::now();
    loop {
        let made = copies(&url, "sigkill #").await.len();
        if made >= 6 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no progress: {made} invoices"
        );
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the batch ended before it was killed: {status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert_eq!(status.signal(), Some(9), "{status}");
    let made = copies(&url, "sigkill #").await.len();
    assert!(made < 40, "killed midway ({made} of 40 made)");
    rerun_until_done(&url, &dir, &file, &[], 3);
    assert_exactly_once(&url, "sigkill", 40).await;
    assert_eq!(
        results_jsonl(&dir.join("rows.jsonl.results.jsonl")).len(),
        40
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_rows_under_faults() {
    let m = fast_mock().await;
    let url = m.url();
    for rule in [
        json!({"route": "create_invoice", "kind": "status", "status": 503, "probability": 0.1}),
        json!({"route": "create_invoice", "kind": "drop", "probability": 0.05}),
        json!({"route": "check_create", "kind": "status", "status": 503, "probability": 0.05}),
        json!({"route": "get_invoice", "kind": "drop", "probability": 0.05}),
        json!({"route": "create_invoice", "kind": "status", "status": 429, "retry_after": 1, "times": 2}),
    ] {
        post(&url, "faults", rule).await;
    }
    let dir = temp_dir("faults");
    let file = write(&dir, "big.jsonl", &jsonl_rows("faults", 500));
    let started = Instant::now();
    // One retry inside the SDK: most faults reach the runner, which leaves the row uncertain for
    // a later try or run instead of guessing.
    let runs = rerun_until_done(
        &url,
        &dir,
        &file,
        &["--concurrency", "32", "--max-retries", "1"],
        5,
    );
    eprintln!(
        "500 rows under faults: done after {runs} run(s) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_exactly_once(&url, "faults", 500).await;
    let results = results_jsonl(&dir.join("big.jsonl.results.jsonl"));
    assert_eq!(results.len(), 500);
    let mut keys: Vec<&str> = results.iter().filter_map(|l| l["key"].as_str()).collect();
    keys.dedup();
    assert_eq!(keys.len(), 500, "each row once, in input order");
    assert!(results.iter().all(|l| l["outcome"] == "done"));
    let faults = control(&url, "faults").await;
    let fired: u64 = faults
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["fired"].as_u64()).sum())
        .unwrap_or(0);
    assert!(fired > 20, "the faults fired: {faults}");
    let _ = std::fs::remove_dir_all(&dir);
}
