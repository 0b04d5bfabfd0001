//! The results file: one line per row (JSON Lines, or CSV when the name ends in `.csv`), written
//! to a temporary file next to it and renamed into place, so a reader never sees half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use sepay_einvoice_batch::RowResult;
use serde::Serialize;

use crate::exit::Failure;

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "key",
    "reference_code",
    "outcome",
    "invoice_number",
    "invoice_status",
    "pdf_url",
    "tracking_code",
    "error_kind",
    "error_message",
    "api_code",
];

/// One line of the results file.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    key: &'a str,
    reference_code: Option<&'a str>,
    outcome: String,
    invoice_number: Option<&'a str>,
    invoice_status: Option<&'a str>,
    pdf_url: Option<&'a str>,
    tracking_code: Option<&'a str>,
    error_kind: Option<&'a str>,
    error_message: Option<&'a str>,
    api_code: Option<&'a str>,
}

/// A row's outcome as the results file and the tables write it (`done`, `failed`, …).
pub fn outcome_name(r: &RowResult) -> String {
    match serde_json::to_value(r.outcome) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{:?}", r.outcome).to_lowercase(),
    }
}

impl<'a> Line<'a> {
    fn of(r: &'a RowResult) -> Self {
        let error = r.error.as_ref();
        Line {
            key: &r.key,
            reference_code: r.reference_code.as_deref(),
            outcome: outcome_name(r),
            invoice_number: r.invoice_number.as_deref(),
            invoice_status: r.invoice_status.as_deref(),
            pdf_url: r.pdf_url.as_deref(),
            tracking_code: r.tracking_code.as_deref(),
            error_kind: error.map(|e| e.kind.as_str()).filter(|k| !k.is_empty()),
            error_message: error.map(|e| e.message.as_str()).filter(|m| !m.is_empty()),
            api_code: error.and_then(|e| e.api_code.as_deref()),
        }
    }
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

fn render(path: &Path, rows: &[RowResult]) -> Result<Vec<u8>, String> {
    if is_csv(path) {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.write_record(COLUMNS).map_err(|e| e.to_string())?;
        for r in rows {
            w.serialize(Line::of(r)).map_err(|e| e.to_string())?;
        }
        return w.into_inner().map_err(|e| e.to_string());
    }
    let mut out = Vec::new();
    for r in rows {
        serde_json::to_writer(&mut out, &Line::of(r)).map_err(|e| e.to_string())?;
        out.push(b'\n');
    }
    Ok(out)
}

/// Writes the results atomically (a temporary file in the same folder, then a rename).
pub fn write(path: &Path, rows: &[RowResult]) -> Result<(), Failure> {
    let fail = |e: String| Failure::could_not_run(format!("results {}: {e}", path.display()));
    let bytes = render(path, rows).map_err(fail)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "results".into());
    let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sepay_einvoice_batch::{Outcome, RowError};

    fn rows() -> Vec<RowResult> {
        vec![
            RowResult {
                key: "A".into(),
                reference_code: Some("r1".into()),
                outcome: Outcome::Done,
                invoice_number: Some("0000001".into()),
                invoice_status: Some("issued".into()),
                pdf_url: Some("http://x/a.pdf".into()),
                tracking_code: Some("t1".into()),
                error: None,
            },
            RowResult {
                key: "B, \"quoted\"".into(),
                reference_code: Some("r2".into()),
                outcome: Outcome::Failed,
                invoice_number: None,
                invoice_status: None,
                pdf_url: None,
                tracking_code: None,
                error: Some(RowError {
                    kind: "QuotaExceeded".into(),
                    message: "no quota".into(),
                    api_code: Some("QUOTA_EXCEEDED".into()),
                }),
            },
        ]
    }

    #[test]
    fn jsonl_and_csv() {
        let dir = std::env::temp_dir().join(format!("sepay-cli-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let j = dir.join("r.jsonl");
        write(&j, &rows()).expect("jsonl");
        let text = std::fs::read_to_string(&j).expect("read");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["outcome"], "done");
        assert_eq!(lines[1]["error_kind"], "QuotaExceeded");
        assert_eq!(lines[1]["api_code"], "QUOTA_EXCEEDED");

        let c = dir.join("r.csv");
        write(&c, &rows()).expect("csv");
        let mut r = csv::Reader::from_path(&c).expect("csv");
        assert_eq!(r.headers().expect("h").iter().collect::<Vec<_>>(), COLUMNS);
        let recs: Vec<csv::StringRecord> = r.records().map(|x| x.expect("rec")).collect();
        assert_eq!(&recs[1][0], "B, \"quoted\"");
        assert_eq!(&recs[1][2], "failed");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
