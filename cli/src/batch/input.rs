//! Reading a batch's input file: JSON Lines (one create request per line) or CSV (one row per
//! line item, grouped by an order column, see `csv_input`). Every row goes through
//! `CreateInvoice::from_json`, so its checks and error messages are the SDK's; this module adds
//! where in the file each one is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use sepay_einvoice::CreateInvoice;
use serde_json::{Map, Value};

use super::csv_input;
use crate::exit::Failure;

/// The current time in Vietnam a minute back, as `issued_date` writes it: what the batch runner
/// dates a row without `issued_date` with (an invoice may not be dated in the future).
pub fn vietnam_now() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::minutes(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// JSON Lines: one create request per line.
    Jsonl,
    /// CSV: one row per line item, grouped by the order column.
    Csv,
}

impl Format {
    /// The format a file name says (`.jsonl`, `.ndjson`, `.json`; `.csv`).
    pub fn of(path: &Path) -> Result<Format, Failure> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "ndjson" | "json") => Ok(Format::Jsonl),
            Some("csv") => Ok(Format::Csv),
            _ => Err(Failure::invalid(format!(
                "{}: cannot tell the format from the file name: name it .jsonl or .csv, or pass --format jsonl|csv",
                path.display()
            ))),
        }
    }
}

/// Values for invoice fields a row leaves out, and the draft override.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// `provider_account_id`.
    pub account: Option<String>,
    /// `template_code`.
    pub template: Option<String>,
    /// `invoice_series`.
    pub series: Option<String>,
    /// `Some(true)`: every row is a draft; `Some(false)`: every row is issued.
    pub draft: Option<bool>,
}

impl Defaults {
    /// Fills the fields the row leaves out (absent, null or blank) in a request's JSON.
    pub fn fill(&self, obj: &mut Map<String, Value>) {
        for (field, value) in [
            ("provider_account_id", &self.account),
            ("template_code", &self.template),
            ("invoice_series", &self.series),
        ] {
            let Some(v) = value else { continue };
            let missing = match obj.get(field) {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.trim().is_empty(),
                Some(_) => false,
            };
            if missing {
                obj.insert(field.to_string(), Value::String(v.clone()));
            }
        }
    }

    /// Reads a request from its JSON with the defaults and the draft override applied.
    pub fn request(&self, mut obj: Map<String, Value>) -> sepay_einvoice::Result<CreateInvoice> {
        self.fill(&mut obj);
        let mut req = CreateInvoice::from_json(Value::Object(obj))?;
        if let Some(d) = self.draft {
            req.is_draft = d;
        }
        Ok(req)
    }
}

/// One invoice read from the input.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its key in the batch.
    pub key: String,
    /// The (first) line it came from, from 1.
    pub line: usize,
    /// CSV: the line of each item, in order (empty for JSON Lines).
    pub item_lines: Vec<usize>,
    /// The request.
    pub request: CreateInvoice,
}

impl Row {
    /// Where a field of this row is in the input: its line, and for CSV its column.
    pub fn locate(&self, field: &str) -> Location {
        if self.item_lines.is_empty() {
            return Location {
                line: self.line,
                column: None,
                field: Some(field.to_string()),
            };
        }
        csv_input::locate(self.line, &self.item_lines, field)
    }
}

/// A place in the input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The CSV column.
    pub column: Option<String>,
    /// The request's field (`items[1].quantity`).
    pub field: Option<String>,
}

/// A row that cannot be read: not JSON, a bad field, a CSV order whose lines disagree.
#[derive(Debug, Clone)]
pub struct BadRow {
    /// Where.
    pub at: Location,
    /// The row's key, when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl BadRow {
    /// A problem at a whole line.
    pub fn at_line(line: usize, key: Option<String>, message: impl Into<String>) -> Self {
        BadRow {
            at: Location {
                line,
                column: None,
                field: None,
            },
            key,
            message: message.into(),
        }
    }

    /// `file:line: [key] column x (field): message`.
    pub fn describe(&self, file: &Path) -> String {
        format!(
            "{}: {}",
            where_(file, &self.at, self.key.as_deref()),
            self.message
        )
    }
}

/// `file:line: key KEY: column x (field)` for a location.
pub fn where_(file: &Path, at: &Location, key: Option<&str>) -> String {
    let mut s = format!("{}:{}", file.display(), at.line);
    if let Some(k) = key {
        s.push_str(&format!(": row {k:?}"));
    }
    match (&at.column, &at.field) {
        (Some(c), Some(f)) if c != f => s.push_str(&format!(": column {c} ({f})")),
        (Some(c), _) => s.push_str(&format!(": column {c}")),
        (None, Some(f)) => s.push_str(&format!(": {f}")),
        (None, None) => {}
    }
    s
}

/// The input, read.
#[derive(Debug)]
pub struct Input {
    /// The file.
    pub path: PathBuf,
    /// Records read (JSON Lines: non-blank lines; CSV: rows under the header).
    pub records: usize,
    /// The invoices, in input order.
    pub rows: Vec<Row>,
    /// The rows that could not be read.
    pub bad: Vec<BadRow>,
}

