//! Three `batch issue` processes on one PostgreSQL journal, one killed with SIGKILL midway: the
//! two others take over its rows once its leases run out, and the mock's own state shows every
//! row issued exactly once. Needs a database: `make test` starts a throwaway cluster
//! (scripts/postgres.sh) and sets SEPAY_TEST_POSTGRES_URL; without it the test says so and passes.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{assert_exactly_once, command, copies, jsonl_rows, temp_dir, write};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_one_killed_every_row_once() {
    let db = match std::env::var("SEPAY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("SEPAY_TEST_POSTGRES_URL is not set: the PostgreSQL workers test is skipped (make test sets it)");
            return;
        }
    };
    // Jobs pending 200 ms however often polled: the kill lands with rows at every stage.
    let m = sepay_einvoice_mock::MockServer::start(sepay_einvoice_mock::MockConfig {
        pending_polls: 1_000,
        pending_time: Duration::from_millis(200),
        ..sepay_einvoice_mock::MockConfig::default()
    })
    .await
    .expect("mock");
    let url = m.url();
    let dir = temp_dir("postgres-workers");
    let file = write(&dir, "rows.jsonl", &jsonl_rows("pgworkers", 60));
    let batch = format!("pg-{}", std::process::id());
    let mut workers: Vec<std::process::Child> = (0..3)
        .map(|w| {
            let name = format!("worker-{w}");
            let results = format!("results-{w}.jsonl");
            command(
                &url,
                &dir,
                &[
                    "batch",
                    "issue",
                    &file,
                    "--journal",
                    &db,
                    "--batch",
                    &batch,
                    "--worker",
                    &name,
                    "--lease",
                    "2",
                    "--concurrency",
                    "4",
                    "--poll-interval",
                    "0.05",
                    "--results",
                    &results,
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn a worker")
        })
        .collect();
    let started = Instant::now();
    while copies(&url, "pgworkers #").await.len() < 8 {
        assert!(started.elapsed() < Duration::from_secs(30), "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    workers[0].kill().expect("SIGKILL");
    let killed = workers[0].wait().expect("wait");
    assert_eq!(killed.signal(), Some(9), "{killed}");
    for (w, child) in workers.iter_mut().enumerate().skip(1) {
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "worker {w} ended {status}");
    }
    assert_exactly_once(&url, "pgworkers", 60).await;
    // Each surviving worker's results file lists every row of the batch.
    for w in 1..3 {
        let lines = support::results_jsonl(&dir.join(format!("results-{w}.jsonl")));
        assert_eq!(lines.len(), 60);
        assert!(lines.iter().all(|l| l["outcome"] == "done"), "worker {w}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
