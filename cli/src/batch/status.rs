//! `batch status JOURNAL`: rows per state of each batch in a journal, and the rows that need
//! attention (failed, or uncertain: sent without a recorded outcome, or an error last time).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use sepay_einvoice_batch::{Entry, Journal, RowState};
use serde::Serialize;

use crate::exit::{Code, Failure, Outcome};
use crate::output::{self, clip};

/// `batch status`.
#[derive(Args, Clone)]
pub struct StatusArgs {
    /// The journal: sqlite:PATH (or a path) or postgres://….
    #[arg(
        env = "SEPAY_EINVOICE_JOURNAL",
        hide_env_values = true,
        value_name = "JOURNAL"
    )]
    pub journal: String,
    /// Only this batch [default: every batch in the journal].
    #[arg(long, value_name = "NAME")]
    pub batch: Option<String>,
    /// Print JSON (for scripts) instead of tables.
    #[arg(long)]
    pub json: bool,
}

fn is_postgres(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

fn sqlite_path(spec: &str) -> &str {
    spec.strip_prefix("sqlite:").unwrap_or(spec)
}

/// Opens a journal that must exist already (a SQLite path that is not there is a mistake, not
/// a new journal).
pub async fn open_existing(spec: &str) -> Result<Journal, Failure> {
    if !is_postgres(spec) && !Path::new(sqlite_path(spec)).is_file() {
        return Err(Failure::invalid(format!(
            "no journal at {}: give the sqlite:PATH or postgres://… that `batch issue` used",
            sqlite_path(spec)
        )));
    }
    Ok(Journal::open(spec).await?)
}

/// [`open_existing`] for reading only, beside a batch that may be running.
pub async fn open_existing_read_only(spec: &str) -> Result<Journal, Failure> {
    if !is_postgres(spec) && !Path::new(sqlite_path(spec)).is_file() {
        return Err(Failure::invalid(format!(
            "no journal at {}: give the sqlite:PATH or postgres://… that `batch issue` used",
            sqlite_path(spec)
        )));
    }
    Ok(Journal::open_read_only(spec).await?)
}

/// The results file of `retry-failed` by default: the one `batch issue` wrote next to a SQLite
/// journal (`orders.csv.journal` → `orders.csv.results.jsonl`), else `<batch>.results.jsonl`.
pub fn default_results(spec: &str, batch: &str) -> PathBuf {
    if is_postgres(spec) {
        return PathBuf::from(format!("{batch}.results.jsonl"));
    }
    let path = sqlite_path(spec);
    let stem = path.strip_suffix(".journal").unwrap_or(path);
    PathBuf::from(format!("{stem}.results.jsonl"))
}

/// The batch to work on: the one named (which must exist), else the journal's only one.
pub async fn pick_batch(journal: &Journal, named: Option<&str>) -> Result<String, Failure> {
    let entries = journal.entries(None).await?;
    let mut names: Vec<&str> = entries.iter().map(|e| e.batch.as_str()).collect();
    names.dedup();
    names.sort_unstable();
    names.dedup();
    match (named, names.as_slice()) {
        (Some(n), _) if names.contains(&n) => Ok(n.to_string()),
        (Some(n), []) => Err(Failure::invalid(format!(
            "batch {n:?} is not in the journal, which is empty"
        ))),
        (Some(n), all) => Err(Failure::invalid(format!(
            "batch {n:?} is not in the journal (it has {})",
            all.join(", ")
        ))),
        (None, [one]) => Ok(one.to_string()),
        (None, []) => Err(Failure::invalid("the journal holds no batch")),
        (None, all) => Err(Failure::invalid(format!(
            "the journal holds several batches: name one with --batch ({})",
            all.join(", ")
        ))),
    }
}

/// Whether a row needs a look: failed, or possibly sent without a recorded outcome, or it met
/// an error the last time it was tried.
fn needs_attention(e: &Entry) -> bool {
    match e.state {
        RowState::Failed | RowState::Sending | RowState::Accepted => true,
        RowState::Pending => e.error_kind.as_deref().is_some_and(|k| !k.is_empty()),
        RowState::Done => false,
    }
}

#[derive(Debug, Default, Serialize)]
struct BatchStatus {
    batch: String,
    rows: usize,
    pending: usize,
    sending: usize,
    accepted: usize,
    done: usize,
    failed: usize,
    /// Failed or uncertain rows.
    attention: Vec<Entry>,
}

#[derive(Debug, Serialize)]
struct Status {
    journal: String,
    batches: Vec<BatchStatus>,
}

/// Shows the journal's state.
pub async fn show(a: StatusArgs) -> Outcome {
    // Read-only: a running batch holds a SQLite journal's lock, and status must still work.
    let journal = open_existing_read_only(&a.journal).await?;
    if let Some(b) = &a.batch {
        pick_batch(&journal, Some(b)).await?;
    }
    let entries = journal.entries(a.batch.as_deref()).await?;
    let mut by_batch: BTreeMap<String, BatchStatus> = BTreeMap::new();
    for e in entries {
        let s = by_batch
            .entry(e.batch.clone())
            .or_insert_with(|| BatchStatus {
                batch: e.batch.clone(),
                ..BatchStatus::default()
            });
        s.rows += 1;
        match e.state {
            RowState::Pending => s.pending += 1,
            RowState::Sending => s.sending += 1,
            RowState::Accepted => s.accepted += 1,
            RowState::Done => s.done += 1,
            RowState::Failed => s.failed += 1,
        }
        if needs_attention(&e) {
            s.attention.push(e);
        }
    }
    let status = Status {
        journal: journal.describe(),
        batches: by_batch.into_values().collect(),
    };
    if a.json {
        output::json(&status)?;
        return Ok(Code::Ok);
    }
    let mut out = vec![format!("journal {}", status.journal)];
    out.push(output::table(
        &[
            "BATCH", "ROWS", "PENDING", "SENDING", "ACCEPTED", "DONE", "FAILED",
        ],
        &status
            .batches
            .iter()
            .map(|b| {
                vec![
                    b.batch.clone(),
                    b.rows.to_string(),
                    b.pending.to_string(),
                    b.sending.to_string(),
                    b.accepted.to_string(),
                    b.done.to_string(),
                    b.failed.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    let attention: Vec<Vec<String>> = status
        .batches
        .iter()
        .flat_map(|b| b.attention.iter())
        .map(|e| {
            let error = e
                .error_kind
                .as_ref()
                .filter(|k| !k.is_empty())
                .map(|k| {
                    clip(
                        &format!("{k}: {}", e.error_message.as_deref().unwrap_or("")),
                        100,
                    )
                })
                .unwrap_or_default();
            vec![
                e.batch.clone(),
                e.key.clone(),
                e.state.as_str().to_string(),
                e.reference_code.clone(),
                error,
            ]
        })
        .collect();
    if !attention.is_empty() {
        out.push(String::new());
        out.push("Rows that failed or are uncertain:".into());
        out.push(output::table(
            &["BATCH", "KEY", "STATE", "REFERENCE CODE", "ERROR"],
            &attention,
        ));
    }
    output::line(&out.join("\n"));
    Ok(Code::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_results_next_to_the_journal() {
        assert_eq!(
            default_results("sqlite:/x/orders.csv.journal", "orders"),
            PathBuf::from("/x/orders.csv.results.jsonl")
        );
        assert_eq!(
            default_results("/x/j.db", "b"),
            PathBuf::from("/x/j.db.results.jsonl")
        );
        assert_eq!(
            default_results("postgres://u@h/db", "b"),
            PathBuf::from("b.results.jsonl")
        );
    }
}
