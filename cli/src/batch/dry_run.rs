//! `batch issue --dry-run`: every row read and checked as the SDK would before sending it, the
//! problems listed with their line (and CSV column), and the totals previewed. Sends nothing and
//! opens no journal.

use std::collections::BTreeMap;

use sepay_einvoice::{Decimal, Severity};
use serde::Serialize;

use super::input::{where_, Input};
use crate::exit::{Code, Outcome};
use crate::output;

/// One problem of the input.
#[derive(Debug, Serialize)]
pub struct Finding {
    line: usize,
    key: Option<String>,
    column: Option<String>,
    field: Option<String>,
    severity: &'static str,
    rule: Option<String>,
    message: String,
}

/// Totals of the invoices in one currency.
#[derive(Debug, Default, Serialize)]
pub struct CurrencyTotals {
    currency: String,
    invoices: usize,
    total_before_tax: Decimal,
    tax_amount: Decimal,
    total_amount: Decimal,
}

/// What a dry run found.
#[derive(Debug, Serialize)]
pub struct DryRun {
    file: String,
    /// Records read (JSON Lines: lines; CSV: rows).
    rows: usize,
    /// Invoices that would be sent.
    invoices: usize,
    errors: usize,
    warnings: usize,
    problems: Vec<Finding>,
    totals: Vec<CurrencyTotals>,
}

/// Checks every row and previews the totals.
pub fn check(input: &Input, strict: bool) -> DryRun {
    let mut problems: Vec<Finding> = input
        .bad
        .iter()
        .map(|b| Finding {
            line: b.at.line,
            key: b.key.clone(),
            column: b.at.column.clone(),
            field: b.at.field.clone(),
            severity: "error",
            rule: None,
            message: b.message.clone(),
        })
        .collect();
    let mut totals: BTreeMap<String, CurrencyTotals> = BTreeMap::new();
    let now = super::vietnam_now();
    for row in &input.rows {
        // Checked as it will be sent: a row without a date is dated when it is journaled.
        let mut request = row.request.clone();
        if request.issued_date.trim().is_empty() {
            request.issued_date = now.clone();
        }
        for p in sepay_einvoice::validate::local_problems(&request, strict) {
            let at = row.locate(&p.field);
            problems.push(Finding {
                line: at.line,
                key: Some(row.key.clone()),
                column: at.column,
                field: at.field,
                severity: if p.severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                },
                rule: Some(p.rule),
                message: p.message,
            });
        }
        let t = row.request.totals();
        let currency = row.request.currency.as_str().to_string();
        let c = totals
            .entry(currency.clone())
            .or_insert_with(|| CurrencyTotals {
                currency,
                ..CurrencyTotals::default()
            });
        c.invoices += 1;
        c.total_before_tax = c.total_before_tax.saturating_add(t.total_before_tax);
        c.tax_amount = c.tax_amount.saturating_add(t.tax_amount);
        c.total_amount = c.total_amount.saturating_add(t.total_amount);
    }
    problems.sort_by_key(|p| (p.line, p.severity != "error"));
    let errors = problems.iter().filter(|p| p.severity == "error").count();
    DryRun {
        file: input.path.display().to_string(),
        rows: input.records,
        invoices: input.rows.len(),
        errors,
        warnings: problems.len() - errors,
        problems,
        totals: totals.into_values().collect(),
    }
}

/// Prints the dry run: the problems, then the totals; exit 0 without errors, else 2.
pub fn print(input: &Input, d: &DryRun, json: bool) -> Outcome {
    if json {
        output::json(d)?;
    } else {
        let mut lines = Vec::new();
        for p in &d.problems {
            let at = super::input::Location {
                line: p.line,
                column: p.column.clone(),
                field: p.field.clone(),
            };
            let rule = p
                .rule
                .as_deref()
                .map(|r| format!(" [{r}]"))
                .unwrap_or_default();
            lines.push(format!(
                "{}: {}{rule}: {}",
                where_(&input.path, &at, p.key.as_deref()),
                p.severity,
                p.message
            ));
        }
        lines.push(format!(
            "dry run of {}: {} rows, {} invoices, {} errors, {} warnings; nothing was sent",
            d.file, d.rows, d.invoices, d.errors, d.warnings
        ));
        let rows: Vec<Vec<String>> = d
            .totals
            .iter()
            .map(|t| {
                vec![
                    t.currency.clone(),
                    t.invoices.to_string(),
                    t.total_before_tax.to_string(),
                    t.tax_amount.to_string(),
                    t.total_amount.to_string(),
                ]
            })
            .collect();
        lines.push(output::table(
            &["CURRENCY", "INVOICES", "TOTAL BEFORE TAX", "VAT", "TOTAL"],
            &rows,
        ));
        output::line(&lines.join("\n"));
    }
    Ok(if d.errors == 0 {
        Code::Ok
    } else {
        Code::InvalidInput
    })
}
