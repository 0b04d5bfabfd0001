//! `sepay-einvoice batch issue|status|retry-failed`: many invoices from a file, exactly once
//! each, through the durable journal of `sepay-einvoice-batch`.

mod csv_input;
mod dry_run;
mod input;
mod progress;
mod report;
mod results;
mod status;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use sepay_einvoice::{Client, ErrorKind, WaitOptions};
use sepay_einvoice_batch::{resume, run, BatchOptions, BatchRow, Journal};

use crate::client::{seconds, GlobalArgs};
use crate::exit::{Code, Failure, Outcome};
pub use input::{vietnam_now, Format};
use progress::Reporter;
pub use status::StatusArgs;

/// The batch commands.
#[derive(Subcommand)]
pub enum BatchCommand {
    /// Issue every invoice of a file, exactly once each, across crashes and re-runs.
    #[command(after_help = issue_help())]
    Issue(IssueArgs),
    /// Rows per state in a journal, and the rows that failed or are uncertain.
    Status(status::StatusArgs),
    /// Put a batch's failed rows back (same reference codes) and run them again.
    #[command(after_help = crate::exit::TABLE)]
    RetryFailed(RetryArgs),
}

fn issue_help() -> String {
    format!(
        "\
Input:
  JSON Lines (.jsonl): one create request per line with the API's field names, plus an optional
  \"key\" (default: the line's reference_code, else line-<n>). Blank lines are skipped.
  CSV (.csv, UTF-8, a header row): one row per line item; rows with the same --order-column value
  are one invoice, whose key is that value. Empty cells are absent fields.
    invoice columns (from an order's first row; later rows may repeat them or leave them empty):
{}
    line columns:
{}

A row is journaled (key, reference code, payload hash) before its create is sent; a re-run of
the same command resumes: done rows are skipped, rows that may exist are looked up by their
reference code first, and a row changed since it was journaled is refused, never re-issued.
Progress goes to stderr (a bar on a terminal, else one line per row); stdout gets a summary
table, or the report as JSON with --json.

{}",
        wrap(csv_input::INVOICE_COLUMNS.iter().map(|(c, _)| *c)),
        wrap(csv_input::LINE_COLUMNS.iter().copied()),
        crate::exit::TABLE
    )
}

/// Names joined by ", " in lines of at most 96 characters, indented by 6.
fn wrap<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for n in names {
        let Some(last) = lines.last_mut() else { break };
        if !last.is_empty() && last.len() + n.len() + 2 > 90 {
            last.push(',');
            lines.push(String::new());
        } else if !last.is_empty() {
            last.push_str(", ");
        }
        if let Some(l) = lines.last_mut() {
            l.push_str(n);
        }
    }
    lines
        .iter()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How rows are worked (shared by `issue` and `retry-failed`).
#[derive(Args, Clone)]
pub struct RunArgs {
    /// Rows worked at once (1 to 1024).
    #[arg(long, default_value_t = 8, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub concurrency: usize,
    /// This worker's name in the journal's leases [default: host, process id, random tag].
    #[arg(long, env = "SEPAY_EINVOICE_WORKER", value_name = "NAME")]
    pub worker: Option<String>,
    /// How long a claimed row stays this worker's without being renewed.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    pub lease: f64,
    /// Longest one row may take, its wait included; a row past it is left for the next run.
    #[arg(long, default_value_t = 600.0, value_name = "SECS")]
    pub row_timeout: f64,
    /// Longest wait for one create job.
    #[arg(long, default_value_t = 120.0, value_name = "SECS")]
    pub wait_timeout: f64,
    /// First pause between a job's status polls, later ones growing to 2.5× [default: polls
    /// when jobs are likely done, learned from the batch's own jobs].
    #[arg(long, value_name = "SECS")]
    pub poll_interval: Option<f64>,
    /// The results file: one line per row; JSON Lines, or CSV when PATH ends in .csv
    /// [default: <FILE>.results.jsonl].
    #[arg(long, value_name = "PATH")]
    pub results: Option<PathBuf>,
    /// Print the report as JSON on stdout (for scripts) instead of the summary table.
    #[arg(long)]
    pub json: bool,
}

impl RunArgs {
    fn options(&self, batch: &str) -> Result<BatchOptions, Failure> {
        let mut o = BatchOptions::new(batch);
        o.concurrency = self.concurrency;
        if let Some(w) = self.worker.as_ref().filter(|w| !w.trim().is_empty()) {
            o.worker = w.clone();
        }
        o.lease = seconds("lease", self.lease)?;
        o.row_timeout = seconds("row-timeout", self.row_timeout)?;
        o.wait = WaitOptions::default().timeout(seconds("wait-timeout", self.wait_timeout)?);
        if let Some(p) = self.poll_interval {
            let poll = seconds("poll-interval", p)?;
            o.wait = o.wait.poll_intervals(poll, poll.mul_f64(2.5));
        }
        Ok(o)
    }
}

/// `batch issue`.
#[derive(Args, Clone)]
pub struct IssueArgs {
    /// The input: JSON Lines (.jsonl) or CSV (.csv).
    pub file: PathBuf,
    /// The input's format [default: from the file's extension].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// CSV: the column whose value groups rows into one invoice (the order id).
    #[arg(long, default_value = "order", value_name = "NAME")]
    pub order_column: String,
    /// provider_account_id for rows without one.
    #[arg(long, env = "SEPAY_EINVOICE_ACCOUNT", value_name = "ID")]
    pub account: Option<String>,
    /// template_code for rows without one.
    #[arg(long, value_name = "CODE")]
    pub template: Option<String>,
    /// invoice_series for rows without one.
    #[arg(long, value_name = "SERIES")]
    pub series: Option<String>,
    /// Save every row as a draft, whatever its is_draft.
    #[arg(long, conflicts_with = "issue")]
    pub draft: bool,
    /// Issue every row, whatever its is_draft [default: each row's own is_draft].
    #[arg(long)]
    pub issue: bool,
    /// Read and check every row and preview the totals; send nothing, touch no journal.
    #[arg(long)]
    pub dry_run: bool,
    /// The journal: sqlite:PATH or postgres://… [default: sqlite:<FILE>.journal].
    #[arg(
        long,
        env = "SEPAY_EINVOICE_JOURNAL",
        hide_env_values = true,
        value_name = "SPEC"
    )]
    pub journal: Option<String>,
    /// The batch's name in the journal [default: the file's name without its extension].
    #[arg(long, value_name = "NAME")]
    pub batch: Option<String>,
    /// A row without reference_code gets its key (the order id) as reference code, so one
    /// order is one invoice even with another journal (a renamed file, a lost journal).
    /// Recommended when keys are order ids; without it a row gets a random code kept in the
    /// journal.
    #[arg(long)]
    pub reference_from_key: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `batch retry-failed`.
