//! A finished batch for people (a summary table on stdout, one line on stderr) or for scripts
//! (`--json`: the report as JSON).

use std::path::Path;
use std::time::Duration;

use sepay_einvoice_batch::{BatchReport, Outcome};

use super::results::outcome_name;
use crate::exit::Failure;
use crate::output::{self, clip};

/// Rows listed in the table of rows not done; the results file has them all.
const LISTED: usize = 50;

/// `batch NAME: 28 done, 1 failed, … of 30 rows; 30 worked in 3.1 s (9.7 rows/s); results in
/// PATH`.
pub fn log_line(r: &BatchReport, worked: usize, elapsed: Duration, results: &Path) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 && worked > 0 {
        format!(" ({:.1} rows/s)", worked as f64 / secs)
    } else {
        String::new()
    };
    format!(
        "batch {:?}: {} done, {} failed, {} uncertain, {} refused of {} rows; {worked} worked in this run in {:.1} s{rate}; results in {}",
        r.batch,
        r.done,
        r.failed,
        r.uncertain,
        r.refused,
        r.rows.len(),
        secs,
        results.display()
    )
}

/// Prints the report: JSON, or the counts and the rows not done.
pub fn print(r: &BatchReport, journal: &str, results: &Path, json: bool) -> Result<(), Failure> {
    if json {
        return output::json(r);
    }
    let mut out = vec![format!("batch {:?} (journal {journal})", r.batch)];
    let counts = [
        ("done", r.done),
        ("failed", r.failed),
        ("uncertain", r.uncertain),
        ("refused", r.refused),
        ("total", r.rows.len()),
    ];
    out.push(output::table(
        &["OUTCOME", "ROWS"],
        &counts
            .iter()
            .map(|(k, n)| vec![k.to_string(), n.to_string()])
            .collect::<Vec<_>>(),
    ));
    out.push(format!("results: {}", results.display()));
    let not_done: Vec<_> = r
        .rows
        .iter()
        .filter(|x| x.outcome != Outcome::Done)
        .collect();
    if !not_done.is_empty() {
        out.push(String::new());
        out.push("Rows not done:".into());
        let rows: Vec<Vec<String>> = not_done
            .iter()
            .take(LISTED)
            .map(|x| {
                let error = x
                    .error
                    .as_ref()
                    .map(|e| clip(&format!("{}: {}", e.kind, e.message), 100))
                    .unwrap_or_default();
                vec![
                    x.key.clone(),
                    outcome_name(x),
                    x.reference_code.clone().unwrap_or_default(),
                    error,
                ]
            })
            .collect();
        out.push(output::table(
            &["KEY", "OUTCOME", "REFERENCE CODE", "ERROR"],
            &rows,
        ));
        if not_done.len() > LISTED {
            out.push(format!(
                "… and {} more (see the results file)",
                not_done.len() - LISTED
            ));
        }
        let mut hints = Vec::new();
        if r.uncertain > 0 {
            hints.push("uncertain rows: run the same command again; it finds out what happened by reference code and never sends a row twice");
        }
        if r.failed > 0 {
            hints.push(
                "failed rows: fix the cause, then `sepay-einvoice batch retry-failed JOURNAL`",
            );
        }
        if r.refused > 0 {
            hints.push("refused rows changed since they were journaled: restore them, or give the changed sale a new key");
        }
        out.push(String::new());
        out.extend(hints.into_iter().map(str::to_string));
    }
    output::line(&out.join("\n"));
    Ok(())
}
