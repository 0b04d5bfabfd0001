//! The UPDATE each recorded step makes, shared by both stores (only placeholders differ).

use super::Event;

/// A bound value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(i64),
}

/// `UPDATE sepay_batch_rows SET …` for `event` (without its WHERE clause) and the values of its
/// placeholders, numbered from 1 with `mark` (`?` for SQLite, `$` for PostgreSQL).
/// `clock`: the SQL expression of "now" in milliseconds when the store has one (PostgreSQL's,
/// so lease times never mix the database's clock with a worker's), else `now_ms` is bound.
pub(crate) fn record(
    event: &Event,
    mark: &str,
    now: String,
    now_ms: i64,
    clock: Option<&str>,
) -> (String, Vec<Value>) {
    let mut u = Update {
        mark,
        sets: Vec::new(),
        values: Vec::new(),
    };
    let text = |s: &str| Value::Text(Some(s.to_string()));
    match event {
        Event::Sending => {
            u.set("state", text("sending"));
            u.raw("attempts = attempts + 1");
        }
        Event::Accepted { tracking_code } => {
            u.set("state", text("accepted"));
            u.set("tracking_code", Value::Text(tracking_code.clone()));
        }
        Event::Done {
            invoice_number,
            status,
            pdf_url,
            tracking_code,
        } => {
            u.set("state", text("done"));
            u.set("invoice_number", Value::Text(invoice_number.clone()));
            u.set("invoice_status", Value::Text(status.clone()));
            u.set("pdf_url", Value::Text(pdf_url.clone()));
            if tracking_code.is_some() {
                u.set("tracking_code", Value::Text(tracking_code.clone()));
            }
            for c in [
                "error_kind",
                "error_message",
                "api_code",
                "lease_owner",
                "lease_until",
            ] {
                u.raw(&format!("{c} = NULL"));
            }
        }
        Event::Failed {
            kind,
            message,
            api_code,
        } => {
            u.set("state", text("failed"));
            u.set("error_kind", text(kind));
            u.set("error_message", text(message));
            u.set("api_code", Value::Text(api_code.clone()));
            u.raw("lease_owner = NULL");
            u.raw("lease_until = NULL");
        }
        Event::Uncertain {
            kind,
            message,
            api_code,
            retry_after,
        } => {
            u.set("error_kind", text(kind));
            u.set("error_message", text(message));
            u.set("api_code", Value::Text(api_code.clone()));
            // Released to every worker after `retry_after`.
            u.raw("lease_owner = NULL");
            match clock {
                Some(sql_now) => u.set_expr(
                    "lease_until",
                    sql_now,
                    Value::Int(retry_after.as_millis() as i64),
                ),
                None => u.set(
                    "lease_until",
                    Value::Int(now_ms + retry_after.as_millis() as i64),
                ),
            }
        }
    }
    u.set("updated_at", Value::Text(Some(now)));
    (
        format!("UPDATE sepay_batch_rows SET {}", u.sets.join(", ")),
        u.values,
    )
}

struct Update<'a> {
    mark: &'a str,
    sets: Vec<String>,
    values: Vec<Value>,
}

impl Update<'_> {
    fn set(&mut self, column: &str, v: Value) {
        self.values.push(v);
        self.sets
            .push(format!("{column} = {}{}", self.mark, self.values.len()));
    }
    /// `column = <expr> + <placeholder>`.
    fn set_expr(&mut self, column: &str, expr: &str, v: Value) {
        self.values.push(v);
        self.sets.push(format!(
            "{column} = {expr} + {}{}",
            self.mark,
            self.values.len()
        ));
    }
    fn raw(&mut self, assignment: &str) {
        self.sets.push(assignment.to_string());
    }
}