#[derive(Args, Clone)]
pub struct RetryArgs {
    /// The journal: sqlite:PATH (or a path) or postgres://….
    #[arg(
        env = "SEPAY_EINVOICE_JOURNAL",
        hide_env_values = true,
        value_name = "JOURNAL"
    )]
    pub journal: String,
    /// The batch [default: the journal's only batch].
    #[arg(long, value_name = "NAME")]
    pub batch: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs a batch command. Its `--json` and the global one (or `SEPAY_EINVOICE_JSON`) are the
/// same switch; without either a batch prints its summary, terminal or not.
pub async fn command(global: &GlobalArgs, cmd: BatchCommand) -> Outcome {
    match cmd {
        BatchCommand::Issue(mut a) => {
            a.run.json |= global.json;
            issue(global, a).await
        }
        BatchCommand::Status(mut a) => {
            a.json |= global.json;
            status::show(a).await
        }
        BatchCommand::RetryFailed(mut a) => {
            a.run.json |= global.json;
            retry_failed(global, a).await
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// `batch issue FILE`.
pub async fn issue(global: &GlobalArgs, a: IssueArgs) -> Outcome {
    let format = match a.format {
        Some(f) => f,
        None => Format::of(&a.file)?,
    };
    let defaults = input::Defaults {
        account: a.account.clone().filter(|s| !s.trim().is_empty()),
        template: a.template.clone(),
        series: a.series.clone(),
        draft: if a.draft {
            Some(true)
        } else if a.issue {
            Some(false)
        } else {
            None
        },
    };
    let input = input::read(&a.file, format, &a.order_column, &defaults)?;
    if a.dry_run {
        let d = dry_run::check(&input, global.strict);
        return dry_run::print(&input, &d, a.run.json);
    }
    if !input.bad.is_empty() {
        const SHOWN: usize = 20;
        for b in input.bad.iter().take(SHOWN) {
            eprintln!("{}", b.describe(&a.file));
        }
        if input.bad.len() > SHOWN {
            eprintln!("… and {} more", input.bad.len() - SHOWN);
        }
        return Err(Failure::invalid(format!(
            "{}: {} of {} rows cannot be read; nothing was sent (fix them, or check the file with --dry-run)",
            a.file.display(),
            input.bad.len(),
            input.bad.len() + input.rows.len()
        )));
    }
    let batch = match &a.batch {
        Some(b) => b.clone(),
        None => a
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "batch".into()),
    };
    let mut options = a.run.options(&batch)?;
    options.reference_from_key = a.reference_from_key;
    let spec = a.journal.clone().unwrap_or_else(|| {
        format!(
            "sqlite:{}",
            with_suffix(&a.file, ".journal").to_string_lossy()
        )
    });
    let results = a
        .run
        .results
        .clone()
        .unwrap_or_else(|| with_suffix(&a.file, ".results.jsonl"));
    let client = global.client()?;
    let journal = Arc::new(Journal::open(&spec).await?);
    check_api(&client).await?;
    let order: Vec<String> = input.rows.iter().map(|r| r.key.clone()).collect();
    let rows = input
        .rows
        .into_iter()
        .map(|r| BatchRow::new(r.key, r.request))
        .collect();
    execute(Work {
        client: &client,
        journal,
        rows: Some(rows),
        options,
        results,
        order: Some(order),
        json: a.run.json,
    })
    .await
}

/// `batch retry-failed JOURNAL`.
pub async fn retry_failed(global: &GlobalArgs, a: RetryArgs) -> Outcome {
    let journal = Arc::new(status::open_existing(&a.journal).await?);
    let batch = status::pick_batch(&journal, a.batch.as_deref()).await?;
    let options = a.run.options(&batch)?;
    let results = a
        .run
        .results
        .clone()
        .unwrap_or_else(|| status::default_results(&a.journal, &batch));
    let client = global.client()?;
    check_api(&client).await?;
    let n = journal.retry_failed(Some(&batch)).await?;
    eprintln!("batch {batch:?}: {n} failed rows put back to pending (same reference codes)");
    execute(Work {
        client: &client,
        journal,
        rows: None,
        options,
        results,
        order: None,
        json: a.run.json,
    })
    .await
}

/// Fetches a token: bad credentials or an unreachable API stop the batch before any row.
async fn check_api(client: &Client) -> Result<(), Failure> {
    client.authenticate().await.map(|_| ()).map_err(|e| {
        let code = if e.kind() == ErrorKind::Validation {
            Code::InvalidInput
        } else {
            Code::CouldNotRun
        };
        Failure::new(
            code,
            format!("cannot use the API at {}: {e}", client.base_url()),
        )
    })
}

/// A batch to work.
pub struct Work<'a> {
    /// The client.
    pub client: &'a Client,
    /// The journal.
    pub journal: Arc<Journal>,
    /// The input's rows (`None`: resume what the journal holds).
    pub rows: Option<Vec<BatchRow>>,
    /// How.
    pub options: BatchOptions,
    /// The results file.
    pub results: PathBuf,
    /// The input's keys in order, to write the results in that order.
    pub order: Option<Vec<String>>,
    /// Report as JSON.
    pub json: bool,
}

/// Works a batch to its end (or Ctrl-C), writes the results and prints the report.
pub async fn execute(mut w: Work<'_>) -> Outcome {
    let reporter = Reporter::new();
    w.options.on_progress = Some(reporter.callback());
    let journal_name = w.journal.describe();
    let rows = w.rows.take();
    let work = async {
        match rows {
            Some(rows) => run(w.client, w.journal.clone(), rows, &w.options).await,
            None => resume(w.client, w.journal.clone(), &w.options).await,
        }
    };
    let interrupted = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let outcome = tokio::select! {
        r = work => r,
        _ = interrupted => {
            reporter.abandon();
            eprintln!("interrupted: every step so far is in the journal ({journal_name}); run the same command again to resume");
            return Ok(Code::Interrupted);
        }
    };
    let mut report = match outcome {
        Ok(r) => r,
        Err(e) => {
            reporter.abandon();
            return Err(e.into());
        }
    };
    reporter.finish();
    if let Some(order) = &w.order {
        let at: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        report
            .rows
            .sort_by_key(|r| at.get(r.key.as_str()).copied().unwrap_or(usize::MAX));
    }
    results::write(&w.results, &report.rows)?;
    eprintln!(
        "{}",
        report::log_line(&report, reporter.worked(), reporter.elapsed(), &w.results,)
    );
    report::print(&report, &journal_name, &w.results, w.json)?;
    Ok(if report.all_done() {
        Code::Ok
    } else {
        Code::Refused
    })
}
