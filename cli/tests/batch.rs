//! `sepay-einvoice batch …` end to end against the in-process mock: JSON Lines and CSV input,
//! re-runs that send nothing, dry runs, changed rows, status and retry-failed, the progress bar
//! on a pseudo-terminal, and the exit codes.

mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonl_batch_issues_every_row_and_a_rerun_sends_nothing() {
    let m = fast_mock().await;
    let url = m.url();
    let dir = temp_dir("jsonl");
    let file = write(&dir, "orders.jsonl", &jsonl_rows("jsonl", 6));
    let r = batch(&url, &dir, &file, &[]);
    assert_eq!(r.code, Some(0), "{}", r.both());
    assert!(r.out.contains("done       6"), "{}", r.out);
    // Not a terminal: one log line per row on stderr, and a summary.
    assert_eq!(r.err.matches("] K-").count(), 6, "{}", r.err);
    assert!(r.err.contains("6 done, 0 failed"), "{}", r.err);
    let results = results_jsonl(&dir.join("orders.jsonl.results.jsonl"));
    assert_eq!(results.len(), 6);
    for (i, line) in results.iter().enumerate() {
        assert_eq!(line["key"], format!("K-{i:04}"), "input order");
        assert_eq!(line["outcome"], "done");
        assert_eq!(line["invoice_status"], "issued");
        assert!(line["invoice_number"].is_string() && line["pdf_url"].is_string());
        assert!(line["reference_code"].is_string() && line["tracking_code"].is_string());
    }
    assert!(dir.join("orders.jsonl.journal").is_file());
    assert_eq!(creates(&url).await, 6);

    let again = batch(&url, &dir, &file, &["--json"]);
    assert_eq!(again.code, Some(0), "{}", again.both());
    let report: Value = serde_json::from_str(&again.out).expect("--json prints the report");
    assert_eq!(
        (report["batch"].as_str(), report["done"].as_u64()),
        (Some("orders"), Some(6))
    );
    assert_eq!(creates(&url).await, 6, "a re-run sends no create");
    assert_exactly_once(&url, "jsonl", 6).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_batch_groups_lines_by_order() {
    let m = fast_mock().await;
    let url = m.url();
    let dir = temp_dir("csv");
    // Two orders of three lines each, interleaved; invoice columns on the first row of each
    // order, repeated or left empty on the others.
    let csv = "\
order,buyer_name,buyer_type,notes,item_name,unit,quantity,unit_price,tax_rate
A-1,Công ty A,company,csv #0,Bút bi,cái,2,10000,10
B-2,Nguyễn Văn B,personal,csv #1,Vở,quyển,5,8000,10
A-1,,,,Thước kẻ,cái,1,5000,10
B-2,Nguyễn Văn B,,,\"Tẩy, loại tốt\",cái,2,3000,10
A-1,Công ty A,company,csv #0,Giấy A4,ream,3,65000,10
B-2,,,,Bút chì,cái,10,2000,10
";
    let file = write(&dir, "export.csv", csv);
    let series = series();
    let args = [
        "--account",
        MATBAO,
        "--template",
        "1",
        "--series",
        series.as_str(),
        "--results",
        "out.csv",
    ];
    let r = batch(&url, &dir, &file, &args);
    assert_eq!(r.code, Some(0), "{}", r.both());
    assert_exactly_once(&url, "csv", 2).await;
    let invoices = control(&url, "invoices").await;
    let items = |note: &str| -> Vec<String> {
        invoices
            .as_array()
            .expect("list")
            .iter()
            .find(|i| i["notes"] == note)
            .map(|i| {
                i["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|x| x["item_name"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(items("csv #0"), ["Bút bi", "Thước kẻ", "Giấy A4"]);
    assert_eq!(items("csv #1"), ["Vở", "Tẩy, loại tốt", "Bút chì"]);

    let mut reader = csv::Reader::from_path(dir.join("out.csv")).expect("CSV results");
    let headers: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        headers,
        [
            "key",
            "reference_code",
            "outcome",
            "invoice_number",
            "invoice_status",
            "pdf_url",
            "tracking_code",
            "error_kind",
            "error_message",
            "api_code"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!((&rows[0][0], &rows[0][2]), ("A-1", "done"));
    assert_eq!((&rows[1][0], &rows[1][2]), ("B-2", "done"));

    let again = batch(&url, &dir, &file, &args);
    assert_eq!(again.code, Some(0), "{}", again.both());
    assert_eq!(creates(&url).await, 2, "a re-run sends no create");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_nothing_and_names_bad_rows() {
    let m = fast_mock().await;
    let url = m.url();
    let dir = temp_dir("dry");
    let file = write(&dir, "d.jsonl", &jsonl_rows("dry", 3));
    let r = batch(&url, &dir, &file, &["--dry-run"]);
    assert_eq!(r.code, Some(0), "{}", r.both());
    // 2 × (10000 + i) at 10 %, i = 0, 1, 2: 60006 before tax; VAT 2000, 2000.2, 2000.4, each
    // invoice rounded to the đồng: 6000; total 66006.
    assert!(r.out.contains("3 rows, 3 invoices, 0 errors"), "{}", r.out);
    assert!(r.out.contains("TOTAL BEFORE TAX"), "{}", r.out);
    assert!(
        r.out
            .contains("VND       3         60006             6000  66006"),
        "{}",
        r.out
    );
    let json = batch(&url, &dir, &file, &["--dry-run", "--json"]);
    let v: Value = serde_json::from_str(&json.out).expect("JSON");
    assert_eq!(v["totals"][0]["total_amount"], "66006");
    assert!(
        !dir.join("d.jsonl.journal").exists(),
        "a dry run opens no journal"
    );

    // A bad cell and a rule broken: both named, exit 2.
    let mut rows: Vec<Value> = jsonl_rows("dry", 3)
        .lines()
        .map(|l| serde_json::from_str(l).expect("row"))
        .collect();
    rows[1]["items"][0]["quantity"] = json!("abc");
    rows[2]["items"][0]["tax_rate"] = json!(7);
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    let bad = write(&dir, "bad.jsonl", &text);
    let r = batch(&url, &dir, &bad, &["--dry-run"]);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(
        r.out
            .contains("bad.jsonl:2: row \"K-0001\": items[0].quantity: error"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("bad.jsonl:3: row \"K-0002\": items[0].tax_rate"),
        "{}",
        r.out
    );
    // The same file without --dry-run: invalid input, nothing sent.
    let r = batch(&url, &dir, &bad, &[]);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(r.err.contains("bad.jsonl:2"), "{}", r.err);

    // CSV: an unknown column (with the near name), and an order whose lines disagree.
    let csv = write(&dir, "c.csv", "order,item_name,unit_prise\nA,x,1\n");
    let r = batch(&url, &dir, &csv, &["--dry-run"]);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(
        r.err
            .contains("unknown column \"unit_prise\"; did you mean \"unit_price\"?"),
        "{}",
        r.err
    );
    let csv = write(
        &dir,
        "d.csv",
        "order,buyer_name,item_name,quantity\nA,X,a,1\nA,Y,b,1\n",
    );
    let r = batch(&url, &dir, &csv, &["--dry-run", "--account", MATBAO]);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(
        r.out.contains("d.csv:3: row \"A\": column buyer_name: error: differs from the order's first row (line 2)"),
        "{}",
        r.out
    );

    let stats = control(&url, "stats").await;
    assert_eq!(stats["requests_total"], 0, "dry runs send nothing: {stats}");
    assert_eq!(stats["tokens_issued"], 0, "{stats}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_changed_between_runs_is_refused() {
    let m = fast_mock().await;
    let url = m.url();
    let dir = temp_dir("changed");
    let text = jsonl_rows("changed", 5);
    let file = write(&dir, "c.jsonl", &text);
    assert_eq!(batch(&url, &dir, &file, &[]).code, Some(0));
    let mut rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("row"))
        .collect();
    rows[3]["items"][0]["unit_price"] = json!(99_999);
    let changed: String = rows.iter().map(|r| format!("{r}\n")).collect();
    write(&dir, "c.jsonl", &changed);
    let r = batch(&url, &dir, &file, &[]);
    assert_eq!(r.code, Some(1), "{}", r.both());
    assert!(r.out.contains("refused    1"), "{}", r.out);
    let results = results_jsonl(&dir.join("c.jsonl.results.jsonl"));
    assert_eq!(results.len(), 5, "every row once");
    let refused: Vec<&Value> = results
        .iter()
        .filter(|l| l["outcome"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["key"], "K-0003");
    assert_eq!(refused[0]["error_kind"], "Changed");
    assert_eq!(creates(&url).await, 5, "nothing re-issued");
    assert_exactly_once(&url, "changed", 5).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_retry_failed() {
    let m = fast_mock().await;
    let url = m.url();
    post(&url, "config", json!({"quota": 3})).await;
    let dir = temp_dir("retry");
    let file = write(&dir, "q.jsonl", &jsonl_rows("retry", 5));
    let r = batch(&url, &dir, &file, &["--concurrency", "1"]);
    assert_eq!(r.code, Some(1), "some rows failed: {}", r.both());
    assert!(r.out.contains("QuotaExceeded"), "{}", r.out);
    let journal = dir.join("q.jsonl.journal");
    let journal = journal.to_string_lossy();

    // Status reads the journal even while another process holds it (a batch running).
    let held = sepay_einvoice_batch::Journal::open(&journal)
        .await
        .expect("journal held");
    let s = run(&url, &dir, &["batch", "status", &journal]);
    assert_eq!(s.code, Some(0), "{}", s.both());
    assert!(
        s.out.contains("FAILED") && s.out.contains("QuotaExceeded"),
        "{}",
        s.out
    );
    drop(held);
    let s = run(&url, &dir, &["batch", "status", &journal, "--json"]);
    let v: Value = serde_json::from_str(&s.out).expect("JSON");
    assert_eq!(
        (
            v["batches"][0]["done"].as_u64(),
            v["batches"][0]["failed"].as_u64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(
        v["batches"][0]["attention"].as_array().map(Vec::len),
        Some(2)
    );
    let s = run(&url, &dir, &["batch", "status", "nope.journal"]);
    assert_eq!(s.code, Some(2), "{}", s.both());

    post(&url, "config", json!({"quota": 100})).await;
    let r = run(
        &url,
        &dir,
        &["batch", "retry-failed", &journal, "--poll-interval", "0.02"],
    );
    assert_eq!(r.code, Some(0), "{}", r.both());
    assert!(r.err.contains("2 failed rows put back"), "{}", r.err);
    let results = results_jsonl(&dir.join("q.jsonl.results.jsonl"));
    assert_eq!(results.len(), 5);
    assert!(
        results.iter().all(|l| l["outcome"] == "done"),
        "{results:?}"
    );
    assert_exactly_once(&url, "retry", 5).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_bar_renders_on_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: util-linux `script` is missing; the progress bar test is skipped");
        return;
    }
    let m = fast_mock().await;
    let url = m.url();
    let dir = temp_dir("pty");
    let file = write(&dir, "p.jsonl", &jsonl_rows("pty", 20));
    let inner = format!("'{BIN}' batch issue '{file}' --poll-interval 0.02 --concurrency 2");
    let mut c = std::process::Command::new("script");
    configure(&mut c, &url, &dir);
    let out = c
        .args(["-qec", &inner, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("script runs");
    let r = finish(out);
    assert_eq!(r.code, Some(0), "{}", r.both());
    assert!(
        r.out.contains("rows/s") && r.out.contains("ETA"),
        "{}",
        r.out
    );
    assert!(r.out.contains("20/20 rows"), "{}", r.out);
    assert_exactly_once(&url, "pty", 20).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_of_unusable_input_and_journals() {
    let m = fast_mock().await;
    let url = m.url();
    let dir = temp_dir("codes");
    let r = batch(&url, &dir, "missing.jsonl", &[]);
    assert_eq!(r.code, Some(2), "missing file: {}", r.both());
    assert!(r.err.contains("missing.jsonl"), "{}", r.err);

    let good = jsonl_rows("codes", 1);
    let bad = write(&dir, "bad.jsonl", &format!("{good}{{\"items\": [\n"));
    let r = batch(&url, &dir, &bad, &[]);
    assert_eq!(r.code, Some(2), "malformed JSON Lines: {}", r.both());
    assert!(r.err.contains("bad.jsonl:2: not JSON"), "{}", r.err);

    let r = batch(&url, &dir, &bad, &["--format", "xml"]);
    assert_eq!(r.code, Some(2), "bad flag: {}", r.both());
    let txt = write(&dir, "rows.txt", &good);
    let r = batch(&url, &dir, &txt, &[]);
    assert_eq!(r.code, Some(2), "unknown extension: {}", r.both());
    assert!(r.err.contains("--format"), "{}", r.err);

    let file = write(&dir, "ok.jsonl", &good);
    let r = batch(
        &url,
        &dir,
        &file,
        &["--journal", "postgres://127.0.0.1:1/x"],
    );
    assert_eq!(r.code, Some(3), "unreachable journal: {}", r.both());

    // Credentials the API refuses: could not run, nothing journaled as failed.
    let r = finish(
        command(&url, &dir, &["batch", "issue", &file])
            .env("SEPAY_EINVOICE_CLIENT_SECRET", "wrong-secret")
            .output()
            .expect("runs"),
    );
    assert_eq!(r.code, Some(3), "bad credentials: {}", r.both());
    assert!(
        !r.both().contains("wrong-secret"),
        "the secret is never printed"
    );
    assert_eq!(creates(&url).await, 0);
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