/// Reads the input. `Err` when the file as a whole is unusable (missing, unreadable, not UTF-8,
/// a CSV header with an unknown column); a bad row is in `bad` instead.
pub fn read(
    path: &Path,
    format: Format,
    order_column: &str,
    defaults: &Defaults,
) -> Result<Input, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| Failure::invalid(format!("{}: {e}", path.display())))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Failure::invalid(format!(
            "{}:{line}: not UTF-8 text (save the file as UTF-8)",
            path.display()
        ))
    })?;
    let mut input = match format {
        Format::Jsonl => jsonl(path, text, defaults),
        Format::Csv => csv_input::read(path, text, order_column, defaults)?,
    };
    check_keys(&mut input);
    if input.rows.is_empty() && input.bad.is_empty() {
        return Err(Failure::invalid(format!(
            "{}: no rows: nothing to issue",
            path.display()
        )));
    }
    input.bad.sort_by_key(|b| b.at.line);
    Ok(input)
}

fn jsonl(path: &Path, text: &str, defaults: &Defaults) -> Input {
    let mut input = Input {
        path: path.to_path_buf(),
        records: 0,
        rows: Vec::new(),
        bad: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        input.records += 1;
        match jsonl_row(n, raw, defaults) {
            Ok(row) => input.rows.push(row),
            Err(bad) => input.bad.push(*bad),
        }
    }
    input
}

fn jsonl_row(n: usize, raw: &str, defaults: &Defaults) -> Result<Row, Box<BadRow>> {
    let value: Value = serde_json::from_str(raw).map_err(|e| {
        Box::new(BadRow::at_line(
            n,
            None,
            format!(
                "not JSON: {}",
                sepay_einvoice::validate::describe_serde_error(&e)
            ),
        ))
    })?;
    let Value::Object(mut obj) = value else {
        return Err(Box::new(BadRow::at_line(
            n,
            None,
            "expected a JSON object (one invoice per line)",
        )));
    };
    let key = match obj.remove("key") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        Some(Value::Number(x)) => Some(x.to_string()),
        Some(_) => {
            return Err(Box::new(BadRow {
                at: Location {
                    line: n,
                    column: None,
                    field: Some("key".into()),
                },
                key: None,
                message: "expected a non-empty string (the row's key in the batch)".into(),
            }))
        }
    };
    let reference = obj
        .get("reference_code")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let key = key.or(reference).unwrap_or_else(|| format!("line-{n}"));
    let request = defaults.request(obj).map_err(|e| {
        Box::new(BadRow {
            at: Location {
                line: n,
                column: None,
                field: e.field().map(str::to_string),
            },
            key: Some(key.clone()),
            message: e.message().to_string(),
        })
    })?;
    Ok(Row {
        key,
        line: n,
        item_lines: Vec::new(),
        request,
    })
}

/// Keys must be unique: a second row with a key already used is a bad row.
fn check_keys(input: &mut Input) {
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut kept = Vec::with_capacity(input.rows.len());
    for row in std::mem::take(&mut input.rows) {
        if let Some(line) = first.get(&row.key) {
            input.bad.push(BadRow::at_line(
                row.line,
                Some(row.key.clone()),
                format!("the key is also line {line}'s: every row needs its own key (an order id)"),
            ));
            continue;
        }
        first.insert(row.key.clone(), row.line);
        kept.push(row);
    }
    input.rows = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Defaults {
        Defaults {
            account: Some("acc".into()),
            template: Some("1".into()),
            series: Some("C26TSE".into()),
            draft: None,
        }
    }

    #[test]
    fn jsonl_keys_defaults_and_errors() {
        let text = r#"{"key":"A","items":[{"item_name":"x","quantity":1,"unit_price":5}]}

{"reference_code":"REF-2","items":[{"item_name":"x"}],"template_code":"2"}
{"items":[{"item_name":"x"}]}
not json
{"items":[{"item_name":"x","quantity":"abc"}]}
{"key":"A","items":[]}
"#;
        let mut input = jsonl(Path::new("f.jsonl"), text, &defaults());
        check_keys(&mut input);
        let keys: Vec<_> = input.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["A", "REF-2", "line-4"]);
        assert_eq!(input.records, 6);
        assert_eq!(input.rows[0].request.provider_account_id, "acc");
        assert_eq!(input.rows[1].request.template_code, "2");
        let bad: Vec<String> = input
            .bad
            .iter()
            .map(|b| b.describe(Path::new("f.jsonl")))
            .collect();
        assert!(bad[0].starts_with("f.jsonl:5: not JSON"), "{bad:?}");
        assert!(
            bad[1].starts_with("f.jsonl:6: row \"line-6\": items[0].quantity: "),
            "{bad:?}"
        );
        assert!(bad[2].contains("also line 1's"), "{bad:?}");
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::of(Path::new("a.JSONL")).ok(), Some(Format::Jsonl));
        assert_eq!(Format::of(Path::new("a.csv")).ok(), Some(Format::Csv));
        assert!(Format::of(Path::new("a.txt")).is_err());
    }
}
